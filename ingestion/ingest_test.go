package ingestion

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// TestFixtures runs every case under testdata/cases through Ingest and checks
// what the ingestion rules of docs/contract.md say must happen.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, in fstest.MapFS, p *Plan)
	}{
		{"multi-bad", func(t *testing.T, in fstest.MapFS, p *Plan) {
			// One bad document keeps the whole file, and the error names its line.
			errs := errorsOf(p, "raw/fabric.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.SchemaValidation || errs[0].Line != 17 || errs[0].Path != "spec.asn" {
				t.Fatalf("errors %+v, want one FGD_1003 at line 17 spec.asn", errs)
			}
			if len(p.Writes) != 0 || len(p.Removes) != 0 || !contains(p.Rejected, "raw/fabric.yaml") {
				t.Fatalf("the file must stay whole: writes %d removes %v", len(p.Writes), p.Removes)
			}
		}},
		{"configmap", func(t *testing.T, in fstest.MapFS, p *Plan) {
			got := writesOf(p)["unmanaged/settings.yaml"]
			if !bytes.Equal(got, in["raw/settings.yaml"].Data) {
				t.Fatalf("unmanaged copy is not verbatim:\n%s", got)
			}
			if !contains(p.Removes, "raw/settings.yaml") || len(p.Errors) != 0 || p.Counts.FilesUnmanaged != 1 {
				t.Fatalf("plan %+v", p)
			}
		}},
		{"mixed", func(t *testing.T, in fstest.MapFS, p *Plan) {
			w := writesOf(p)
			if _, ok := w["managed/vpcs/vpc-mixed.yaml"]; !ok {
				t.Fatal("VPC not managed")
			}
			if _, ok := w["managed/vlannamespaces/lab.yaml"]; !ok {
				t.Fatal("VLANNamespace not managed")
			}
			un := string(w["unmanaged/site.yaml"])
			if !strings.Contains(un, "# The secret reference for the site's DHCP relay.") || !strings.Contains(un, "kind: ConfigMap") || strings.Contains(un, "kind: VPC") {
				t.Fatalf("unmanaged part:\n%s", un)
			}
			if !contains(p.Removes, "raw/site.yaml") {
				t.Fatal("mixed file not removed")
			}
		}},
		{"nested", func(t *testing.T, in fstest.MapFS, p *Plan) {
			got := string(writesOf(p)["managed/switches/leaf-a1.yaml"])
			if !strings.Contains(got, "fabric.githedgehog.com/rack: a1") {
				t.Fatalf("switch from nested folder:\n%s", got)
			}
			if !contains(p.Removes, "raw/site-a/rack-1/switches.yaml") {
				t.Fatal("nested raw file not removed")
			}
		}},
		{"update", func(t *testing.T, in fstest.MapFS, p *Plan) {
			if len(p.Writes) != 1 || p.Writes[0].Path != "managed/vpcs/vpc-1.yaml" || p.Writes[0].Kind != WriteUpdate {
				t.Fatalf("writes %+v, want one update of managed/vpcs/vpc-1.yaml", p.Writes)
			}
			if !strings.Contains(string(p.Writes[0].Content), "10.0.11.0/24") || p.Counts.ResourcesUpdated != 1 {
				t.Fatalf("update content:\n%s", p.Writes[0].Content)
			}
		}},
		{"conflict", func(t *testing.T, in fstest.MapFS, p *Plan) {
			for file, other := range map[string]string{"raw/a.yaml": "raw/b.yaml", "raw/b.yaml": "raw/a.yaml"} {
				errs := errorsOf(p, file)
				if len(errs) != 1 || errs[0].Code != fgderr.DuplicateResource || !strings.Contains(errs[0].Message, other) {
					t.Fatalf("%s: errors %+v, want FGD_1005 naming %s", file, errs, other)
				}
			}
			// b.yaml's other resource does not land either: files are all or nothing.
			if len(p.Writes) != 0 || len(p.Removes) != 0 {
				t.Fatalf("writes %v removes %v", sortedPaths(writesOf(p)), p.Removes)
			}
		}},
		{"server-fields", func(t *testing.T, in fstest.MapFS, p *Plan) {
			got := string(writesOf(p)["managed/vpcs/exported.yaml"])
			for _, gone := range []string{"status", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "managedFields", "last-applied-configuration", "allocated"} {
				if strings.Contains(got, gone) {
					t.Errorf("%s survived normalization", gone)
				}
			}
			for _, kept := range []string{"team: network", "owner: alice", "apiVersion: vpc.githedgehog.com/v1beta1"} {
				if !strings.Contains(got, kept) {
					t.Errorf("%q was lost", kept)
				}
			}
		}},
		{"escape-name", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/evil.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.PathEscape || errs[0].Line != 4 || errs[0].Path != "metadata.name" {
				t.Fatalf("errors %+v, want FGD_2002 at line 4", errs)
			}
			if len(p.Writes) != 0 {
				t.Fatalf("writes %v", sortedPaths(writesOf(p)))
			}
		}},
		{"unknown-kind", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/typo.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.UnsupportedResource || errs[0].Line != 2 || !strings.Contains(errs[0].Message, "VPCAttachment") {
				t.Fatalf("errors %+v, want FGD_1002 at line 2 listing the group's kinds", errs)
			}
		}},
		{"wrong-type", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/vpc.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.SchemaValidation || errs[0].Line != 9 || errs[0].Path != "spec.subnets.default.vlan" {
				t.Fatalf("errors %+v, want FGD_1003 at line 9 spec.subnets.default.vlan", errs)
			}
		}},
		{"yaml11", func(t *testing.T, in fstest.MapFS, p *Plan) {
			got := writesOf(p)["managed/vpcs/yaml11.yaml"]
			var obj map[string]any
			if err := yaml.Unmarshal(got, &obj); err != nil {
				t.Fatal(err)
			}
			dhcp := obj["spec"].(map[string]any)["subnets"].(map[string]any)["default"].(map[string]any)["dhcp"].(map[string]any)
			label := obj["metadata"].(map[string]any)["labels"].(map[string]any)["legacy"]
			// kubectl reads an unquoted on as true, and a quoted "no" as a string.
			if dhcp["enable"] != true || label != "no" {
				t.Fatalf("enable=%v legacy=%#v in\n%s", dhcp["enable"], label, got)
			}
			if !strings.Contains(string(got), `legacy: "no"`) || !strings.Contains(string(got), "enable: true") {
				t.Fatalf("normalized text loses the meaning:\n%s", got)
			}
		}},
		{"version-mismatch", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/old.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.VersionMismatch || !strings.Contains(errs[0].Message, "v1beta1") {
				t.Fatalf("errors %+v, want FGD_1004 naming the served version", errs)
			}
		}},
		{"unknown-field", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/vpc.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.SchemaValidation || errs[0].Path != "spec.subnetz" || errs[0].Line != 6 {
				t.Fatalf("errors %+v, want an unknown-field FGD_1003 at spec.subnetz line 6", errs)
			}
		}},
		{"list", func(t *testing.T, in fstest.MapFS, p *Plan) {
			w := writesOf(p)
			if _, ok := w["managed/vpcs/listed-1.yaml"]; !ok {
				t.Fatalf("List item 1 not managed: %v", sortedPaths(w))
			}
			if _, ok := w["managed/vpcs/listed-2.yaml"]; !ok {
				t.Fatal("List item 2 not managed")
			}
			if strings.Contains(string(w["managed/vpcs/listed-1.yaml"]), "resourceVersion") {
				t.Fatal("List item not normalized")
			}
		}},
		{"empty", func(t *testing.T, in fstest.MapFS, p *Plan) {
			w := writesOf(p)
			for _, f := range []string{"empty.yaml", "comments.yaml"} {
				got, ok := w["unmanaged/"+f]
				if !ok || !bytes.Equal(got, in["raw/"+f].Data) {
					t.Fatalf("%s must move verbatim to unmanaged/", f)
				}
			}
			if len(p.Errors) != 0 {
				t.Fatalf("errors %+v", p.Errors)
			}
		}},
		{"non-yaml", func(t *testing.T, in fstest.MapFS, p *Plan) {
			// The VPC's namespaces come from the installer: warnings of their own.
			if w := withoutInstallerWarnings(p.Warnings); len(w) != 1 || w[0].File != "raw/notes.txt" || contains(p.Removes, "raw/notes.txt") {
				t.Fatalf("warnings %+v removes %v", p.Warnings, p.Removes)
			}
			if _, ok := writesOf(p)["managed/vpcs/from-yml.yaml"]; !ok {
				t.Fatal(".yml file not ingested")
			}
		}},
		{"duplicate-keys", func(t *testing.T, in fstest.MapFS, p *Plan) {
			errs := errorsOf(p, "raw/dup.yaml")
			if len(errs) != 1 || errs[0].Code != fgderr.InvalidYAML || errs[0].Line != 5 {
				t.Fatalf("errors %+v, want FGD_1001 at line 5", errs)
			}
		}},
		{"identical", func(t *testing.T, in fstest.MapFS, p *Plan) {
			if len(p.Errors) != 0 || len(p.Writes) != 1 || len(p.Removes) != 2 {
				t.Fatalf("identical duplicates: errors %+v writes %v removes %v", p.Errors, sortedPaths(writesOf(p)), p.Removes)
			}
		}},
		{"moved", func(t *testing.T, in fstest.MapFS, p *Plan) {
			if _, ok := writesOf(p)["managed/vpcs/renamed.yaml"]; !ok || !contains(p.Removes, "managed/vpcs/old-name.yaml") {
				t.Fatalf("a managed file at the wrong path must move: writes %v removes %v", sortedPaths(writesOf(p)), p.Removes)
			}
			if w := withoutInstallerWarnings(p.Warnings); len(w) != 0 {
				t.Fatalf(".gitkeep must not warn: %+v", w)
			}
		}},
		{"other-namespace", func(t *testing.T, in fstest.MapFS, p *Plan) {
			if _, ok := writesOf(p)["managed/vpcs/tenant-a/elsewhere.yaml"]; !ok {
				t.Fatalf("writes %v", sortedPaths(writesOf(p)))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := loadDir(t, filepath.Join("testdata", "cases", tc.name))
			p := mustIngest(t, in, Options{})
			checkAccounting(t, in, p)
			tc.check(t, in, p)
			// Whatever the case, ingesting the result again changes nothing.
			if again := mustIngest(t, applied(t, in, p), Options{}); !again.Empty() {
				t.Fatalf("second run not empty: writes %v removes %v", sortedPaths(writesOf(again)), again.Removes)
			}
		})
	}
}

