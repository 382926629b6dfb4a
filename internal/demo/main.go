// Command demo is `make demo`: the whole sync on a fresh machine, with no
// GitHub and no Redis installed. It serves a temporary bare repository with
// git http-backend on loopback, starts the real webhook server (with its
// embedded Redis and worker), sends a signed push webhook, waits for the
// sync, and prints the managed tree, the commit and the sync record.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/githedgehog/fgd-sync/internal/gittest"
	"github.com/githedgehog/fgd-sync/internal/syncbuf"
	"github.com/githedgehog/fgd-sync/redisconn"
	"github.com/githedgehog/fgd-sync/store"
)

// demoT lets gittest run outside a test: a failure ends the demo.
type demoT struct {
	dirs     []string
	cleanups []func()
}

func (d *demoT) Helper()                           {}
func (d *demoT) Fatal(args ...any)                 { d.fail(fmt.Sprint(args...)) }
func (d *demoT) Fatalf(format string, args ...any) { d.fail(fmt.Sprintf(format, args...)) }
func (d *demoT) Cleanup(f func())                  { d.cleanups = append(d.cleanups, f) }
func (d *demoT) TempDir() string {
	dir, err := os.MkdirTemp("", "fgd-demo")
	if err != nil {
		d.fail(err.Error())
	}
	d.dirs = append(d.dirs, dir)
	return dir
}

func (d *demoT) close() {
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
	for _, dir := range d.dirs {
		_ = os.RemoveAll(dir)
	}
}

func (d *demoT) fail(msg string) {
	fmt.Fprintln(os.Stderr, "demo failed:", msg)
	d.close()
	os.Exit(1)
}

const secret = "demo-webhook-secret"

const sample = `# Two VPCs and a ConfigMap, the way people drop YAML into raw/.
apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-1
spec:
  subnets:
    default:
      subnet: 10.0.1.0/24
      vlan: 1001
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: vpc-2
  resourceVersion: "42"
spec:
  subnets:
    default:
      subnet: 10.0.2.0/24
      vlan: 1002
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  owner: network-team
`

func main() {
	t := &demoT{}
	defer t.close()

	fmt.Println("1. A bare repository served by git http-backend on loopback, with raw/ YAML in it")
	git := gittest.New(t, gittest.Options{})
	userHead := git.Commit(map[string]string{"raw/site-a/vpcs.yaml": sample, "raw/switch.yaml": switchYAML}, nil, "add raw fabric YAML")
	fmt.Printf("   %s  (head %s)\n", git.RepoURL(), userHead[:12])

	fmt.Println("2. The webhook server and a worker on the embedded Redis")
	dir := t.TempDir()
	fabricsFile := filepath.Join(dir, "fabrics.yaml")
	if err := os.WriteFile(fabricsFile, []byte("fabrics:\n  - name: dc1\n    repository: acme/fabric-config\n    clone_url: "+git.RepoURL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fgd-webhook")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/webhook").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port := freePort(t)
	server := exec.Command(bin)
	server.Env = append(cleanEnv(),
		"HEDGEHOG_FGD_LISTEN_ADDR=127.0.0.1:"+port,
		"HEDGEHOG_FGD_GITHUB_WEBHOOK_SECRET="+secret,
		"HEDGEHOG_FGD_FABRICS_FILE="+fabricsFile,
		"HEDGEHOG_FGD_DATA_DIR="+filepath.Join(dir, "cache"),
		"HEDGEHOG_FGD_GIT_ALLOWED_URLS="+git.URL+"/", // the loopback git server only
	)
	out := &syncbuf.Buffer{}
	server.Stdout, server.Stderr = out, out
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGTERM)
		_ = server.Wait()
	})
	base := "http://127.0.0.1:" + port
	waitFor(t, 30*time.Second, "the server to serve /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	fmt.Printf("   %s/webhooks/github\n", base)

	fmt.Println("3. A signed push webhook")
	syncID := sendPush(t, base, userHead)
	fmt.Printf("   queued sync %s\n", syncID)

	fmt.Println("4. Waiting for the sync")
	redisURL := embeddedRedis(t, out)
	rdb, err := redisconn.Open(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, "")
	var rec *store.Record
	waitFor(t, 60*time.Second, "the sync to finish", func() bool {
		r, err := st.GetRecord(context.Background(), syncID)
		if err == nil && (r.State == store.StateSucceeded || r.State == store.StatePartial || r.State == store.StateFailed) {
			rec = r
			return true
		}
		return false
	})

	fmt.Println("5. The result")
	tree := git.Tree("main")
	fmt.Println("   files on main:")
	for _, f := range gittest.Files(tree, "") {
		fmt.Println("     " + f)
	}
	fmt.Printf("\n   managed/vpcs/vpc-2.yaml:\n%s\n", indent(tree["managed/vpcs/vpc-2.yaml"]))
	log := git.Log("main")
	fmt.Printf("   commit %s by %s <%s>:\n%s\n", log[0].Hash[:12], log[0].Author, log[0].Email, indent(log[0].Message))
	b, _ := json.MarshalIndent(rec, "   ", "  ")
	fmt.Printf("   sync record:\n   %s\n", b)
	if rec.State != store.StateSucceeded {
		t.Fatalf("the sync ended %s", rec.State)
	}
}

const switchYAML = `apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata:
  name: leaf-1
  annotations:
    fabric.githedgehog.com/rack: r1
spec:
  role: server-leaf
  asn: 65101
`

func sendPush(t *demoT, base, head string) string {
	body, _ := json.Marshal(&gh.PushEvent{
		Ref: gh.String("refs/heads/main"), After: gh.String(head),
		Repo:    &gh.PushEventRepository{FullName: gh.String("acme/fabric-config")},
		Commits: []*gh.HeadCommit{{ID: gh.String(head), Added: []string{"raw/site-a/vpcs.yaml", "raw/switch.yaml"}}},
	})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "demo-delivery-1")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var ans struct {
		SyncIDs []string `json:"sync_ids"`
	}
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &ans) != nil || len(ans.SyncIDs) != 1 {
		t.Fatalf("webhook answered %d %s", resp.StatusCode, raw)
	}
	return ans.SyncIDs[0]
}

// embeddedRedis reads the embedded Redis's address from the server's log.
func embeddedRedis(t *demoT, out *syncbuf.Buffer) string {
	var url string
	waitFor(t, 10*time.Second, "the embedded Redis address in the log", func() bool {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				if u, ok := line["embedded_redis"].(string); ok {
					url = u
					return true
				}
			}
		}
		return false
	})
	return url
}

func waitFor(t *demoT, within time.Duration, what string, cond func() bool) {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *demoT) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// cleanEnv drops HEDGEHOG_FGD_* so that the demo always runs embedded.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HEDGEHOG_FGD_") {
			env = append(env, kv)
		}
	}
	return env
}

func indent(s string) string {
	return "     " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n     ")
}
