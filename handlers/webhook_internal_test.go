package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	gh "github.com/google/go-github/v60/github"
)

func TestSignatureVector(t *testing.T) {
	// GitHub's documented test vector for X-Hub-Signature-256.
	const (
		secret = "It's a Secret to Everybody"
		body   = "Hello, World!"
		sig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	h := &WebhookHandler{Secrets: [][]byte{[]byte("other"), []byte(secret)}}
	if !h.signedByAny(sig, []byte(body)) {
		t.Fatal("GitHub's documented vector does not verify")
	}
	if h.signedByAny(sig, []byte("Hello, World?")) {
		t.Fatal("a one-byte change to the body still verifies")
	}
	if h.signedByAny(sig[:len(sig)-1]+"f", []byte(body)) {
		t.Fatal("a one-byte change to the signature still verifies")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	if "sha256="+hex.EncodeToString(m.Sum(nil)) != sig {
		t.Fatal("the test's own signer disagrees with GitHub's vector")
	}
}

// TestPushRouteMatchesGoGitHub keeps the narrow routing decoder honest: it
// must read the same values as go-github's full PushEvent.
func TestPushRouteMatchesGoGitHub(t *testing.T) {
	ev := &gh.PushEvent{
		Ref: gh.String("refs/heads/main"), Before: gh.String("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
		After: gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"), Deleted: gh.Bool(false), Size: gh.Int(1),
		Repo: &gh.PushEventRepository{FullName: gh.String("acme/fabric-config"), Name: gh.String("fabric-config")},
		Commits: []*gh.HeadCommit{{
			ID:    gh.String("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
			Added: []string{"fabrics/dc1/raw/a.yaml"}, Removed: []string{"fabrics/dc1/raw/old.yaml"},
			Modified: []string{"fabrics/dc1/managed/vpcs/x.yaml"},
		}},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := gh.ParseWebHook("push", body)
	if err != nil {
		t.Fatal(err)
	}
	full := parsed.(*gh.PushEvent)
	var route pushRoute
	if err := json.Unmarshal(body, &route); err != nil {
		t.Fatal(err)
	}
	if route.Ref != full.GetRef() || route.Before != full.GetBefore() || route.After != full.GetAfter() ||
		route.Deleted != full.GetDeleted() || route.Repo.FullName != full.GetRepo().GetFullName() ||
		*route.Size != full.GetSize() || len(route.Commits) != len(full.Commits) {
		t.Fatalf("route %+v differs from go-github's %+v", route, full)
	}
	c := route.Commits[0]
	if fmt.Sprint(c.Added, c.Removed, c.Modified) != fmt.Sprint(full.Commits[0].Added, full.Commits[0].Removed, full.Commits[0].Modified) {
		t.Fatalf("commit files differ: %+v", c)
	}
}