// countingFS records which files were opened. Ingestion reads files on
// several goroutines, as an fs.FS allows.
type countingFS struct {
	fs.FS
	mu     *sync.Mutex
	opened map[string]bool
}

func (c countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opened[name] = true
	c.mu.Unlock()
	return c.FS.Open(name)
}

func TestOversizedFileIsNotRead(t *testing.T) {
	big := bytes.Repeat([]byte("# padding\n"), 600) // 6,000 bytes
	in := fstest.MapFS{
		"raw/big.yaml":   {Data: big},
		"raw/small.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n")},
	}
	cfs := countingFS{FS: in, mu: &sync.Mutex{}, opened: map[string]bool{}}
	p := mustIngest(t, cfs, Options{MaxFileBytes: 4096})
	errs := errorsOf(p, "raw/big.yaml")
	if len(errs) != 1 || errs[0].Code != fgderr.LimitExceeded {
		t.Fatalf("errors %+v, want FGD_1006", errs)
	}
	if cfs.opened["raw/big.yaml"] {
		t.Fatal("the oversized file was opened")
	}
	if !contains(p.Removes, "raw/small.yaml") || contains(p.Removes, "raw/big.yaml") {
		t.Fatalf("removes %v", p.Removes)
	}
	checkAccounting(t, in, p)
}

