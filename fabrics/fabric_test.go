package fabrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
)

func TestLoadFile(t *testing.T) {
	list, err := LoadFile("testdata/fabrics.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d fabrics", len(list))
	}
	dc1, lab := list[0], list[1]
	if dc1.Name != "dc1" || dc1.Branch != "main" || dc1.Path != "." || dc1.Namespace != "default" ||
		dc1.SyncInterval.Duration != 5*time.Minute || dc1.WriteMode != WriteModePush {
		t.Fatalf("dc1: %+v", dc1)
	}
	if lab.Branch != "main" || lab.Path != "fabrics/lab" || lab.SyncInterval.Duration != 0 || lab.WriteMode != WriteModePullRequest {
		t.Fatalf("lab (defaults, explicit 0 interval): %+v", lab)
	}
}

func TestInvalidFabrics(t *testing.T) {
	base := "name: dc1\n    repository: acme/fabric-config\n"
	tests := []struct {
		name  string
		yaml  string
		field string
		code  fgderr.Code
	}{
		{"name not a DNS label", "name: DC_1\n    repository: acme/x\n", "name", fgderr.InvalidStructure},
		{"repository without owner", "name: dc1\n    repository: fabric\n", "repository", fgderr.InvalidStructure},
		{"repository with extra part", "name: dc1\n    repository: a/b/c\n", "repository", fgderr.InvalidStructure},
		{"absolute path", base + "    path: /etc\n", "path", fgderr.PathEscape},
		{"path with ..", base + "    path: a/../../b\n", "path", fgderr.PathEscape},
		{"path .git", base + "    path: .git\n", "path", fgderr.PathEscape},
		{"path under .git", base + "    path: .git/hooks\n", "path", fgderr.PathEscape},
		{"path under .GIT", base + "    path: sub/.GIT/x\n", "path", fgderr.PathEscape},
		{"bad branch", base + "    branch: 'feature..x'\n", "branch", fgderr.InvalidStructure},
		{"branch with spaces", base + "    branch: 'my branch'\n", "branch", fgderr.InvalidStructure},
		{"write mode", base + "    write_mode: force\n", "write_mode", fgderr.InvalidStructure},
		{"sync interval", base + "    sync_interval: often\n", "fabrics", fgderr.InvalidYAML},
		{"negative interval", base + "    sync_interval: -5m\n", "sync_interval", fgderr.InvalidStructure},
		{"namespace", base + "    namespace: Not_Valid\n", "namespace", fgderr.InvalidStructure},
		{"clone url with credentials", base + "    clone_url: https://x:tok@github.com/a/b.git\n", "clone_url", fgderr.InvalidStructure},
		{"clone url scheme", base + "    clone_url: ssh://github.com/a/b.git\n", "clone_url", fgderr.InvalidStructure},
		{"unknown key", base + "    colour: blue\n", "fabrics", fgderr.InvalidYAML},
		{"duplicate name", base + "  - " + base, "name", fgderr.InvalidStructure},
		{"overlap at root", base + "  - name: dc2\n    repository: ACME/fabric-config\n    path: sub\n", "path", fgderr.InvalidStructure},
		{"overlap nested", base + "    path: a\n  - name: dc2\n    repository: acme/fabric-config\n    path: a/b\n", "path", fgderr.InvalidStructure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("fabrics:\n  - " + tc.yaml))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FieldError", err)
			}
			if fe.Field != tc.field || fe.Code != tc.code || fe.Msg == "" {
				t.Fatalf("err = %+v, want field %s code %s", fe, tc.field, tc.code)
			}
		})
	}
}

