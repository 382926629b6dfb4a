package ingestion

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

const vpcDoc = `apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata:
  name: %s
spec:
  subnets:
    default:
      subnet: %s
      vlan: %s
`

// TestNoQuietPasses: a document meant for Hedgehog but wrongly typed is
// rejected with its code, line and a "did you mean"; other Kubernetes
// objects still go to unmanaged/.
func TestNoQuietPasses(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		code    fgderr.Code // "" when the file must land
		line    int
		path    string
		message string // a part of the message
		warning string // a part of a warning, when the document lands with one
	}{
		{name: "misspelled group", doc: "apiVersion: vpc.githedgehg.com/v1beta1\nkind: VPC\nmetadata:\n  name: v\n",
			code: fgderr.VersionMismatch, line: 1, path: "apiVersion", message: "did you mean apiVersion: vpc.githedgehog.com/v1beta1?"},
		{name: "wrong top-level domain", doc: "kind: VPC\napiVersion: vpc.githedgehog.io/v1beta1\nmetadata:\n  name: v\n",
			code: fgderr.VersionMismatch, line: 2, path: "apiVersion", message: "did you mean apiVersion: vpc.githedgehog.com/v1beta1?"},
		{name: "no group", doc: "apiVersion: v1beta1\nkind: VPC\nmetadata:\n  name: v\n",
			code: fgderr.VersionMismatch, line: 1, path: "apiVersion", message: "vpc.githedgehog.com/v1beta1"},
		{name: "kind of another group", doc: "apiVersion: vpc.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: s\n",
			code: fgderr.VersionMismatch, line: 1, path: "apiVersion", message: "did you mean apiVersion: wiring.githedgehog.com/v1beta1?"},
		{name: "unknown version", doc: "apiVersion: vpc.githedgehog.com/v1\nkind: VPC\nmetadata:\n  name: v\n",
			code: fgderr.VersionMismatch, line: 1, path: "apiVersion", message: "did you mean apiVersion: vpc.githedgehog.com/v1beta1?"},
		{name: "unknown Hedgehog group", doc: "apiVersion: storage.githedgehog.com/v1\nkind: Volume\nmetadata:\n  name: v\n",
			code: fgderr.VersionMismatch, line: 1, path: "apiVersion", message: "is not a Hedgehog API group"},
		{name: "no apiVersion", doc: "# a VPC\nkind: VPC\nmetadata:\n  name: v\n",
			code: fgderr.SchemaValidation, line: 2, path: "apiVersion", message: "apiVersion is missing; did you mean apiVersion: vpc.githedgehog.com/v1beta1?"},
		{name: "no apiVersion, no Hedgehog kind", doc: "kind: Widget\nmetadata:\n  name: w\n",
			code: fgderr.SchemaValidation, line: 1, path: "apiVersion", message: "apiVersion is missing"},
		{name: "not an object", doc: "# notes\n- a\n- b\n",
			code: fgderr.SchemaValidation, line: 2, message: "must be a Kubernetes object"},
		{name: "apiVersion not a string", doc: "apiVersion: 1\nkind: VPC\nmetadata:\n  name: v\n",
			code: fgderr.SchemaValidation, line: 1, path: "apiVersion", message: "must be a string"},
		{name: "no kind", doc: "apiVersion: v1\nmetadata:\n  name: x\n",
			code: fgderr.SchemaValidation, line: 1, path: "kind", message: "kind is missing"},
		{name: "int32 out of range", doc: "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Switch\nmetadata:\n  name: s\nspec:\n  role: spine\n  asn: 2147483648\n",
			code: fgderr.SchemaValidation, line: 7, path: "spec.asn", message: "out of range -2147483648..2147483647"},
		{name: "unknown metadata field", doc: "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: v\n  bogusField: 1\nspec:\n  subnets:\n    a: {subnet: 10.0.0.0/24, vlan: 1001}\n",
			code: fgderr.SchemaValidation, line: 5, path: "metadata.bogusField", message: "unknown field"},
		{name: "a ConfigMap is not Hedgehog's", doc: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
		{name: "Gateway API's Gateway", doc: "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\n"},
		{name: "a Hedgehog kind name in another group", doc: "apiVersion: metal.example.com/v1\nkind: Server\nmetadata:\n  name: s\n",
			warning: "for Hedgehog, write apiVersion: wiring.githedgehog.com/v1beta1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fstest.MapFS{"raw/x.yaml": {Data: []byte(tc.doc)}}
			p := mustIngest(t, in, Options{})
			checkAccounting(t, in, p)
			errs := errorsOf(p, "raw/x.yaml")
			if tc.code == "" {
				if len(errs) != 0 || writesOf(p)["unmanaged/x.yaml"] == nil {
					t.Fatalf("must go to unmanaged/: errors %+v", errs)
				}
				found := tc.warning == ""
				for _, w := range p.Warnings {
					found = found || strings.Contains(w.Message, tc.warning)
				}
				if !found || (tc.warning == "" && len(p.Warnings) != 0) {
					t.Fatalf("warnings %+v, want one with %q", p.Warnings, tc.warning)
				}
				return
			}
			if len(errs) != 1 || errs[0].Code != tc.code || errs[0].Line != tc.line || errs[0].Path != tc.path || !strings.Contains(errs[0].Message, tc.message) {
				t.Fatalf("errors %+v, want one %s at line %d %s with %q", errs, tc.code, tc.line, tc.path, tc.message)
			}
			if !contains(p.Rejected, "raw/x.yaml") || len(p.Writes) != 0 {
				t.Fatalf("the file must stay in raw/: writes %v", sortedPaths(writesOf(p)))
			}
		})
	}
}

