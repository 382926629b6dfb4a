package fgdsync_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// stage is one FROM of the Dockerfile with its instructions.
type stage struct {
	image, name  string
	instructions []*parser.Node
}

// buildArgs are what `docker build --build-arg` would pass; an ARG the
// stage does not declare stays unset there, as in Docker.
type buildArgs map[string]string

func (a buildArgs) Get(k string) (string, bool) { v, ok := a[k]; return v, ok }
func (a buildArgs) Keys() []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	return ks
}

// TestDockerfile parses the Dockerfile with BuildKit's own parser (Docker
// cannot run here) and checks the image it promises: built static and
// stamped like `make build`, run from distroless as a non-root user, with
// the OCI labels filled from the build arguments.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	var stages []stage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			s := stage{image: n.Next.Value}
			if n.Next.Next != nil && strings.EqualFold(n.Next.Next.Value, "as") {
				s.name = n.Next.Next.Next.Value
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			continue // global ARGs
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, n)
	}
	if len(stages) < 2 {
		t.Fatalf("want a build stage and a run stage, got %d stages", len(stages))
	}
	build, run := stages[0], stages[len(stages)-1]

	t.Run("build stage", func(t *testing.T) {
		script := strings.Join(values(build, "run"), "\n")
		for _, want := range []string{
			"CGO_ENABLED=0",
			"github.com/githedgehog/fgd-sync/internal/buildinfo",
			".Version=${VERSION}", ".Commit=${COMMIT}",
			"-o /out/fgd-webhook ./cmd/webhook", "-o /out/fgd-worker ./cmd/worker", "-o /out/fgdctl ./cmd/fgdctl",
		} {
			if !strings.Contains(script, want) {
				t.Errorf("build stage RUN lacks %q", want)
			}
		}
		for _, arg := range []string{"VERSION", "COMMIT"} {
			if !declaresArg(build, arg) {
				t.Errorf("build stage does not declare ARG %s", arg)
			}
		}
	})

	t.Run("run stage", func(t *testing.T) {
		if run.image != "gcr.io/distroless/static-debian12:nonroot" {
			t.Errorf("run stage is based on %q, want gcr.io/distroless/static-debian12:nonroot", run.image)
		}
		if runs := values(run, "run"); len(runs) > 0 {
			t.Errorf("run stage has RUN %q, but distroless has no shell", runs)
		}
		users := values(run, "user")
		if len(users) == 0 {
			t.Fatal("run stage sets no USER, so it runs as the base image's user")
		}
		user, _, _ := strings.Cut(users[len(users)-1], ":")
		if user == "" || user == "root" || user == "0" {
			t.Errorf("run stage runs as %q, want a non-root user", users[len(users)-1])
		}
		copies := values(run, "copy")
		if !slices.ContainsFunc(copies, func(c string) bool { return strings.Contains(c, "/out/ /usr/local/bin/") }) {
			t.Errorf("run stage does not copy the binaries to /usr/local/bin (compose.yaml runs them from there): %q", copies)
		}
	})

	t.Run("OCI labels", func(t *testing.T) {
		supplied := buildArgs{"VERSION": "v1.2.3", "COMMIT": "0a1b2c3d", "CREATED": "2026-01-02T03:04:05Z"}
		declared := buildArgs{}
		for k, v := range supplied {
			if declaresArg(run, k) {
				declared[k] = v
			}
		}
		labels := map[string]string{}
		lex := shell.NewLex(res.EscapeToken)
		for _, n := range run.instructions {
			if !strings.EqualFold(n.Value, "label") {
				continue
			}
			// BuildKit gives each pair as three nodes: key, value, "=".
			for kv := n.Next; kv != nil; kv = kv.Next.Next.Next {
				if kv.Next == nil || kv.Next.Next == nil || kv.Next.Next.Value != "=" {
					t.Fatalf("LABEL %s is not written key=value", kv.Value)
				}
				v, _, err := lex.ProcessWord(kv.Next.Value, declared)
				if err != nil {
					t.Fatalf("LABEL %s: %v", kv.Value, err)
				}
				labels[kv.Value] = v
			}
		}
		want := map[string]string{
			"org.opencontainers.image.title":    "fgd-sync",
			"org.opencontainers.image.source":   "https://github.com/githedgehog/fgd-sync",
			"org.opencontainers.image.version":  supplied["VERSION"],
			"org.opencontainers.image.revision": supplied["COMMIT"],
			"org.opencontainers.image.created":  supplied["CREATED"],
		}
		for k, v := range want {
			if labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, labels[k], v)
			}
		}
		for _, k := range []string{"org.opencontainers.image.description", "org.opencontainers.image.licenses"} {
			if labels[k] == "" {
				t.Errorf("label %s is missing", k)
			}
		}
	})
}

// values are the arguments of a stage's instructions of one kind, as written.
func values(s stage, instruction string) []string {
	var out []string
	for _, n := range s.instructions {
		if !strings.EqualFold(n.Value, instruction) {
			continue
		}
		var words []string
		for w := n.Next; w != nil; w = w.Next {
			words = append(words, w.Value)
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

func declaresArg(s stage, name string) bool {
	return slices.ContainsFunc(values(s, "arg"), func(a string) bool {
		k, _, _ := strings.Cut(a, "=")
		return k == name
	})
}