func TestDocumentLimit(t *testing.T) {
	in := fstest.MapFS{}
	for _, n := range []string{"a", "b", "c"} {
		in["raw/"+n+".yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + n + "\n")}
	}
	p := mustIngest(t, in, Options{MaxDocuments: 2})
	if errs := errorsOf(p, "raw/c.yaml"); len(errs) != 1 || errs[0].Code != fgderr.LimitExceeded {
		t.Fatalf("errors %+v", p.Errors)
	}
	if len(p.Removes) != 2 {
		t.Fatalf("removes %v", p.Removes)
	}
	checkAccounting(t, in, p)
}

// TestRawByteLimit: ingestion reads raw/ up to MaxRawBytes, in path order;
// the files after the limit are not opened, are rejected with FGD_1006 and
// stay where they are.
func TestRawByteLimit(t *testing.T) {
	doc := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n") // 51 or 52 bytes
	}
	in := fstest.MapFS{
		"raw/a.yaml":   {Data: doc("a")},
		"raw/b.yaml":   {Data: doc("b")},
		"raw/c.yaml":   {Data: doc("c")},
		"raw/d.yaml":   {Data: doc("d")},
		"raw/big.yaml": {Data: bytes.Repeat([]byte("# padding\n"), 600)}, // over MaxFileBytes: refused unread, not counted
	}
	size := int64(len(doc("a")))
	tests := []struct {
		name      string
		limit     int64
		read      []string
		untouched []string
	}{
		{"everything fits", 4 * size, []string{"raw/a.yaml", "raw/b.yaml", "raw/c.yaml", "raw/d.yaml"}, nil},
		{"one byte short of three files", 3*size - 1, []string{"raw/a.yaml", "raw/b.yaml"}, []string{"raw/c.yaml", "raw/d.yaml"}},
		{"not even one", size - 1, nil, []string{"raw/a.yaml", "raw/b.yaml", "raw/c.yaml", "raw/d.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfs := countingFS{FS: in, mu: &sync.Mutex{}, opened: map[string]bool{}}
			p := mustIngest(t, cfs, Options{MaxFileBytes: 4096, MaxRawBytes: tc.limit})
			for _, name := range tc.read {
				if !cfs.opened[name] || !contains(p.Removes, name) {
					t.Errorf("%s: opened %v, removed %v", name, cfs.opened[name], contains(p.Removes, name))
				}
			}
			for _, name := range tc.untouched {
				errs := errorsOf(p, name)
				if cfs.opened[name] || contains(p.Removes, name) || !contains(p.Rejected, name) ||
					len(errs) != 1 || errs[0].Code != fgderr.LimitExceeded || !strings.Contains(errs[0].Message, "HEDGEHOG_FGD_MAX_RAW_BYTES") {
					t.Errorf("%s: opened %v, removed %v, rejected %v, errors %+v", name, cfs.opened[name], contains(p.Removes, name), contains(p.Rejected, name), errs)
				}
			}
			if cfs.opened["raw/big.yaml"] {
				t.Error("the oversized file was opened")
			}
			checkAccounting(t, in, p)
		})
	}
}