// TestHedgehogRulesInIngestion: the examples of values Hedgehog
// rejects, each reported with FGD_1003, file, line, field path and the rule
// id at the end of the message.
func TestHedgehogRulesInIngestion(t *testing.T) {
	ns := "apiVersion: wiring.githedgehog.com/v1beta1\nkind: VLANNamespace\nmetadata:\n  name: default\nspec:\n  ranges: [{from: 1000, to: 2999}]\n"
	tests := []struct {
		name, doc string
		code      fgderr.Code
		rule      string
		path      string
	}{
		{"prefix longer than /32", vpcDocf("vpc-1", "10.0.0.0/33", "1001"), fgderr.SchemaValidation, "VPC-7", "spec.subnets.default.subnet"},
		{"gateway out of range", vpcDocf("vpc-1", "10.0.0.0/24", "1001") + "      gateway: 300.1.1.1\n", fgderr.SchemaValidation, "VPC-11", "spec.subnets.default.gateway"},
		{"name of 12 characters", vpcDocf("vpc-12345678", "10.0.0.0/24", "1001"), fgderr.SchemaValidation, "VPC-2", "metadata.name"},
		{"VLAN outside the VLANNamespace", vpcDocf("vpc-1", "10.0.0.0/24", "3500") + "---\n" + ns, fgderr.Integrity, "VPC-27", "spec.subnets.default.vlan"},
		{"VLAN outside any VLANNamespace", vpcDocf("vpc-1", "10.0.0.0/24", "99999"), fgderr.Integrity, "VPC-27", "spec.subnets.default.vlan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fstest.MapFS{"raw/x.yaml": {Data: []byte(tc.doc)}}
			p := mustIngest(t, in, Options{})
			checkAccounting(t, in, p)
			errs := errorsOf(p, "raw/x.yaml")
			if len(errs) != 1 || errs[0].Code != tc.code || errs[0].Rule != tc.rule || errs[0].Path != tc.path ||
				!strings.HasSuffix(errs[0].Message, " ["+tc.rule+"]") || errs[0].Line != lineOf([]byte(tc.doc), strings.Split(tc.path, ".")) {
				t.Fatalf("errors %+v, want one %s [%s] at %s", errs, tc.code, tc.rule, tc.path)
			}
			if want := "raw/x.yaml:"; !strings.HasPrefix(errs[0].String(), want) || !strings.Contains(errs[0].String(), string(tc.code)+" "+tc.path+": ") {
				t.Fatalf("%q is not file:line: code path: message", errs[0].String())
			}
		})
	}
}

