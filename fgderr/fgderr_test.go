package fgderr

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCodesDocMatchesCode: docs/codes.md lists exactly the codes of Codes(),
// each with the same HTTP status, meaning and transience, in the same order.
func TestCodesDocMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/codes.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []Info
	for n, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| FGD_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 4 {
			t.Fatalf("docs/codes.md:%d: %d columns, want 4: %s", n+1, len(cells), line)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		num, text, _ := strings.Cut(cells[1], " ")
		status, err := strconv.Atoi(num)
		if err != nil || text != http.StatusText(status) {
			t.Fatalf("docs/codes.md:%d: HTTP status %q is not \"<number> <reason>\"", n+1, cells[1])
		}
		rows = append(rows, Info{Code: Code(cells[0]), Status: status, Meaning: cells[2], Transient: Transience(cells[3])})
	}
	inDoc := map[Code]Info{}
	for _, r := range rows {
		if _, dup := inDoc[r.Code]; dup {
			t.Errorf("docs/codes.md lists %s twice", r.Code)
		}
		inDoc[r.Code] = r
	}
	inCode := map[Code]Info{}
	for _, i := range Codes() {
		inCode[i.Code] = i
		if d, ok := inDoc[i.Code]; !ok {
			t.Errorf("%s is missing from docs/codes.md", i.Code)
		} else if d != i {
			t.Errorf("%s: docs/codes.md says %+v, the code says %+v", i.Code, d, i)
		}
	}
	for _, r := range rows {
		if _, ok := inCode[r.Code]; !ok {
			t.Errorf("docs/codes.md lists %s, which the code does not have", r.Code)
		}
	}
	if len(rows) == len(Codes()) {
		for i, r := range rows {
			if r.Code != Codes()[i].Code {
				t.Errorf("row %d of docs/codes.md is %s, the code's table has %s there", i+1, r.Code, Codes()[i].Code)
			}
		}
	}
}

// TestCodesTable: every code is well formed, unique, and has a status, a
// meaning and a transience.
func TestCodesTable(t *testing.T) {
	seen := map[Code]bool{}
	for _, i := range Codes() {
		n, err := strconv.Atoi(strings.TrimPrefix(string(i.Code), "FGD_"))
		if !strings.HasPrefix(string(i.Code), "FGD_") || err != nil || n < 1000 || n > 6999 {
			t.Errorf("%q is not FGD_<4 digits>", i.Code)
		}
		if seen[i.Code] {
			t.Errorf("%s is listed twice", i.Code)
		}
		seen[i.Code] = true
		if http.StatusText(i.Status) == "" || i.Status < 400 || i.Meaning == "" {
			t.Errorf("%s: status %d, meaning %q", i.Code, i.Status, i.Meaning)
		}
		switch i.Transient {
		case Permanent, Transient, Sometimes:
		default:
			t.Errorf("%s: transience %q", i.Code, i.Transient)
		}
		if got := i.Code.Info(); got != i || i.Code.Status() != i.Status {
			t.Errorf("%s.Info() = %+v", i.Code, got)
		}
	}
	for _, api := range []struct {
		code   Code
		status int
	}{{BadRequest, 400}, {Unauthorized, 401}, {Forbidden, 403}, {NotFound, 404}, {MethodNotAllowed, 405}} {
		if api.code.Status() != api.status {
			t.Errorf("%s answers %d, want %d", api.code, api.code.Status(), api.status)
		}
	}
}

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
		after     time.Duration
	}{
		{"nil", nil, false, 0},
		{"plain error", errors.New("x"), false, 0},
		{"permanent", New(GitHubAuth, "refused"), false, 0},
		{"transient", Retryable(Redis, "ping", errors.New("refused")), true, 0},
		{"retry after", &Error{Code: GitHubRateLimit, Msg: "limit", Transient: true, RetryAfter: 3 * time.Second}, true, 3 * time.Second},
		{"wrapped with %w", fmt.Errorf("sync: %w", &Error{Code: GitHubRateLimit, Transient: true, RetryAfter: time.Second}), true, time.Second},
		{"transient under a permanent wrapper", &Error{Code: SyncFailed, Msg: "x", Err: Retryable(GitHubConnection, "net", nil)}, true, 0},
		{"joined", errors.Join(errors.New("a"), Retryable(Redis, "b", nil)), true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			transient, after := IsTransient(tc.err)
			if transient != tc.transient || after != tc.after {
				t.Fatalf("IsTransient(%v) = %v, %s; want %v, %s", tc.err, transient, after, tc.transient, tc.after)
			}
		})
	}
}

func TestCodeOf(t *testing.T) {
	if got := CodeOf(fmt.Errorf("x: %w", Retryable(Redis, "y", nil))); got != Redis {
		t.Fatalf("CodeOf a wrapped transient error = %s", got)
	}
	if got := CodeOf(errors.New("plain")); got != Internal {
		t.Fatalf("CodeOf a plain error = %s", got)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"userinfo and token", `clone "https://x-access-token:ghs_secret123@github.com/acme/x.git": token ghs_secret123 refused`, []string{"ghs_secret123"},
			`clone "https://[redacted]@github.com/acme/x.git": token [redacted] refused`},
		{"short secrets are not redacted", "abc in text", []string{"abc"}, "abc in text"},
		{"no secrets", "redis://:pw@h:1 down", nil, "redis://[redacted]@h:1 down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in, tc.secrets...); got != tc.want {
				t.Fatalf("Redact = %q, want %q", got, tc.want)
			}
		})
	}
}
