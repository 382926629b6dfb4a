package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Credentials give, for one repository, the token for git over HTTPS and
// the API client to report with.
type Credentials interface {
	Token(ctx context.Context, repository string) (string, error)
	API(ctx context.Context, repository string) (*API, error)
	// App reports whether these are GitHub App credentials, which may create
	// check runs.
	App() bool
}

// TokenCredentials use one token for every repository (a personal access
// token or a fine-grained token).
type TokenCredentials struct {
	token string
	api   *API
}

// NewTokenCredentials returns credentials for a token. An empty token means
// git without credentials and no API.
func NewTokenCredentials(baseURL, token string, client *http.Client) (*TokenCredentials, error) {
	c := &TokenCredentials{token: token}
	if token == "" {
		return c, nil
	}
	api, err := NewAPI(baseURL, token, client)
	if err != nil {
		return nil, err
	}
	c.api = api
	return c, nil
}

// Token returns the token.
func (c *TokenCredentials) Token(context.Context, string) (string, error) { return c.token, nil }

// API returns the client, or nil without a token.
func (c *TokenCredentials) API(context.Context, string) (*API, error) { return c.api, nil }

// App is false.
func (c *TokenCredentials) App() bool { return false }

// AppCredentials authenticate as a GitHub App: a JWT finds the
// installation of each repository's owner, and ghinstallation mints
// installation tokens and caches each until shortly before it expires.
type AppCredentials struct {
	baseURL string
	apps    *ghinstallation.AppsTransport
	appAPI  *gh.Client
	base    http.RoundTripper

	mu      sync.Mutex
	byOwner map[string]*appInstallation
	// RateLimits, when set before first use, records each installation's rate limit.
	RateLimits *RateLimits
}

type appInstallation struct {
	transport *ghinstallation.Transport
	api       *API
}

// NewAppCredentials reads the App's private key and prepares its JWT
// transport. baseURL is the API base (GHES or tests).
func NewAppCredentials(baseURL string, appID int64, keyFile string, base http.RoundTripper) (*AppCredentials, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read the GitHub App private key: %w", err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	apps, err := ghinstallation.NewAppsTransport(base, appID, key)
	if err != nil {
		return nil, fmt.Errorf("the GitHub App private key is not a valid RSA PEM key: %w", err)
	}
	apiBase := strings.TrimSuffix(baseURL, "/")
	apps.BaseURL = apiBase
	appAPI, err := NewAPI(baseURL, "", &http.Client{Transport: apps, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	return &AppCredentials{baseURL: apiBase, apps: apps, appAPI: appAPI.client, base: base, byOwner: map[string]*appInstallation{}}, nil
}

// App is true.
func (c *AppCredentials) App() bool { return true }

func (c *AppCredentials) installation(ctx context.Context, repository string) (*appInstallation, error) {
	owner, name, _ := strings.Cut(repository, "/")
	key := strings.ToLower(owner)
	c.mu.Lock()
	inst, ok := c.byOwner[key]
	c.mu.Unlock()
	if ok {
		return inst, nil
	}
	found, _, err := c.appAPI.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		return nil, (&API{}).classify(err, "find the GitHub App installation of "+repository)
	}
	tr := ghinstallation.NewFromAppsTransport(c.apps, found.GetID())
	tr.BaseURL = c.baseURL
	api, err := NewAPI(c.baseURL+"/", "", &http.Client{Transport: c.RateLimits.Transport(strconv.FormatInt(found.GetID(), 10), tr), Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	inst = &appInstallation{transport: tr, api: api}
	c.mu.Lock()
	c.byOwner[key] = inst
	c.mu.Unlock()
	return inst, nil
}

// Token returns an installation token for the repository's owner, minted
// or cached by ghinstallation.
func (c *AppCredentials) Token(ctx context.Context, repository string) (string, error) {
	inst, err := c.installation(ctx, repository)
	if err != nil {
		return "", err
	}
	tok, err := inst.transport.Token(ctx)
	if err != nil {
		return "", &fgderr.Error{Code: fgderr.GitHubAuth, Msg: "mint a GitHub App installation token", Err: errors.New(fgderr.Redact(err.Error()))}
	}
	return tok, nil
}

// API returns the installation's API client.
func (c *AppCredentials) API(ctx context.Context, repository string) (*API, error) {
	inst, err := c.installation(ctx, repository)
	if err != nil {
		return nil, err
	}
	return inst.api, nil
}