func vpcDocf(name, subnet, vlan string) string {
	return strings.NewReplacer("%s\nspec", name+"\nspec", "subnet: %s", "subnet: "+subnet, "vlan: %s", "vlan: "+vlan).Replace(vpcDoc)
}

// TestDefaultsOnACopy: Hedgehog's defaults let a document leave out what
// they fill in (dhcp.options.leaseTimeSeconds is required by the CRD), but
// the managed file is the document as written, and a wrong type is still a
// schema error.
func TestDefaultsOnACopy(t *testing.T) {
	doc := vpcDocf("vpc-1", "10.0.0.0/24", "1001") + "      dhcp:\n        enable: true\n        options:\n          dnsServers: [10.0.0.53]\n"
	in := fstest.MapFS{"raw/x.yaml": {Data: []byte(doc)}}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if len(p.Errors) != 0 {
		t.Fatalf("a document leaning on defaults must pass: %+v", p.Errors)
	}
	got := string(writesOf(p)["managed/vpcs/vpc-1.yaml"])
	for _, defaulted := range []string{"leaseTimeSeconds", "interfaceMTU", "gateway", "ipv4Namespace", "range"} {
		if strings.Contains(got, defaulted) {
			t.Errorf("the managed file holds the default %s:\n%s", defaulted, got)
		}
	}
	wrong := strings.Replace(doc, "dnsServers: [10.0.0.53]", "dnsServers: [10.0.0.53]\n          leaseTimeSeconds: soon", 1)
	in = fstest.MapFS{"raw/x.yaml": {Data: []byte(wrong)}}
	p = mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if errs := errorsOf(p, "raw/x.yaml"); len(errs) != 1 || errs[0].Path != "spec.subnets.default.dhcp.options.leaseTimeSeconds" || errs[0].Rule != "" {
		t.Fatalf("errors %+v, want the schema's type error", errs)
	}
}

// TestMeta2IsAWarning: a namespace other than default lands, with a warning
// saying what Hedgehog will do.
func TestMeta2IsAWarning(t *testing.T) {
	doc := strings.Replace(vpcDocf("vpc-1", "10.0.0.0/24", "1001"), "  name: vpc-1\n", "  name: vpc-1\n  namespace: tenant-a\n", 1)
	in := fstest.MapFS{"raw/x.yaml": {Data: []byte(doc)}}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if len(p.Errors) != 0 || writesOf(p)["managed/vpcs/tenant-a/vpc-1.yaml"] == nil {
		t.Fatalf("errors %+v writes %v", p.Errors, sortedPaths(writesOf(p)))
	}
	found := false
	for _, w := range p.Warnings {
		found = found || (w.Rule == "VPC-1" && w.Path == "metadata.namespace" && w.Line == 5 && strings.Contains(w.Message, "META-2"))
	}
	if !found {
		t.Fatalf("no META-2 warning: %+v", p.Warnings)
	}
}

