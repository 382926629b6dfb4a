package jobs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/github"
	"github.com/githedgehog/fgd-sync/store"
)

// TestRetryReportsWhatWasIngested: after pushes refused because the
// branch moved, the record holds the last attempt's warnings once, and the
// final statuses and the check run go on the head that attempt ingested
// and on the bot's commit; the heads of earlier attempts get their pending
// status resolved, and no check run.
func TestRetryReportsWhatWasIngested(t *testing.T) {
	st := newTestStore(t)
	bad := strings.Replace(vpcYAML("vpc-bad", 1003), "vlan: 1003", "vlan: lots", 1)
	tests := []struct {
		name      string
		moves     int
		app       bool
		writeMode string
		files     map[string]string
		wantState string // the final commit status
	}{
		{"first push lands", 0, true, "", map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/notes.txt": "n"}, github.StatusSuccess},
		{"one retry", 1, true, "", map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/notes.txt": "n"}, github.StatusSuccess},
		{"two retries, token", 2, false, "", map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/notes.txt": "n"}, github.StatusSuccess},
		{"one retry, a rejected file", 1, true, "", map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/notes.txt": "n", "fab/raw/bad.yaml": bad}, github.StatusFailure},
		{"pull request", 0, true, fabrics.WriteModePullRequest, map[string]string{"fab/raw/vpc-1.yaml": vpcYAML("vpc-1", 1001), "fab/raw/notes.txt": "n"}, github.StatusSuccess},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("rep%d", i), WriteMode: tc.writeMode}, tc.files)
			e.gh.app = tc.app
			heads := []string{e.remote.Head()}
			e.remote.beforePush = func(r *fakeRemote) {
				if len(heads) <= tc.moves {
					heads = append(heads, r.Push(map[string]string{fmt.Sprintf("docs/%d.md", len(heads)): "x"}, "a person's commit\n"))
				}
			}
			id := fmt.Sprintf("s-rep-%d", i)
			if err := e.run(t.Context(), SyncPayload{SyncID: id}); err != nil {
				t.Fatal(err)
			}
			rec := e.record(t, id)
			ingested := heads[len(heads)-1]
			if rec.Head != ingested || rec.Commit == "" {
				t.Fatalf("record head %s commit %q, want head %s", rec.Head, rec.Commit, ingested)
			}
			// The last attempt's warnings, each once: the one about
			// raw/notes.txt, and the VPC's namespaces the FGD does not hold.
			var notes int
			seen := map[string]bool{}
			for _, w := range rec.Warnings {
				if w.File == "raw/notes.txt" && w.Code == fgderr.UnsupportedResource {
					notes++
				}
				if seen[w.String()] {
					t.Fatalf("warning %s twice in %+v", w, rec.Warnings)
				}
				seen[w.String()] = true
			}
			if notes != 1 || len(rec.Warnings) != 3 {
				t.Fatalf("warnings %+v, want the one about raw/notes.txt and the two about the VPC's namespaces", rec.Warnings)
			}
			final := e.gh.finalStatuses()
			want := map[string]string{ingested: tc.wantState, rec.Commit: tc.wantState}
			for _, h := range heads[:len(heads)-1] {
				want[h] = tc.wantState // resolved: never left pending
			}
			if !maps.Equal(final, want) {
				t.Fatalf("final statuses %v, want %v", final, want)
			}
			for _, s := range e.gh.statuses {
				if s.SHA != ingested && s.SHA != rec.Commit && s.State != github.StatusPending && !strings.HasPrefix(s.Description, "ingested with "+shortSHA(ingested)) {
					t.Fatalf("an earlier head's status does not name the head ingested: %+v", s)
				}
			}
			wantRuns := []postedCheckRun(nil)
			if tc.app {
				conclusion := "success"
				if tc.wantState == github.StatusFailure {
					conclusion = "failure"
				}
				wantRuns = []postedCheckRun{{ingested, conclusion}}
			}
			if !slices.Equal(e.gh.checkRuns, wantRuns) {
				t.Fatalf("check runs %+v, want %+v", e.gh.checkRuns, wantRuns)
			}
			if tc.wantState == github.StatusFailure && (rec.State != store.StatePartial || len(rec.Errors) != 1) {
				t.Fatalf("record %s errors %+v", rec.State, rec.Errors)
			}
		})
	}
}