func TestNonUTF8(t *testing.T) {
	data, err := os.ReadFile("testdata/non-utf8/latin1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := fstest.MapFS{"raw/latin1.yaml": {Data: data}}
	p := mustIngest(t, in, Options{})
	errs := errorsOf(p, "raw/latin1.yaml")
	if len(errs) != 1 || errs[0].Code != fgderr.InvalidYAML || errs[0].Line != 6 || !strings.Contains(errs[0].Message, "UTF-8") {
		t.Fatalf("errors %+v, want FGD_1001 at line 6 about UTF-8", errs)
	}
	checkAccounting(t, in, p)
}

func TestAliasBomb(t *testing.T) {
	data, err := os.ReadFile("testdata/alias-bomb/bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := fstest.MapFS{"raw/bomb.yaml": {Data: data}}
	p := mustIngest(t, in, Options{})
	errs := errorsOf(p, "raw/bomb.yaml")
	if len(errs) != 1 || errs[0].Code != fgderr.InvalidYAML || !strings.Contains(errs[0].Message, "alias") {
		t.Fatalf("errors %+v, want FGD_1001 about aliasing", errs)
	}
	checkAccounting(t, in, p)
}

// TestSymlinks uses a real folder: a symlinked raw file and a symlinked
// folder are reported and never followed.
func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "raw", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "raw", "linked-dir")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	p := mustIngest(t, root.FS(), Options{})
	for _, f := range []string{"raw/link.yaml", "raw/linked-dir"} {
		errs := errorsOf(p, f)
		if len(errs) != 1 || errs[0].Code != fgderr.Symlink {
			t.Fatalf("%s: errors %+v, want FGD_2003", f, p.Errors)
		}
		if contains(p.Removes, f) {
			t.Fatalf("%s removed", f)
		}
	}
	if len(p.Writes) != 0 {
		t.Fatalf("a symlink was followed: writes %v", sortedPaths(writesOf(p)))
	}
	checkAccounting(t, root.FS(), p)
}

// TestBrokenManagedFile: a managed file that no longer validates is reported
// and left alone, unless a raw file replaces its one resource.
func TestBrokenManagedFile(t *testing.T) {
	broken := []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-1\nspec:\n  subnets: 7\n")
	in := fstest.MapFS{"managed/vpcs/vpc-1.yaml": {Data: broken}}
	p := mustIngest(t, in, Options{})
	if errs := errorsOf(p, "managed/vpcs/vpc-1.yaml"); len(errs) != 1 || errs[0].Code != fgderr.SchemaValidation || len(p.Writes) != 0 || len(p.Removes) != 0 {
		t.Fatalf("broken managed file: errors %+v writes %d removes %v", p.Errors, len(p.Writes), p.Removes)
	}
	fixed := loadDir(t, "testdata/cases/update")
	fixed["managed/vpcs/vpc-1.yaml"] = &fstest.MapFile{Data: broken}
	p = mustIngest(t, fixed, Options{})
	if len(p.Errors) != 0 || p.Counts.ResourcesUpdated != 1 {
		t.Fatalf("a raw fix must replace the broken file: %+v", p)
	}
}