// TestReferences is the reference policy of docs/contract.md, one row per
// outcome.
func TestReferences(t *testing.T) {
	const (
		vpc2      = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.0.2.0/24\n      vlan: 1002\n"
		attach    = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: server-1--leaf-1\n  subnet: %s/default\n"
		ipns      = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: IPv4Namespace\nmetadata:\n  name: default\nspec:\n  subnets: [10.0.0.0/16]\n"
		otherIPNS = "apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-3\nspec:\n  ipv4Namespace: tenants\n  subnets:\n    default:\n      subnet: 10.1.0.0/24\n      vlan: 1003\n"
	)
	tests := []struct {
		name    string
		files   map[string]string
		errFile string // the file rejected with FGD_1007, "" for none
		rule    string // the rule of the error, or of a warning when errFile is ""
		line    int
	}{
		{name: "the FGD holds VPCs, not the one named: error",
			files:   map[string]string{"raw/a.yaml": strings.Replace(attach, "%s", "vpc-9", 1), "managed/vpcs/vpc-2.yaml": vpc2},
			errFile: "raw/a.yaml", rule: "VA-5", line: 7},
		{name: "the named VPC is in managed/: no error",
			files: map[string]string{"raw/a.yaml": strings.Replace(attach, "%s", "vpc-2", 1), "managed/vpcs/vpc-2.yaml": vpc2},
			rule:  "VA-7"}, // no Connection at all in the FGD: a warning
		{name: "the FGD holds no object of the kind: warning",
			files: map[string]string{"raw/a.yaml": strings.Replace(attach, "%s", "vpc-9", 1)},
			rule:  "VA-5"},
		{name: "an installer kind, absent by name: warning",
			files: map[string]string{"raw/v.yaml": otherIPNS, "raw/ns.yaml": ipns},
			rule:  "VPC-24"},
		{name: "subnets overlap across files: both rejected",
			files:   map[string]string{"raw/v1.yaml": vpcDocf("vpc-1", "10.0.2.0/25", "1001"), "raw/v2.yaml": strings.Replace(vpc2, "  namespace: default\n", "", 1)},
			errFile: "raw/v1.yaml", rule: "VPC-29", line: 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fstest.MapFS{}
			for n, d := range tc.files {
				in[n] = &fstest.MapFile{Data: []byte(d)}
			}
			p := mustIngest(t, in, Options{})
			checkAccounting(t, in, p)
			if tc.errFile == "" {
				if len(p.Errors) != 0 {
					t.Fatalf("errors %+v", p.Errors)
				}
				found := false
				for _, w := range p.Warnings {
					found = found || (w.Code == fgderr.Integrity && w.Rule == tc.rule && strings.Contains(w.Message, "is not in this FGD"))
				}
				if !found {
					t.Fatalf("no %s warning: %+v", tc.rule, p.Warnings)
				}
				for n := range tc.files {
					if strings.HasPrefix(n, "raw/") && !contains(p.Removes, n) {
						t.Fatalf("%s did not land", n)
					}
				}
				return
			}
			errs := errorsOf(p, tc.errFile)
			if len(errs) == 0 || errs[0].Code != fgderr.Integrity || errs[0].Rule != tc.rule || errs[0].Line != tc.line {
				t.Fatalf("errors %+v, want FGD_1007 [%s] at %s:%d", p.Errors, tc.rule, tc.errFile, tc.line)
			}
			if !contains(p.Rejected, tc.errFile) || contains(p.Removes, tc.errFile) {
				t.Fatalf("%s must stay in raw/", tc.errFile)
			}
		})
	}
}

// TestIntegrityCascade: when a raw file is rejected, what refers to its
// resources is checked again without them.
func TestIntegrityCascade(t *testing.T) {
	in := fstest.MapFS{
		"managed/vpcs/vpc-2.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata:\n  name: vpc-2\n  namespace: default\nspec:\n  subnets:\n    default:\n      subnet: 10.0.2.0/24\n      vlan: 1002\n")},
		// vpc-1 overlaps vpc-2: rejected.
		"raw/vpc-1.yaml": {Data: []byte(vpcDocf("vpc-1", "10.0.2.128/25", "1001"))},
		// Valid on its own, but names vpc-1, which does not land.
		"raw/attach.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: c-1\n  subnet: vpc-1/default\n")},
	}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if e := errorsOf(p, "raw/vpc-1.yaml"); len(e) != 1 || e[0].Rule != "VPC-29" {
		t.Fatalf("vpc-1: %+v", e)
	}
	if e := errorsOf(p, "raw/attach.yaml"); len(e) != 1 || e[0].Rule != "VA-5" || !strings.Contains(e[0].Message, `"vpc-1"`) {
		t.Fatalf("attach: %+v", e)
	}
	if len(p.Writes) != 0 || len(p.Removes) != 0 {
		t.Fatalf("writes %v removes %v", sortedPaths(writesOf(p)), p.Removes)
	}
	// The managed VPC it collided with is fine and stays.
	if len(errorsOf(p, "managed/vpcs/vpc-2.yaml")) != 0 || len(p.Resources) != 1 {
		t.Fatalf("managed: %+v resources %+v", p.Errors, p.Resources)
	}
}

