package handlers

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"
)

// routeOf is what go-github's full decode says about a push, in pushRoute's
// terms: the reference the narrow reader is held to.
func routeOf(ev *gh.PushEvent) pushRoute {
	p := pushRoute{Ref: ev.GetRef(), Before: ev.GetBefore(), After: ev.GetAfter(), Deleted: ev.GetDeleted(),
		Size: ev.Size, Repository: ev.GetRepo().GetFullName()}
	for _, c := range ev.Commits {
		if c == nil {
			p.Commits = append(p.Commits, commitFiles{})
			continue
		}
		p.Commits = append(p.Commits, commitFiles{Added: c.Added, Removed: c.Removed, Modified: c.Modified})
	}
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPushRouteMatchesGoGitHub keeps the narrow reader honest: on GitHub's
// push shape and on the odd corners of JSON that encoding/json accepts, it
// reads what go-github's PushEvent holds, and refuses what go-github
// refuses.
func TestPushRouteMatchesGoGitHub(t *testing.T) {
	real := string(readTestdata(t, "push.json"))
	tests := []struct {
		name    string
		payload string
		refused bool
	}{
		{name: "GitHub's push", payload: real},
		{name: "names in another case", payload: `{"REF":"refs/heads/main","After":"a","Repository":{"Full_Name":"acme/x"},"Commits":[{"Added":["a"]}]}`},
		{name: "a repeated name: the last wins", payload: `{"ref":"refs/heads/a","ref":"refs/heads/b","after":"x","after":"y"}`},
		{name: "nulls", payload: `{"ref":null,"size":null,"deleted":null,"repository":null,"commits":[null,{"added":null,"removed":[null,"b"]}]}`},
		{name: "commits null", payload: `{"ref":"refs/heads/main","commits":null}`},
		{name: "escapes", payload: `{"ref":"refs\/heads\/ma\u0069n","repository":{"full_name":"acme\/x"},"commits":[{"added":["fabrics/dc1/\u00e9t\u00e9.yaml"]}]}`},
		{name: "no field of interest", payload: `{"zen":"Design for failure.","hook_id":1}`},
		{name: "null payload", payload: `null`},
		{name: "ref of another type", payload: `{"ref":7}`, refused: true},
		{name: "deleted of another type", payload: `{"deleted":"yes"}`, refused: true},
		{name: "size not an integer", payload: `{"size":1.5}`, refused: true},
		{name: "repository of another type", payload: `{"repository":"acme/x"}`, refused: true},
		{name: "commits of another type", payload: `{"commits":{}}`, refused: true},
		{name: "a file of another type", payload: `{"commits":[{"added":[1]}]}`, refused: true},
		{name: "an array payload", payload: `[]`, refused: true},
	}
	var parsers jsonParsers
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev gh.PushEvent
			refErr := json.Unmarshal([]byte(tc.payload), &ev)
			got, err := parsers.pushRoute([]byte(tc.payload))
			if (refErr != nil) != tc.refused || (err != nil) != tc.refused {
				t.Fatalf("go-github: %v, narrow reader: %v; want refused=%v", refErr, err, tc.refused)
			}
			if tc.refused {
				return
			}
			if want := routeOf(&ev); !reflect.DeepEqual(got, want) {
				t.Fatalf("narrow reader %+v\ngo-github     %+v", got, want)
			}
		})
	}
	if !strings.Contains(real, `"commits"`) {
		t.Fatal("testdata/push.json lost its commits")
	}
}