func TestManagedNonHedgehogDocument(t *testing.T) {
	in := fstest.MapFS{"managed/vpcs/cm.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}}
	p := mustIngest(t, in, Options{})
	if errs := errorsOf(p, "managed/vpcs/cm.yaml"); len(errs) != 1 || errs[0].Code != fgderr.InvalidStructure || len(p.Removes) != 0 {
		t.Fatalf("errors %+v removes %v", p.Errors, p.Removes)
	}
}

func TestUnmanagedTargetTaken(t *testing.T) {
	in := fstest.MapFS{
		"raw/cm.yaml":       {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n")},
		"unmanaged/cm.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n")},
	}
	p := mustIngest(t, in, Options{})
	if errs := errorsOf(p, "raw/cm.yaml"); len(errs) != 1 || errs[0].Code != fgderr.DuplicateResource || len(p.Writes) != 0 {
		t.Fatalf("an unmanaged file must never be overwritten: %+v", p)
	}
	checkAccounting(t, in, p)
}

func TestSeparatorErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
	}{
		{"content after separator", "apiVersion: v1\nkind: ConfigMap\n--- kind: Secret\n", 3},
		{"content after end marker", "apiVersion: v1\nkind: ConfigMap\n...\nkind: Secret\n", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fstest.MapFS{"raw/x.yaml": {Data: []byte(tc.data)}}
			p := mustIngest(t, in, Options{})
			if errs := errorsOf(p, "raw/x.yaml"); len(errs) != 1 || errs[0].Code != fgderr.InvalidYAML || errs[0].Line != tc.line {
				t.Fatalf("errors %+v, want FGD_1001 at line %d", p.Errors, tc.line)
			}
		})
	}
}

func TestInitPlan(t *testing.T) {
	b := testBundle(t)
	p, err := InitPlan(fstest.MapFS{}, b, "dc1", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".hnp/fabric.yaml", ".hnp/manifest.yaml", "README.md", "managed/.gitkeep", "raw/.gitkeep", "unmanaged/.gitkeep"}
	got := sortedPaths(writesOf(p))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("writes %v, want %v", got, want)
	}
	manifest := string(writesOf(p)[ManifestPath])
	for _, s := range []string{"structure_version: 1", "fabric: dc1", "VPCAttachment: managed/vpcattachments"} {
		if !strings.Contains(manifest, s) {
			t.Fatalf("manifest lacks %q:\n%s", s, manifest)
		}
	}
	// Only what is missing: an existing README and a raw/ with files are kept.
	existing := fstest.MapFS{"README.md": {Data: []byte("ours")}, "raw/a.yaml": {Data: []byte("x: 1\n")}}
	p, err = InitPlan(existing, b, "dc1", "")
	if err != nil {
		t.Fatal(err)
	}
	got = sortedPaths(writesOf(p))
	if strings.Join(got, ",") != ".hnp/fabric.yaml,.hnp/manifest.yaml,managed/.gitkeep,raw/.gitkeep,unmanaged/.gitkeep" {
		t.Fatalf("writes %v", got)
	}
	// The fabric config template is all comments: [cfg] rules stay off.
	if cfg, issue := ParseFabricConfig(writesOf(p)[FabricConfigPath]); cfg != nil || issue != nil {
		t.Fatalf("the template must parse as no config: %+v %+v", cfg, issue)
	}
	// A complete structure needs nothing, and the manifest is stable.
	again, _ := InitPlan(applied(t, existing, p), b, "dc1", "")
	if len(again.Writes) != 0 {
		t.Fatalf("second init writes %v", sortedPaths(writesOf(again)))
	}
}

func TestBundleComesFromTheCRDs(t *testing.T) {
	b := testBundle(t)
	kinds := b.Kinds()
	if len(kinds) != 22 {
		t.Fatalf("%d kinds, want the 22 CRDs of the bundle", len(kinds))
	}
	for _, tc := range []struct{ group, kind, plural, version string }{
		{"vpc.githedgehog.com", "VPC", "vpcs", "v1beta1"},
		{"vpc.githedgehog.com", "IPv4Namespace", "ipv4namespaces", "v1beta1"},
		{"wiring.githedgehog.com", "Switch", "switches", "v1beta1"},
		{"gateway.githedgehog.com", "Gateway", "gateways", "v1alpha1"},
	} {
		c, ok := b.Lookup(tc.group, tc.kind)
		if !ok || c.Plural != tc.plural || c.Versions[tc.version] == nil {
			t.Errorf("%s/%s: %+v", tc.group, tc.kind, c)
		}
	}
	if _, ok := b.Lookup("vpc.githedgehog.com", "Switch"); ok {
		t.Error("Switch is not in the vpc group")
	}
}