// TestManagedIntegrityError: a managed resource that breaks a rule across
// resources is reported and left as it is.
func TestManagedIntegrityError(t *testing.T) {
	in := fstest.MapFS{
		"managed/vpcs/vpc-1.yaml": {Data: []byte(strings.Replace(vpcDocf("vpc-1", "10.0.2.0/25", "1001"), "spec:\n", "  namespace: default\nspec:\n", 1))},
		"managed/vpcs/vpc-2.yaml": {Data: []byte(strings.Replace(vpcDocf("vpc-2", "10.0.2.0/24", "1002"), "spec:\n", "  namespace: default\nspec:\n", 1))},
	}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if len(p.Errors) != 2 || p.Errors[0].File != "managed/vpcs/vpc-1.yaml" || p.Errors[0].Rule != "VPC-29" || !p.Empty() || len(p.Rejected) != 0 {
		t.Fatalf("errors %+v writes %v", p.Errors, sortedPaths(writesOf(p)))
	}
}

// TestUpdateRules: a raw resource replacing a managed one is checked as an
// update: a Connection's type cannot change (CONN-16).
func TestUpdateRules(t *testing.T) {
	conn := "apiVersion: wiring.githedgehog.com/v1beta1\nkind: Connection\nmetadata:\n  name: c-1\n%sspec:\n  %s:\n    links:\n    - server: {port: server-1/eth1}\n      switch: {port: leaf-1/E1/1}\n"
	unbundled := strings.Replace(strings.Replace(conn, "%s", "  namespace: default\n", 1), "%s", "bundled", 1)
	unbundled = strings.Replace(unbundled, "  bundled:\n    links:\n    - server: {port: server-1/eth1}\n      switch: {port: leaf-1/E1/1}\n", "  unbundled:\n    link:\n      server: {port: server-1/eth1}\n      switch: {port: leaf-1/E1/1}\n", 1)
	bundled := strings.Replace(strings.Replace(conn, "%s", "", 1), "%s", "bundled", 1)
	in := fstest.MapFS{"managed/connections/c-1.yaml": {Data: []byte(unbundled)}, "raw/c.yaml": {Data: []byte(bundled)}}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	if e := errorsOf(p, "raw/c.yaml"); len(e) != 1 || e[0].Rule != "CONN-16" || e[0].Code != fgderr.Integrity {
		t.Fatalf("errors %+v", p.Errors)
	}
}

