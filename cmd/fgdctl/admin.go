package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"
)

// The admin client's environment.
const (
	envURL   = "HEDGEHOG_FGD_URL"
	envToken = "HEDGEHOG_FGD_ADMIN_TOKEN"
)

// client talks to the admin API.
type client struct {
	base   string
	token  string
	http   *http.Client
	output string // "" for tables, "json"
	stdout io.Writer
	stderr io.Writer
}

// apiError is the admin API's error shape.
type apiError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"message"`
	SyncID string `json:"sync_id"`
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Msg, e.Status)
	if e.SyncID != "" {
		s += "; sync " + e.SyncID
	}
	return s
}

// clientFlags are the flags every admin command takes.
type clientFlags struct {
	url, token, output *string
}

func registerClientFlags(fs *flag.FlagSet) clientFlags {
	return clientFlags{
		url:    fs.String("url", "", "fgd-sync server URL (env "+envURL+", default http://localhost:8080)"),
		token:  fs.String("token", "", "admin token (env "+envToken+")"),
		output: fs.String("o", "", "output: json for scripts"),
	}
}

// parse parses an admin command's arguments, checks it got want positional
// arguments (-1: any), and builds the client. ok is false when the command
// must exit with code.
func (cf clientFlags) parse(fs *flag.FlagSet, args []string, want int, usage string, stdout, stderr io.Writer) (pos []string, c *client, code int, ok bool) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, exitUsage, false
	}
	if want >= 0 && len(pos) != want {
		return nil, nil, usageError(stderr, "%s", usage), false
	}
	c, err = newClient(*cf.url, *cf.token, *cf.output, stdout, stderr)
	if err != nil {
		return nil, nil, usageError(stderr, "%v", err), false
	}
	return pos, c, 0, true
}

func newClient(u, t, o string, stdout, stderr io.Writer) (*client, error) {
	if u == "" {
		u = os.Getenv(envURL)
	}
	if u == "" {
		u = "http://localhost:8080"
	}
	if t == "" {
		t = os.Getenv(envToken)
	}
	if t == "" {
		return nil, errors.New("no admin token: set " + envToken + " or --token")
	}
	if o != "" && o != "json" {
		return nil, fmt.Errorf("-o takes json, got %q", o)
	}
	if _, err := url.ParseRequestURI(u); err != nil {
		return nil, fmt.Errorf("%s is not a URL", u)
	}
	return &client{base: strings.TrimSuffix(u, "/"), token: t, http: &http.Client{Timeout: 30 * time.Second}, output: o, stdout: stdout, stderr: stderr}, nil
}

// do sends a request and decodes a 2xx answer into out.
func (c *client) do(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
			return &apiError{Status: resp.StatusCode, Code: "HTTP", Msg: strings.TrimSpace(string(raw))}
		}
		e.Error.Status = resp.StatusCode
		return &e.Error
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// printJSON writes v indented.
func (c *client) printJSON(v any) {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (c *client) table(header string, rows [][]string) {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// fail prints an error and returns the exit code for it.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "fgdctl:", err)
	return exitRejected
}

// fabricJSON is the fabric as the API answers it.
type fabricJSON struct {
	Name         string `json:"name"`
	Repository   string `json:"repository"`
	CloneURL     string `json:"clone_url,omitempty"`
	Branch       string `json:"branch,omitempty"`
	Path         string `json:"path,omitempty"`
	Namespace    string `json:"namespace,omitempty"`
	SyncInterval string `json:"sync_interval,omitempty"`
	WriteMode    string `json:"write_mode,omitempty"`
}

func fabricRow(f fabricJSON) []string {
	return []string{f.Name, f.Repository, f.Branch, f.Path, f.Namespace, f.SyncInterval, f.WriteMode}
}

const fabricHeader = "NAME\tREPOSITORY\tBRANCH\tPATH\tNAMESPACE\tINTERVAL\tMODE"

func cmdFabric(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "fabric takes add, list, get or rm")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("fabric "+sub, stderr)
	cf := registerClientFlags(fs)
	var f fabricJSON
	file := ""
	if sub == "add" {
		fs.StringVar(&file, "f", "", "YAML or JSON file of one fabric (the fields of the fabrics file, docs/contract.md)")
		fs.StringVar(&f.Name, "name", "", "fabric name (DNS label)")
		fs.StringVar(&f.Repository, "repository", "", "GitHub owner/name")
		fs.StringVar(&f.CloneURL, "clone-url", "", "clone URL, when not https://github.com/<repository>.git")
		fs.StringVar(&f.Branch, "branch", "", "branch (default main)")
		fs.StringVar(&f.Path, "path", "", "FGD folder in the repository (default .)")
		fs.StringVar(&f.Namespace, "namespace", "", "fabric namespace (default default)")
		fs.StringVar(&f.SyncInterval, "sync-interval", "", "periodic sync, such as 5m; 0 disables")
		fs.StringVar(&f.WriteMode, "write-mode", "", "push or pull-request")
	}
	pos, c, code, ok := cf.parse(fs, args, -1, "", stdout, stderr)
	if !ok {
		return code
	}
	switch sub {
	case "add":
		var body any = f
		if file != "" {
			raw, err := os.ReadFile(file)
			if err != nil {
				return usageError(stderr, "fabric add: %v", err)
			}
			var fromFile map[string]any
			if err := yaml.Unmarshal(raw, &fromFile); err != nil {
				return usageError(stderr, "fabric add: %s is not YAML: %v", file, err)
			}
			body = fromFile
		} else if f.Name == "" || f.Repository == "" {
			return usageError(stderr, "fabric add needs -f FILE, or --name and --repository")
		}
		var out struct {
			Fabric fabricJSON `json:"fabric"`
			SyncID string     `json:"sync_id"`
		}
		if err := c.do(http.MethodPost, "/api/v1/fabrics", body, &out); err != nil {
			return fail(stderr, err)
		}
		if c.output == "json" {
			c.printJSON(out)
		} else {
			fmt.Fprintf(stdout, "fabric %s created; init sync %s queued\n", out.Fabric.Name, out.SyncID)
		}
	case "list":
		var out struct {
			Fabrics []fabricJSON `json:"fabrics"`
		}
		if err := c.do(http.MethodGet, "/api/v1/fabrics", nil, &out); err != nil {
			return fail(stderr, err)
		}
		if c.output == "json" {
			c.printJSON(out)
			break
		}
		var rows [][]string
		for _, f := range out.Fabrics {
			rows = append(rows, fabricRow(f))
		}
		c.table(fabricHeader, rows)
	case "get", "rm":
		if len(pos) != 1 {
			return usageError(stderr, "fabric %s takes one fabric name", sub)
		}
		method := http.MethodGet
		if sub == "rm" {
			method = http.MethodDelete
		}
		var out map[string]any
		if err := c.do(method, "/api/v1/fabrics/"+url.PathEscape(pos[0]), nil, &out); err != nil {
			return fail(stderr, err)
		}
		switch {
		case c.output == "json":
			c.printJSON(out)
		case sub == "rm":
			fmt.Fprintf(stdout, "fabric %s deleted (the repository is untouched)\n", pos[0])
		default:
			b, _ := yaml.Marshal(out)
			fmt.Fprint(stdout, string(b))
		}
	default:
		return usageError(stderr, "fabric takes add, list, get or rm, not %q", sub)
	}
	return exitOK
}

// recordJSON is the part of a sync record the client shows.
type recordJSON struct {
	ID            string           `json:"id"`
	Fabric        string           `json:"fabric"`
	Trigger       string           `json:"trigger"`
	State         string           `json:"state"`
	CreatedAt     time.Time        `json:"created_at"`
	Commit        string           `json:"commit"`
	Attempt       int              `json:"attempt"`
	Stages        []stage          `json:"stages"`
	Counts        map[string]int   `json:"counts"`
	Errors        []map[string]any `json:"errors"`
	CoalescedInto string           `json:"coalesced_into"`
}

func terminalState(s string) bool { return s == "succeeded" || s == "partial" || s == "failed" }

func exitForState(s string) int {
	if s == "succeeded" {
		return exitOK
	}
	return exitRejected
}

func (c *client) printRecord(raw map[string]any, r recordJSON) {
	if c.output == "json" {
		c.printJSON(raw)
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "sync\t%s\nfabric\t%s\ntrigger\t%s\nstate\t%s\nattempt\t%d\ncommit\t%s\n", r.ID, r.Fabric, r.Trigger, r.State, r.Attempt, r.Commit)
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "stage %s\t%d ms\n", s.Name, s.DurationMS)
	}
	for _, k := range []string{"files_processed", "resources_created", "resources_updated", "resources_unchanged", "files_unmanaged", "files_rejected"} {
		fmt.Fprintf(tw, "%s\t%d\n", strings.ReplaceAll(k, "_", " "), r.Counts[k])
	}
	_ = tw.Flush()
	for _, e := range r.Errors {
		fmt.Fprintf(c.stderr, "%v:%v: %v %v: %v\n", e["file"], e["line"], e["code"], e["path"], e["message"])
	}
}

func (c *client) getRecord(id string) (map[string]any, recordJSON, error) {
	var raw map[string]any
	if err := c.do(http.MethodGet, "/api/v1/syncs/"+url.PathEscape(id), nil, &raw); err != nil {
		return nil, recordJSON{}, err
	}
	b, _ := json.Marshal(raw)
	var r recordJSON
	_ = json.Unmarshal(b, &r)
	return raw, r, nil
}

func cmdSync(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sync", stderr)
	cf := registerClientFlags(fs)
	validateOnly := fs.Bool("validate-only", false, "fetch and ingest only; change nothing")
	forceRefresh := fs.Bool("force-refresh", false, "drop the cached clone first")
	timeout := fs.Int("timeout", 0, "sync timeout in seconds")
	wait := fs.Bool("wait", false, "wait for the sync; exit 0 on succeeded, 1 on partial or failed")
	waitFor := fs.Duration("wait-timeout", 10*time.Minute, "how long --wait waits")
	pos, c, code, ok := cf.parse(fs, args, 1, "sync takes one fabric name", stdout, stderr)
	if !ok {
		return code
	}
	body := map[string]any{"options": map[string]any{"validate_only": *validateOnly, "force_refresh": *forceRefresh, "timeout_seconds": *timeout}}
	var out struct {
		SyncID string `json:"sync_id"`
	}
	if err := c.do(http.MethodPost, "/api/v1/fabrics/"+url.PathEscape(pos[0])+"/sync", body, &out); err != nil {
		return fail(stderr, err)
	}
	if !*wait {
		if c.output == "json" {
			c.printJSON(out)
		} else {
			fmt.Fprintf(stdout, "sync %s queued\n", out.SyncID)
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "sync %s queued; waiting\n", out.SyncID)
	deadline := time.Now().Add(*waitFor)
	for {
		raw, r, err := c.getRecord(out.SyncID)
		if err == nil && terminalState(r.State) {
			c.printRecord(raw, r)
			return exitForState(r.State)
		}
		if time.Now().After(deadline) {
			return fail(stderr, fmt.Errorf("sync %s did not finish within %s", out.SyncID, *waitFor))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", stderr)
	cf := registerClientFlags(fs)
	pos, c, code, ok := cf.parse(fs, args, 1, "status takes one sync id", stdout, stderr)
	if !ok {
		return code
	}
	raw, r, err := c.getRecord(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	c.printRecord(raw, r)
	return exitOK
}

func cmdSyncs(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("syncs", stderr)
	cf := registerClientFlags(fs)
	limit := fs.Int("limit", 20, "how many, newest first (at most 100)")
	pos, c, code, ok := cf.parse(fs, args, 1, "syncs takes one fabric name", stdout, stderr)
	if !ok {
		return code
	}
	var out struct {
		Syncs []recordJSON `json:"syncs"`
	}
	if err := c.do(http.MethodGet, fmt.Sprintf("/api/v1/fabrics/%s/syncs?limit=%d", url.PathEscape(pos[0]), *limit), nil, &out); err != nil {
		return fail(stderr, err)
	}
	if c.output == "json" {
		c.printJSON(out)
		return exitOK
	}
	var rows [][]string
	for _, r := range out.Syncs {
		commit := r.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		rows = append(rows, []string{r.ID, r.CreatedAt.Format(time.RFC3339), r.Trigger, r.State, fmt.Sprint(r.Attempt), commit})
	}
	c.table("SYNC\tCREATED\tTRIGGER\tSTATE\tATTEMPT\tCOMMIT", rows)
	return exitOK
}

func cmdResources(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("resources", stderr)
	cf := registerClientFlags(fs)
	kind := fs.String("kind", "", "only this kind, such as VPC")
	pos, c, code, ok := cf.parse(fs, args, 1, "resources takes one fabric name", stdout, stderr)
	if !ok {
		return code
	}
	q := ""
	if *kind != "" {
		q = "?kind=" + url.QueryEscape(*kind)
	}
	var out struct {
		Resources []struct {
			Kind      string `json:"kind"`
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
			Path      string `json:"path"`
			Commit    string `json:"commit"`
		} `json:"resources"`
	}
	var raw map[string]any
	if err := c.do(http.MethodGet, "/api/v1/fabrics/"+url.PathEscape(pos[0])+"/resources"+q, nil, &raw); err != nil {
		return fail(stderr, err)
	}
	if c.output == "json" {
		c.printJSON(raw)
		return exitOK
	}
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &out)
	var rows [][]string
	for _, r := range out.Resources {
		commit := r.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		rows = append(rows, []string{r.Kind, r.Namespace, r.Name, r.Path, commit})
	}
	c.table("KIND\tNAMESPACE\tNAME\tPATH\tCOMMIT", rows)
	return exitOK
}

func cmdHealth(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("health", stderr)
	cf := registerClientFlags(fs)
	_, c, code, ok := cf.parse(fs, args, 0, "health takes no arguments", stdout, stderr)
	if !ok {
		return code
	}
	var out struct {
		Redis     string           `json:"redis"`
		LatencyMS float64          `json:"redis_latency_ms"`
		Queue     map[string]int   `json:"queue"`
		Workers   []map[string]any `json:"workers"`
	}
	var raw map[string]any
	if err := c.do(http.MethodGet, "/api/v1/health", nil, &raw); err != nil {
		return fail(stderr, err)
	}
	if c.output == "json" {
		c.printJSON(raw)
		return exitOK
	}
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &out)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "redis\t%s (%.2f ms)\n", out.Redis, out.LatencyMS)
	for _, k := range []string{"pending", "active", "scheduled", "retry", "archived"} {
		fmt.Fprintf(tw, "queue %s\t%d\n", k, out.Queue[k])
	}
	fmt.Fprintf(tw, "workers\t%d\n", len(out.Workers))
	for _, w := range out.Workers {
		fmt.Fprintf(tw, "  %v pid %v\t%v, %v active of %v\n", w["host"], w["pid"], w["status"], w["active"], w["concurrency"])
	}
	_ = tw.Flush()
	return exitOK
}
