package jobs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/fabrics"
	"github.com/githedgehog/fgd-sync/fgderr"
)

// Remove deletes files in a commit, as a person pushing would.
func (r *fakeRemote) Remove(paths ...string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range paths {
		if _, ok := r.files[p]; !ok {
			panic("no file " + p)
		}
	}
	return r.commitLocked(nil, paths, "a person deletes "+fmt.Sprint(paths)+"\n")
}

// TestDeletionWarnings: a managed resource the user deletes while another
// still references it is a warning in the next sync's record; deleting it
// together with what references it is not.
func TestDeletionWarnings(t *testing.T) {
	st := newTestStore(t)
	const attach = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: server-1--leaf-1\n  subnet: vpc-1/default\n"
	oneVPC := map[string]string{"fab/raw/vpcs.yaml": vpcYAML("vpc-1", 1001), "fab/raw/attach.yaml": attach}
	twoVPCs := map[string]string{"fab/raw/vpcs.yaml": vpcYAML("vpc-1", 1001) + "---\n" + vpcYAML("vpc-2", 1002), "fab/raw/attach.yaml": attach}
	tests := []struct {
		name     string
		files    map[string]string
		created  int // by the first sync
		delete   []string
		wantRule string // the deletion warning's rule, "" for none
		// wantError: the attachment left behind is itself rejected (the
		// FGD still holds VPCs, not the one it names).
		wantError string
	}{
		{name: "the only VPC, referenced", files: oneVPC, created: 2, delete: []string{"fab/managed/vpcs/vpc-1.yaml"}, wantRule: "VPC-31"},
		{name: "a referenced VPC among others", files: twoVPCs, created: 3, delete: []string{"fab/managed/vpcs/vpc-1.yaml"}, wantRule: "VPC-31", wantError: "VA-5"},
		{name: "the attachment", files: twoVPCs, created: 3, delete: []string{"fab/managed/vpcattachments/a-1.yaml"}},
		{name: "the VPC with its attachment", files: twoVPCs, created: 3, delete: []string{"fab/managed/vpcs/vpc-1.yaml", "fab/managed/vpcattachments/a-1.yaml"}},
		{name: "an unreferenced VPC", files: twoVPCs, created: 3, delete: []string{"fab/managed/vpcs/vpc-2.yaml"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSyncEnv(t, st, fabrics.Fabric{Name: fmt.Sprintf("del%d", i)}, tc.files)
			first := fmt.Sprintf("s-del-%d-1", i)
			if err := e.run(t.Context(), SyncPayload{SyncID: first}); err != nil {
				t.Fatal(err)
			}
			if rec := e.record(t, first); len(rec.Errors) != 0 || rec.Counts.ResourcesCreated != tc.created {
				t.Fatalf("first sync: errors %+v counts %+v", rec.Errors, rec.Counts)
			}
			e.remote.Remove(tc.delete...)

			second := fmt.Sprintf("s-del-%d-2", i)
			if err := e.run(t.Context(), SyncPayload{SyncID: second}); err != nil {
				t.Fatal(err)
			}
			rec := e.record(t, second)
			if tc.wantError == "" && len(rec.Errors) != 0 ||
				tc.wantError != "" && (len(rec.Errors) != 1 || rec.Errors[0].Rule != tc.wantError || rec.Errors[0].File != "managed/vpcattachments/a-1.yaml") {
				t.Fatalf("second sync: errors %+v, want %q", rec.Errors, tc.wantError)
			}
			// A warning on a deleted file can only be a deletion warning.
			deleted := map[string]bool{}
			for _, p := range tc.delete {
				deleted[strings.TrimPrefix(p, "fab/")] = true
			}
			var got []string
			for _, w := range rec.Warnings {
				if !deleted[w.File] {
					continue
				}
				if w.Code != fgderr.Integrity || w.Rule != tc.wantRule || w.File != "managed/vpcs/vpc-1.yaml" || !strings.Contains(w.Message, `VPCAttachment "a-1"`) {
					t.Fatalf("deletion warning %s, want %s on managed/vpcs/vpc-1.yaml naming the attachment", w, tc.wantRule)
				}
				got = append(got, w.String())
			}
			if want := btoi(tc.wantRule != ""); len(got) != want {
				t.Fatalf("deletion warnings %q, want %d; all warnings %+v", got, want, rec.Warnings)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
