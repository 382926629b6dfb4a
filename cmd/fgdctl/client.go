package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/githedgehog/fgd-sync/adminapi"
)

// The admin client's environment.
const (
	envURL     = "HEDGEHOG_FGD_URL"
	envToken   = "HEDGEHOG_FGD_ADMIN_TOKEN"
	defaultURL = "http://localhost:8080"
)

// Bounds on an answer: records and inventories can be large, an error is not.
const (
	maxAnswerBytes = 64 << 20
	maxErrorBytes  = 64 << 10
)

// clientFlags are --url and --token. They, and the environment behind them,
// are read only when a command calls the API: --help needs no token.
type clientFlags struct {
	url, token string
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "fgd-sync server URL (env "+envURL+", default "+defaultURL+")")
	fs.StringVar(&f.token, "token", "", "API token: the admin token or a scoped one (env "+envToken+")")
}

// client builds the admin client; a missing token or a bad URL is a usage
// error.
func (f *clientFlags) client(e *env) (*client, error) {
	u := f.url
	if u == "" {
		u = e.getenv(envURL)
	}
	if u == "" {
		u = defaultURL
	}
	t := f.token
	if t == "" {
		t = e.getenv(envToken)
	}
	if t == "" {
		return nil, usageErrorf("no admin token: set %s or --token", envToken)
	}
	if p, err := url.ParseRequestURI(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, usageErrorf("%s is not an http(s) URL", u)
	}
	return &client{base: strings.TrimSuffix(u, "/"), token: t, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// completeFabricNames completes a fabric name argument from the server's
// list, when the environment or the flags name a server and a token.
func (f *clientFlags) completeFabricNames(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.client(e)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var list adminapi.FabricList
		if err := c.do(cmd.Context(), http.MethodGet, "/api/v1/fabrics", nil, &list); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]cobra.Completion, 0, len(list.Fabrics))
		for _, fab := range list.Fabrics {
			names = append(names, cobra.CompletionWithDesc(fab.Name, fab.Repository))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// client talks to the admin API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// apiError is an error answer of the admin API.
type apiError struct {
	Status int
	adminapi.ErrorDetail
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
	if e.SyncID != "" {
		s += "; sync " + e.SyncID
	}
	return s
}

// do sends a request with body as JSON, and decodes a 2xx answer into out
// (when out is not nil).
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		var e adminapi.Error
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			return &apiError{Status: resp.StatusCode, ErrorDetail: adminapi.ErrorDetail{Code: "HTTP", Message: strings.TrimSpace(string(raw))}}
		}
		return &apiError{Status: resp.StatusCode, ErrorDetail: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: the answer is not what fgdctl expects: %w", method, path, err)
	}
	return nil
}

// pathOf joins escaped path segments below /api/v1.
func pathOf(segments ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segments {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String()
}

// call sends one admin API request with the command's connection flags and
// decodes the answer into a T.
func call[T any](cmd *cobra.Command, e *env, cf *clientFlags, method, path string, body any) (T, error) {
	var answer T
	c, err := cf.client(e)
	if err != nil {
		return answer, err
	}
	err = c.do(cmd.Context(), method, path, body, &answer)
	return answer, err
}