// TestCheckRemotes: a clone_url off the allow list is an FGD_2002 error
// naming the fabric and the field, without the URL's credentials.
func TestCheckRemotes(t *testing.T) {
	allowed := github.AllowedRemotes{"https://github.com/", "http://127.0.0.1:9418/git/"}
	tests := []struct {
		name   string
		yaml   string
		fabric string // the fabric the error names; "" when allowed
	}{
		{"default clone URL", "  - {name: a, repository: acme/x}\n", ""},
		{"allowed prefixes", "  - {name: a, repository: acme/x, clone_url: 'https://GitHub.com/acme/x.git'}\n  - {name: b, repository: acme/y, clone_url: 'http://127.0.0.1:9418/git/y.git'}\n", ""},
		{"plain http", "  - {name: a, repository: acme/x}\n  - {name: b, repository: acme/y, clone_url: 'http://github.com/acme/y.git'}\n", "b"},
		{"local path", "  - {name: c, repository: acme/x, clone_url: /srv/git/x.git}\n", "c"},
		{"file URL", "  - {name: d, repository: acme/x, clone_url: 'file:///srv/git/x.git'}\n", "d"},
		{"other host", "  - {name: e, repository: acme/x, clone_url: 'https://git.evil.example/acme/x.git'}\n", "e"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := Parse([]byte("fabrics:\n" + tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckRemotes(list, allowed)
			if tc.fabric == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Fabric != tc.fabric || fe.Field != "clone_url" || fe.Code != fgderr.PathEscape {
				t.Fatalf("want FGD_2002 on %s.clone_url, got %v", tc.fabric, err)
			}
			if msg := err.Error(); !strings.Contains(msg, `fabric "`+tc.fabric+`"`) || !strings.Contains(msg, "clone_url") || !strings.Contains(msg, "HEDGEHOG_FGD_GIT_ALLOWED_URLS") {
				t.Fatalf("the message does not say what to fix: %s", msg)
			}
		})
	}
}

func TestNoOverlap(t *testing.T) {
	list, err := Parse([]byte(`fabrics:
  - {name: a, repository: acme/x, path: fabrics/a}
  - {name: b, repository: acme/x, path: fabrics/ab}
  - {name: c, repository: acme/x, path: fabrics/a, branch: other}
`))
	if err != nil || len(list) != 3 {
		t.Fatalf("sibling paths and other branches must not overlap: %v", err)
	}
}

func TestTouches(t *testing.T) {
	tests := []struct {
		path, file string
		want       bool
	}{
		{".", "anything/at/all.yaml", true},
		{"fabrics/dc1", "fabrics/dc1/raw/a.yaml", true},
		{"fabrics/dc1", "fabrics/dc1", true},
		{"fabrics/dc1", "fabrics/dc10/raw/a.yaml", false},
		{"fabrics/dc1", "other/fabrics/dc1/a.yaml", false},
	}
	for _, tc := range tests {
		if got := (Fabric{Path: tc.path}).Touches(tc.file); got != tc.want {
			t.Errorf("Touches(%q, %q) = %v", tc.path, tc.file, got)
		}
	}
}

func TestStaticIndex(t *testing.T) {
	list, _ := LoadFile("testdata/fabrics.yaml")
	idx := NewStaticIndex(list)
	got, _ := idx.ByRepository(context.Background(), "ACME/Fabric-Config")
	if len(got) != 1 || got[0].Name != "dc1" {
		t.Fatalf("lookup: %+v", got)
	}
	if got, _ := idx.ByRepository(context.Background(), "acme/none"); len(got) != 0 {
		t.Fatalf("unknown repo: %+v", got)
	}
}

// BenchmarkStaticIndex shows that matching does not grow with the number of
// registered fabrics.
func BenchmarkStaticIndex(b *testing.B) {
	for _, n := range []int{10, 1000} {
		var sb strings.Builder
		sb.WriteString("fabrics:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "  - {name: f%d, repository: acme/r%d}\n", i, i)
		}
		list, err := Parse([]byte(sb.String()))
		if err != nil {
			b.Fatal(err)
		}
		idx := NewStaticIndex(list)
		b.Run(fmt.Sprintf("fabrics=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if got, _ := idx.ByRepository(context.Background(), "acme/r7"); len(got) != 1 {
					b.Fatal("no match")
				}
			}
		})
	}
}
