package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/githedgehog/fgd-sync/internal/githubfake"
	"github.com/githedgehog/fgd-sync/store"
)

// TestGitHubApp: with App credentials, the worker finds the installation
// with a JWT, mints an installation token once and reuses it, uses it for
// git and the API, and creates a check run annotating the rejected file.
func TestGitHubApp(t *testing.T) {
	const installationToken = "ghs_installationTokenFromTheApp01"
	e := newEnv(t, envOptions{gitToken: installationToken})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	e.api.App = &githubfake.App{ID: 4242, Key: &key.PublicKey, InstallationID: 77, InstallationToken: installationToken}
	cfg := e.cfg("")
	cfg.GitHubAppID, cfg.GitHubAppKeyFile = 4242, keyFile
	e.startWorkerWith(cfg)

	bad := strings.Replace(vpc("vpc-bad", 1003), "vlan: 1003", "vlan: lots", 1)
	head := e.git.Commit(map[string]string{"raw/good.yaml": vpc("vpc-good", 1001), "raw/bad.yaml": bad}, nil, "raw")
	rec := e.waitRecord(e.push("delivery-app-1", "raw/good.yaml", "raw/bad.yaml")[0], time.Minute)
	if rec.State != store.StatePartial || rec.Commit == "" {
		t.Fatalf("record %+v", rec)
	}
	runs := e.api.CheckRuns()
	if len(runs) != 1 || runs[0].Options.HeadSHA != head || runs[0].Options.GetConclusion() != "failure" || len(runs[0].Annotations) != 1 {
		t.Fatalf("check runs %+v", runs)
	}
	a := runs[0].Annotations[0]
	if a.GetPath() != "raw/bad.yaml" || a.GetStartLine() != 9 || !strings.Contains(a.GetMessage(), "spec.subnets.default.vlan") {
		t.Fatalf("annotation %+v", a)
	}
	// A second sync reuses the cached installation token.
	e.git.Commit(map[string]string{"raw/more.yaml": vpc("vpc-more", 1004)}, nil, "more")
	e.waitRecord(e.push("delivery-app-2", "raw/more.yaml")[0], time.Minute)
	if n := e.api.TokensMinted(); n != 1 {
		t.Fatalf("%d installation tokens minted for two syncs, want 1 (cached)", n)
	}
	if !hasStatus(e, head, "failure") {
		t.Fatalf("statuses %+v", e.api.Statuses())
	}
	if strings.Contains(e.logs.String(), installationToken) {
		t.Fatal("the installation token is in the logs")
	}
}
