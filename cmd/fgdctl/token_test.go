package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/access"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// TestTokenLifecycle: an admin creates a read token with fgdctl; the token
// lists fabrics but may not trigger a sync (403 FGD_6003); once revoked it
// gets 401; the audit shows every mutating call once, with the token's name.
// The secret is on stdout exactly once and nowhere else.
func TestTokenLifecycle(t *testing.T) {
	s := newAPIServer(t)
	if code, _, errOut := s.fgdctl("fabric", "add", "--name", "dc1", "--repository", "acme/dc1"); code != 0 {
		t.Fatalf("fabric add: %d %s", code, errOut)
	}

	code, out, errOut := s.fgdctl("token", "create", "reader", "--role", "read", "--fabrics", "dc1", "--expires-in", "24h")
	secret := strings.TrimSuffix(out, "\n")
	if code != exitOK || !strings.HasPrefix(secret, access.SecretPrefix) || strings.ContainsAny(secret, " \n\t") {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q; want the secret alone on stdout", code, out, errOut)
	}
	s.secrets = append(s.secrets, secret)
	if n, m := strings.Count(out, secret), strings.Count(errOut, secret); n != 1 || m != 0 {
		t.Fatalf("the secret is %d times on stdout and %d on stderr; want once and never", n, m) // not printed: it is a secret
	}
	if !strings.Contains(errOut, "token reader created: role read on dc1") {
		t.Fatalf("stderr does not say what the token may do: %q", errOut)
	}

	// With -o json, the whole answer, the secret once, in "token".
	code, out, errOut = s.fgdctl("token", "create", "ops", "--role", "admin", "--fabrics", "*", "-o", "json")
	var ops access.CreatedToken
	if code != exitOK || errOut != "" || json.Unmarshal([]byte(out), &ops) != nil || ops.Name != "ops" || ops.Role != access.RoleAdmin ||
		!slices.Equal(ops.Fabrics, []string{access.AllFabrics}) || ops.CreatedBy != access.BootstrapName || ops.ExpiresAt.Sub(ops.CreatedAt) != access.DefaultExpiresIn {
		t.Fatalf("token create -o json: exit %d, stderr %q\n%s", code, errOut, out)
	}
	s.secrets = append(s.secrets, ops.Token)
	if strings.Count(out, ops.Token) != 1 {
		t.Fatalf("the secret is not in the JSON exactly once:\n%s", out)
	}

	// The read token at work, and an admin token made by fgdctl.
	as := func(token string, args ...string) (int, string, string) {
		return s.fgdctl(append(args, "--token", token)...)
	}
	steps := []struct {
		name   string
		token  string
		args   []string
		code   int
		stdout string // stdout holds this (on success)
		stderr string // stderr holds this (on failure)
	}{
		{"read lists fabrics", secret, []string{"fabric", "list"}, exitOK, "acme/dc1", ""},
		{"read gets its fabric", secret, []string{"fabric", "get", "dc1", "-o", "json"}, exitOK, `"name": "dc1"`, ""},
		{"read may not sync", secret, []string{"sync", "dc1"}, exitRejected, "", string(fgderr.Forbidden) + ": "},
		{"read may not list tokens", secret, []string{"token", "list"}, exitRejected, "", "(HTTP 403)"},
		{"read may not read the audit", secret, []string{"audit"}, exitRejected, "", "(HTTP 403)"},
		{"the created admin token lists tokens", ops.Token, []string{"token", "list"}, exitOK, "reader", ""},
		{"a taken name", testToken, []string{"token", "create", "reader", "--role", "read", "--fabrics", "dc2"}, exitRejected, "", string(fgderr.DuplicateResource)},
		{"an admin scoped to a fabric", testToken, []string{"token", "create", "half", "--role", "admin", "--fabrics", "dc1"}, exitRejected, "", string(fgderr.SchemaValidation)},
		{"a name that is no DNS label", testToken, []string{"token", "create", "Not_A_Label", "--role", "read", "--fabrics", "dc1"}, exitRejected, "", string(fgderr.SchemaValidation)},
	}
	for _, st := range steps {
		code, out, errOut := as(st.token, st.args...)
		if code != st.code || !strings.Contains(out, st.stdout) || !strings.Contains(errOut, st.stderr) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", st.name, code, out, errOut, st.code, st.stdout, st.stderr)
		}
		if code != exitOK && out != "" {
			t.Fatalf("%s: a failure wrote to stdout: %q", st.name, out)
		}
		if st.name == "read may not sync" && !strings.Contains(errOut, "(HTTP 403)") {
			t.Fatalf("%s: stderr %q lacks the status", st.name, errOut)
		}
	}

	// The list: names, roles, scopes, expiry, last use; never a secret.
	code, table, _ := s.fgdctl("token", "list")
	if code != exitOK || !strings.HasPrefix(table, "NAME") || !strings.Contains(table, "reader") || !strings.Contains(table, access.BootstrapName) {
		t.Fatalf("token list: exit %d\n%s", code, table)
	}
	code, out, _ = s.fgdctl("token", "list", "-o", "yaml")
	var list access.TokenList
	if code != exitOK || yaml.UnmarshalStrict([]byte(out), &list) != nil || len(list.Tokens) != 2 {
		t.Fatalf("token list -o yaml: exit %d\n%s", code, out)
	}
	for _, listing := range []string{table, out} {
		if strings.Contains(listing, secret) || strings.Contains(listing, strings.TrimPrefix(ops.Token, access.SecretPrefix)) {
			t.Fatalf("the token list shows a secret:\n%s", listing)
		}
	}
	reader := list.Tokens[slices.IndexFunc(list.Tokens, func(i access.TokenInfo) bool { return i.Name == "reader" })]
	if reader.Role != access.RoleRead || !slices.Equal(reader.Fabrics, []string{"dc1"}) || reader.Expired ||
		reader.ExpiresAt.Sub(reader.CreatedAt) != 24*time.Hour || reader.LastUsedAt == nil {
		t.Fatalf("reader listed as %+v; want read on dc1, 24h, used", reader)
	}

	// Revoked: refused from the next request on.
	if code, out, errOut := s.fgdctl("token", "rm", "reader"); code != exitOK || out != "token reader revoked\n" {
		t.Fatalf("token rm: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := as(secret, "fabric", "list"); code != exitRejected || out != "" ||
		!strings.Contains(errOut, string(fgderr.Unauthorized)) || !strings.Contains(errOut, "(HTTP 401)") {
		t.Fatalf("a revoked token: exit %d, stdout %q, stderr %q; want 1 and 401", code, out, errOut)
	}
	if code, _, errOut := s.fgdctl("token", "rm", "reader"); code != exitRejected || !strings.Contains(errOut, string(fgderr.NotFound)) {
		t.Fatalf("revoking twice: exit %d, stderr %q", code, errOut)
	}

	// The audit: every mutating call made with a valid token, newest first,
	// with the caller's name and the token a token call concerned.
	type call struct {
		Token, Method, Path, Fabric, Subject string
		Status                               int
		Code                                 fgderr.Code
	}
	want := []call{
		{access.BootstrapName, "DELETE", "/api/v1/tokens/reader", "", "reader", 404, fgderr.NotFound},
		{access.BootstrapName, "DELETE", "/api/v1/tokens/reader", "", "reader", 200, ""},
		{access.BootstrapName, "POST", "/api/v1/tokens", "", "", 400, fgderr.SchemaValidation},
		{access.BootstrapName, "POST", "/api/v1/tokens", "", "half", 400, fgderr.SchemaValidation},
		{access.BootstrapName, "POST", "/api/v1/tokens", "", "reader", 409, fgderr.DuplicateResource},
		{"reader", "POST", "/api/v1/fabrics/dc1/sync", "dc1", "", 403, fgderr.Forbidden},
		{access.BootstrapName, "POST", "/api/v1/tokens", "", "ops", 201, ""},
		{access.BootstrapName, "POST", "/api/v1/tokens", "", "reader", 201, ""},
		{access.BootstrapName, "POST", "/api/v1/fabrics", "dc1", "", 201, ""},
	}
	code, out, errOut = s.fgdctl("audit", "-o", "yaml")
	var log access.AuditLog
	if code != exitOK || yaml.UnmarshalStrict([]byte(out), &log) != nil {
		t.Fatalf("audit -o yaml: exit %d, stderr %q\n%s", code, errOut, out)
	}
	var got []call
	for _, e := range log.Entries {
		got = append(got, call{e.Token, e.Method, e.Path, e.Fabric, e.Subject, e.Status, e.Code})
		if e.RequestID == "" || e.ID == "" || time.Since(e.Time) > time.Hour {
			t.Errorf("entry %+v lacks its id, request id or time", e)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the audit holds\n%+v\nwant\n%+v", got, want)
	}
	for _, sec := range s.secrets {
		if strings.Contains(out, sec) {
			t.Fatal("the audit shows a secret")
		}
	}
	code, table, _ = s.fgdctl("audit")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); code != exitOK || len(lines) != len(want)+1 ||
		!strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[2], "DELETE") || !strings.Contains(lines[2], "/api/v1/tokens/reader") {
		t.Fatalf("audit: exit %d\n%s", code, table)
	}
	// --fabric and --limit reach the server.
	code, out, _ = s.fgdctl("audit", "--fabric", "dc1", "--limit", "1", "-o", "json")
	var dc1 access.AuditLog
	if code != exitOK || json.Unmarshal([]byte(out), &dc1) != nil || len(dc1.Entries) != 1 || dc1.Entries[0].Token != "reader" {
		t.Fatalf("audit --fabric dc1 --limit 1: exit %d\n%s", code, out)
	}
}