// TestDeletionWarnings: a resource gone from the plan while others still
// refer to it is a warning, with the rule that says so.
func TestDeletionWarnings(t *testing.T) {
	in := fstest.MapFS{"raw/a.yaml": {Data: []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: c-1\n  subnet: vpc-1/default\n")}}
	p := mustIngest(t, in, Options{})
	checkAccounting(t, in, p)
	before := []Resource{
		{Kind: "VPC", Namespace: "default", Name: "vpc-1", Path: "managed/vpcs/vpc-1.yaml", Object: map[string]any{"spec": map[string]any{}}},
		{Kind: "VPC", Namespace: "default", Name: "vpc-7", Path: "managed/vpcs/vpc-7.yaml"},
		{Kind: "VPCAttachment", Namespace: "default", Name: "a-1", Path: "managed/vpcattachments/a-1.yaml"},
	}
	ws := DeletionWarnings(before, p)
	if len(ws) != 1 || ws[0].Code != fgderr.Integrity || ws[0].Rule != "VPC-31" || ws[0].File != "managed/vpcs/vpc-1.yaml" || !strings.Contains(ws[0].Message, "VPCAttachment") {
		t.Fatalf("warnings %+v", ws)
	}
	// The same from a plan that came without its set (a plan decoded from JSON, say).
	if again := DeletionWarnings(before, &Plan{Resources: p.Resources}); len(again) != 1 || again[0] != ws[0] {
		t.Fatalf("without the set: %+v", again)
	}
}

// TestFabricConfig: .hnp/fabric.yaml turns the [cfg] rules on; the option
// overrides it; a broken file is an error, and the rules it would feed are
// skipped.
func TestFabricConfig(t *testing.T) {
	vpc := vpcDocf("vpc-1", "172.28.1.0/24", "1001")
	tests := []struct {
		name     string
		file     string
		opt      *rules.FabricConfig
		wantRule string // VPC-9 when the reserved subnet is seen
		cfgError int    // the line of an error on .hnp/fabric.yaml, 0 for none
	}{
		{name: "no file: skipped"},
		{name: "the template: skipped", file: string(FabricConfigTemplate())},
		{name: "reserved subnets", file: "reservedSubnets:\n  - 172.28.0.0/16\n", wantRule: "VPC-9"},
		{name: "the option wins", file: "reservedSubnets: [172.28.0.0/16]\n", opt: &rules.FabricConfig{ReservedSubnets: []string{"192.168.0.0/16"}}},
		{name: "the option alone", opt: &rules.FabricConfig{ReservedSubnets: []string{"172.28.0.0/16"}}, wantRule: "VPC-9"},
		{name: "unknown key", file: "fabricMode: spine-leaf\nreservedSubnet: [172.28.0.0/16]\n", cfgError: 2},
		{name: "wrong type", file: "spineASN: many\n", cfgError: 1},
		{name: "not YAML", file: "reservedSubnets: [\n", cfgError: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := fstest.MapFS{"raw/x.yaml": {Data: []byte(vpc)}}
			if tc.file != "" {
				in[FabricConfigPath] = &fstest.MapFile{Data: []byte(tc.file)}
			}
			p := mustIngest(t, in, Options{FabricConfig: tc.opt})
			checkAccounting(t, in, p)
			var vpc9 bool
			for _, e := range p.Errors {
				vpc9 = vpc9 || e.Rule == "VPC-9"
			}
			if vpc9 != (tc.wantRule != "") {
				t.Fatalf("VPC-9 reported %v, want %v: %+v", vpc9, tc.wantRule != "", p.Errors)
			}
			cfgErrs := errorsOf(p, FabricConfigPath)
			if tc.cfgError == 0 && len(cfgErrs) != 0 || tc.cfgError != 0 && (len(cfgErrs) != 1 || cfgErrs[0].Line != tc.cfgError || !strings.Contains(cfgErrs[0].Message, "skipped")) {
				t.Fatalf("errors on %s: %+v, want at line %d", FabricConfigPath, cfgErrs, tc.cfgError)
			}
		})
	}
}

// TestValidateFiles: files given together are one set for references, and
// every issue names the files as given.
func TestValidateFiles(t *testing.T) {
	vpc := []byte(vpcDocf("vpc-1", "10.0.1.0/24", "1001"))
	vpc2 := []byte(vpcDocf("vpc-2", "10.0.2.0/24", "1002"))
	attach := []byte("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata:\n  name: a-1\nspec:\n  connection: c-1\n  subnet: vpc-1/default\n")
	bundle := testBundle(t)

	p, err := ValidateFiles(map[string][]byte{"site/vpc.yaml": vpc, "../attach.yaml": attach}, Options{Bundle: bundle})
	if err != nil || len(p.Errors) != 0 {
		t.Fatalf("together: %v %+v", err, p.Errors)
	}
	p, err = ValidateFiles(map[string][]byte{"site/vpc2.yaml": vpc2, "../attach.yaml": attach}, Options{Bundle: bundle})
	if err != nil || len(p.Errors) != 1 || p.Errors[0].File != "../attach.yaml" || p.Errors[0].Rule != "VA-5" || !contains(p.Rejected, "../attach.yaml") {
		t.Fatalf("without vpc-1: %v %+v rejected %v", err, p.Errors, p.Rejected)
	}
	// A conflict names the other file by its given name too.
	p, err = ValidateFiles(map[string][]byte{"one.yaml": vpc, "two.yaml": []byte(vpcDocf("vpc-1", "10.0.9.0/24", "1001"))}, Options{Bundle: bundle})
	if err != nil || len(p.Errors) != 2 || !strings.Contains(p.Errors[0].Message, "two.yaml:1") || strings.Contains(p.Errors[0].Message, "raw/") {
		t.Fatalf("conflict: %v %+v", err, p.Errors)
	}
	for _, s := range p.Sources {
		if s.Path != "one.yaml" && s.Path != "two.yaml" {
			t.Fatalf("source %q", s.Path)
		}
	}
}
