package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// vpcTestObject decodes one YAML document the way ingestion does (YAML to
// JSON, then json.Number for numbers) and, unless raw, applies the defaults.
func vpcTestObject(t testing.TB, doc string, raw bool) *Object {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("test YAML: %v\n%s", err, doc)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("test JSON: %v", err)
	}
	meta := mapAt(m, "metadata")
	o := &Object{Kind: strAt(m, "kind"), Name: strAt(meta, "name"), Namespace: strAt(meta, "namespace"), Obj: m}
	if !raw {
		Default(o)
	}
	return o
}

// vpcCrossRuleIDs are the rules of this file's kinds that need other
// objects; their findings must carry Cross.
var vpcCrossRuleIDs = map[string]bool{
	"IPNS-7": true, "IPNS-8": true, "VLANNS-5": true, "VLANNS-6": true,
	"VPC-24": true, "VPC-25": true, "VPC-26": true, "VPC-27": true, "VPC-28": true, "VPC-29": true, "VPC-30": true, "VPC-31": true,
	"VA-5": true, "VA-6": true, "VA-7": true, "VA-8": true, "VA-9": true, "VA-10": true, "VA-11": true, "VA-12": true,
	"VPCP-5": true, "VPCP-6": true,
}

// vpcRuleCase is one document checked against one rule.
type vpcRuleCase struct {
	name string
	rule string
	doc  string   // the object under test
	set  []string // the other objects of the fabric
	cfg  *FabricConfig
	raw  bool   // skip the defaults, to reach rules that defaults always satisfy
	old  string // run Update(old, doc) instead of Local and Cross
	del  bool   // run Deleted(doc) instead of Local and Cross
	fail bool
	sev  Severity // the failing finding's severity
}

func vpcRunCases(t *testing.T, cases []vpcRuleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			o := vpcTestObject(t, tc.doc, tc.raw)
			objs := []*Object{o}
			for _, d := range tc.set {
				objs = append(objs, vpcTestObject(t, d, false))
			}
			s := NewSet(objs)
			var fs []Finding
			switch {
			case tc.old != "":
				fs = Update(vpcTestObject(t, tc.old, false), o, s)
			case tc.del:
				fs = Deleted(o, NewSet(objs[1:]))
			default:
				fs = append(Local(o, tc.cfg), s.Cross(o, tc.cfg)...)
			}
			var hit *Finding
			for i := range fs {
				if fs[i].Rule == tc.rule && hit == nil {
					hit = &fs[i]
				}
			}
			if !tc.fail {
				for _, f := range fs {
					if f.Rule == tc.rule || f.Severity == Error {
						t.Fatalf("want no %s finding and no error, got %s %v: %s", tc.rule, f.Rule, f.Path, f.Message)
					}
				}
				return
			}
			if hit == nil {
				t.Fatalf("want a %s finding, got %+v", tc.rule, fs)
			}
			if hit.Severity != tc.sev {
				t.Errorf("%s severity = %v, want %v (%s)", tc.rule, hit.Severity, tc.sev, hit.Message)
			}
			if hit.Cross != vpcCrossRuleIDs[tc.rule] {
				t.Errorf("%s Cross = %v, want %v", tc.rule, hit.Cross, vpcCrossRuleIDs[tc.rule])
			}
			if hit.Message == "" || len(hit.Path) == 0 {
				t.Errorf("%s finding needs a message and a path: %+v", tc.rule, hit)
			}
		})
	}
}

// Fixtures: a small valid fabric.
const (
	vpcTestIPv4NS = `
apiVersion: vpc.githedgehog.com/v1beta1
kind: IPv4Namespace
metadata: {name: default, namespace: default}
spec: {subnets: [10.0.0.0/16]}`
	vpcTestVLANNS = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: VLANNamespace
metadata: {name: default, namespace: default}
spec: {ranges: [{from: 1000, to: 2999}]}`
	vpcTestConnection = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: Connection
metadata: {name: srv-1--leaf-1}
spec: {unbundled: {link: {server: {port: srv-1/enp2s1}, switch: {port: leaf-1/E1/1}}}}`
	vpcTestBundled = `
kind: Connection
metadata: {name: srv-1--bundled--leaf-1}
spec: {bundled: {links: [{server: {port: srv-1/enp2s2}, switch: {port: leaf-1/E1/2}}, {server: {port: srv-1/enp2s3}, switch: {port: leaf-1/E1/3}}]}}`
	vpcTestFabricConn = `
kind: Connection
metadata: {name: spine-1--fabric--leaf-1}
spec: {fabric: {links: [{spine: {port: spine-1/E1/1, ip: 172.30.0.0/31}, leaf: {port: leaf-1/E1/9, ip: 172.30.0.1/31}}]}}`
	vpcTestESLAG = `
kind: Connection
metadata: {name: srv-1--eslag--leaf-1--leaf-2}
spec: {eslag: {links: [{server: {port: srv-1/enp2s4}, switch: {port: leaf-1/E1/4}}, {server: {port: srv-1/enp2s5}, switch: {port: leaf-2/E1/4}}]}}`
	vpcTestSwitch = `
kind: Switch
metadata: {name: leaf-1}
spec: {profile: p1, role: server-leaf, redundancy: {}}`
	vpcTestSwitch2 = `
kind: Switch
metadata: {name: leaf-2}
spec: {profile: p1, role: server-leaf, vlanNamespaces: [default]}`
	vpcTestProfile = `
kind: SwitchProfile
metadata: {name: p1}
spec: {features: {l2vni: true, l3vni: true}}`
	vpcTestServer = `
kind: Server
metadata: {name: srv-1}
spec: {}`
)

// vpcTestVPC is a VPC document with a flow-style spec.
func vpcTestVPC(name, spec string) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPC\nmetadata: {name: %q}\nspec: %s\n", name, spec)
}

// vpcTestOneSubnet is a VPC with one subnet "a" of the given flow body.
func vpcTestOneSubnet(body string) string {
	return vpcTestVPC("vpc-1", "{subnets: {a: "+body+"}}")
}

var vpcTestGood = vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true}}`)

func vpcTestFabric(extra ...string) []string {
	return append([]string{vpcTestIPv4NS, vpcTestVLANNS}, extra...)
}

func TestVPCLocalRules(t *testing.T) { vpcRunCases(t, vpcLocalCases()) }

// vpcLocalCases is the table of TestVPCLocalRules; TestRuleCoverage reads it too.
func vpcLocalCases() []vpcRuleCase {
	cfg := &FabricConfig{ReservedSubnets: []string{"172.28.0.0/16"}}
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("s%d: {subnet: 10.0.%d.0/24, vlan: %d}", i, i, 1000+i)
	}
	set := vpcTestFabric()
	return []vpcRuleCase{
		{name: "valid", rule: "VPC-1", doc: vpcTestGood, set: set},
		{name: "uppercase name", rule: "VPC-1", doc: vpcTestVPC("VPC-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "other namespace", rule: "VPC-1", doc: strings.Replace(vpcTestGood, `{name: "vpc-1"}`, `{name: vpc-1, namespace: team}`, 1), set: set, fail: true, sev: Warning},
		{name: "11 characters", rule: "VPC-2", doc: vpcTestVPC("abcdefghijk", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set},
		{name: "12 characters", rule: "VPC-2", doc: vpcTestVPC("abcdefghijkl", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "ext prefix", rule: "VPC-3", doc: vpcTestVPC("ext.a", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "ext inside", rule: "VPC-3", doc: vpcTestVPC("a.ext.b", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set},
		{name: "namespaces defaulted", rule: "VPC-4", doc: vpcTestGood, set: set},
		{name: "namespaces empty, not defaulted", rule: "VPC-4", raw: true, doc: vpcTestVPC("vpc-1", `{ipv4Namespace: "", subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001, gateway: 10.0.1.1}}}`), fail: true},
		{name: "no subnets", rule: "VPC-5", doc: vpcTestVPC("vpc-1", `{subnets: {}}`), set: set, fail: true},
		{name: "21 subnets", rule: "VPC-5", doc: vpcTestVPC("vpc-1", "{subnets: {"+strings.Join(many, ", ")+"}}"), set: set, fail: true},
		{name: "20 subnets", rule: "VPC-5", doc: vpcTestVPC("vpc-1", "{subnets: {"+strings.Join(many[:20], ", ")+"}}"), set: set},
		{name: "l3vni", rule: "VPC-6", doc: vpcTestVPC("vpc-1", `{mode: l3vni, subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set},
		{name: "l3flat", rule: "VPC-6", doc: vpcTestVPC("vpc-1", `{mode: l3flat, subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "unknown mode", rule: "VPC-6", doc: vpcTestVPC("vpc-1", `{mode: l2, subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "host bits tolerated", rule: "VPC-7", doc: vpcTestOneSubnet(`{subnet: 10.0.1.5/24, vlan: 1001}`), set: set},
		{name: "empty subnet", rule: "VPC-7", doc: vpcTestOneSubnet(`{vlan: 1001}`), set: set, fail: true},
		{name: "not a prefix", rule: "VPC-7", doc: vpcTestOneSubnet(`{subnet: 10.0.0.0/33, vlan: 1001}`), set: set, fail: true},
		{name: "/30", rule: "VPC-8", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/30, vlan: 1001, dhcp: {enable: true}}`), set: set},
		{name: "/31", rule: "VPC-8", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/31, vlan: 1001}`), set: set, fail: true},
		{name: "IPv6 /64", rule: "VPC-8", doc: vpcTestOneSubnet(`{subnet: "2001:db8::/64", vlan: 1001}`), set: set, fail: true},
		{name: "outside reserved", rule: "VPC-9", doc: vpcTestGood, set: set, cfg: cfg},
		{name: "reserved overlap", rule: "VPC-9", doc: vpcTestOneSubnet(`{subnet: 172.28.1.0/24, vlan: 1001}`), cfg: cfg, fail: true},
		{name: "reserved without config", rule: "VPC-9", doc: vpcTestOneSubnet(`{subnet: 172.28.1.0/24, vlan: 1001}`)},
		{name: "hostBGP without DHCP, VLAN or gateway", rule: "VPC-10", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, hostBGP: true}`), set: set},
		{name: "hostBGP with DHCP", rule: "VPC-10", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, hostBGP: true, dhcp: {enable: true}}`), set: set, fail: true},
		{name: "gateway inside", rule: "VPC-11", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, gateway: 10.0.1.254}`), set: set},
		{name: "gateway outside", rule: "VPC-11", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, gateway: 10.0.2.1}`), set: set, fail: true},
		{name: "gateway not an IP", rule: "VPC-11", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, gateway: 300.1.1.1}`), set: set, fail: true},
		{name: "VLAN set", rule: "VPC-12", doc: vpcTestGood, set: set},
		{name: "no VLAN", rule: "VPC-12", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24}`), set: set, fail: true},
		{name: "relay only", rule: "VPC-13", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relay: 10.10.0.1/24}}`), set: set},
		{name: "relay and enable", rule: "VPC-13", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, relay: 10.10.0.1/24}}`), set: set, fail: true},
		{name: "relay in CIDR form", rule: "VPC-14", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relay: 10.10.0.1/24}}`), set: set},
		{name: "relay bare IP", rule: "VPC-14", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relay: 10.10.0.1}}`), set: set, fail: true},
		{name: "relayVPC without relay", rule: "VPC-14", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relayVPC: vpc-2}}`), set: set, fail: true},
		{name: "options dropped by defaults", rule: "VPC-15", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {options: {dnsServers: [1.1.1.1]}}}`), set: set},
		{name: "options while disabled, not defaulted", rule: "VPC-15", raw: true, doc: vpcTestVPC("vpc-1", `{ipv4Namespace: default, vlanNamespace: default, subnets: {a: {subnet: 10.0.1.0/24, gateway: 10.0.1.1, vlan: 1001, dhcp: {options: {dnsServers: [1.1.1.1]}}}}}`), fail: true},
		{name: "range ends at broadcast", rule: "VPC-16", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, range: {start: 10.0.1.10, end: 10.0.1.255}}}`), set: set},
		{name: "range start outside", rule: "VPC-16", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, range: {start: 10.0.2.10}}}`), set: set, fail: true},
		{name: "range start is gateway", rule: "VPC-16", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, range: {start: 10.0.1.1}}}`), set: set, fail: true},
		{name: "range start is network", rule: "VPC-16", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, range: {start: 10.0.1.0}}}`), set: set, fail: true},
		{name: "range reversed", rule: "VPC-16", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, range: {start: 10.0.1.100, end: 10.0.1.50}}}`), set: set, fail: true},
		{name: "options defaulted", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {dnsServers: [1.1.1.1, 1.0.0.1], advertisedRoutes: [{destination: 10.9.0.0/16, gateway: 10.0.1.1}]}}}`), set: set},
		{name: "DNS server not an IP", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {dnsServers: [dns.example]}}}`), set: set, fail: true},
		{name: "MTU too small", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {interfaceMTU: 50}}}`), set: set, fail: true},
		{name: "negative lease", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {leaseTimeSeconds: -5}}}`), set: set, fail: true},
		{name: "route gateway outside", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {advertisedRoutes: [{destination: 10.9.0.0/16, gateway: 10.0.2.1}]}}}`), set: set, fail: true},
		{name: "route destination not a prefix", rule: "VPC-17", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {advertisedRoutes: [{destination: 10.9.0.0, gateway: 10.0.1.1}]}}}`), set: set, fail: true},
		{name: "static leases, MAC canonicalized", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"0C-20-12-FE-01-00": {ip: 10.0.1.20}, "0c:20:12:fe:01:01": {ip: 10.0.1.21}}}}`), set: set},
		{name: "static lease outside", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"0c:20:12:fe:01:00": {ip: 10.0.2.20}}}}`), set: set, fail: true},
		{name: "static lease on broadcast", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"0c:20:12:fe:01:00": {ip: 10.0.1.255}}}}`), set: set, fail: true},
		{name: "static lease on gateway", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"0c:20:12:fe:01:00": {ip: 10.0.1.1}}}}`), set: set, fail: true},
		{name: "static lease bad MAC", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"server-1": {ip: 10.0.1.20}}}}`), set: set, fail: true},
		{name: "one IP for two MACs", rule: "VPC-18", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, static: {"0c:20:12:fe:01:00": {ip: 10.0.1.20}, "0c:20:12:fe:01:01": {ip: 10.0.1.20}}}}`), set: set, fail: true},
		{name: "disabled, nothing set", rule: "VPC-19", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: false, range: {start: 10.0.1.10}}}`), set: set},
		{name: "static while disabled", rule: "VPC-19", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {static: {"0c:20:12:fe:01:00": {ip: 10.0.1.20}}}}`), set: set, fail: true},
		{name: "range while disabled, not defaulted", rule: "VPC-19", raw: true, doc: vpcTestVPC("vpc-1", `{ipv4Namespace: default, vlanNamespace: default, subnets: {a: {subnet: 10.0.1.0/24, gateway: 10.0.1.1, vlan: 1001, dhcp: {range: {start: 10.0.1.10}}}}}`), fail: true},
		{name: "distinct VLANs", rule: "VPC-20", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}}`), set: set},
		{name: "same VLAN twice", rule: "VPC-20", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1001}}}`), set: set, fail: true},
		{name: "disjoint subnets", rule: "VPC-21", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.0.0/23, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}}`), set: set},
		{name: "overlapping subnets", rule: "VPC-21", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.0.0/22, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}}`), set: set, fail: true},
		{name: "permit pair", rule: "VPC-22", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}, permit: [[a, b]]}`), set: set},
		{name: "permit one name", rule: "VPC-22", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}, permit: [[a]]}`), set: set, fail: true},
		{name: "permit unknown subnet", rule: "VPC-22", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}, permit: [[a, c]]}`), set: set, fail: true},
		{name: "permit repeat", rule: "VPC-22", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}, permit: [[a, b, a]]}`), set: set, fail: true},
		{name: "static route", rule: "VPC-23", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}, staticRoutes: [{prefix: 10.50.0.0/16, nextHops: [10.0.1.5]}]}`), set: set},
		{name: "route host bits", rule: "VPC-23", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}, staticRoutes: [{prefix: 10.50.0.1/16, nextHops: [10.0.1.5]}]}`), set: set, fail: true},
		{name: "route without next hop", rule: "VPC-23", doc: vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}, staticRoutes: [{prefix: 10.50.0.0/16}]}`), set: set, fail: true},
	}
}

func TestVPCCrossRules(t *testing.T) { vpcRunCases(t, vpcCrossCases()) }

// vpcCrossCases is the table of TestVPCCrossRules; TestRuleCoverage reads it too.
func vpcCrossCases() []vpcRuleCase {
	other4 := `
kind: IPv4Namespace
metadata: {name: other}
spec: {subnets: [10.0.0.0/16]}`
	otherVLAN := `
kind: VLANNamespace
metadata: {name: other}
spec: {ranges: [{from: 1000, to: 2999}]}`
	att := `
kind: VPCAttachment
metadata: {name: vpc-1--srv-1}
spec: {subnet: vpc-1/a, connection: srv-1--leaf-1}`
	return []vpcRuleCase{
		{name: "namespace present", rule: "VPC-24", doc: vpcTestGood, set: vpcTestFabric()},
		{name: "namespace absent", rule: "VPC-24", doc: vpcTestGood, set: []string{other4, vpcTestVLANNS}, fail: true, sev: Warning},
		{name: "VLAN namespace present", rule: "VPC-25", doc: vpcTestGood, set: vpcTestFabric()},
		{name: "VLAN namespace absent", rule: "VPC-25", doc: vpcTestGood, set: []string{vpcTestIPv4NS, otherVLAN}, fail: true, sev: Warning},
		{name: "inside the namespace", rule: "VPC-26", doc: vpcTestOneSubnet(`{subnet: 10.0.0.0/16, vlan: 1001}`), set: vpcTestFabric()},
		{name: "outside the namespace", rule: "VPC-26", doc: vpcTestOneSubnet(`{subnet: 10.1.1.0/24, vlan: 1001}`), set: vpcTestFabric(), fail: true},
		{name: "wider than the namespace", rule: "VPC-26", doc: vpcTestOneSubnet(`{subnet: 10.0.0.0/8, vlan: 1001}`), set: vpcTestFabric(), fail: true},
		{name: "VLAN at the range end", rule: "VPC-27", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 2999}`), set: vpcTestFabric()},
		{name: "VLAN outside the namespace", rule: "VPC-27", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 3500}`), set: vpcTestFabric(), fail: true},
		{name: "namespace absent, VLAN possible", rule: "VPC-27", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 4094}`)},
		{name: "namespace absent, VLAN beyond 4094", rule: "VPC-27", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 99999}`), fail: true},
		{name: "relay VPC exists", rule: "VPC-28", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relay: 10.0.2.5/24, relayVPC: vpc-2}}`),
			set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, vlan: 1002}}}`))},
		{name: "relay VPC missing", rule: "VPC-28", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {relay: 10.0.2.5/24, relayVPC: vpc-3}}`),
			set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, vlan: 1002}}}`)), fail: true, sev: Error},
		{name: "disjoint from other VPC", rule: "VPC-29", doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, vlan: 1002}}}`))},
		{name: "inside other VPC's subnet", rule: "VPC-29", doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.0.0/23, vlan: 1002}}}`)), fail: true},
		{name: "contains other VPC's subnet", rule: "VPC-29", doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.1.128/25, vlan: 1002}}}`)), fail: true},
		{name: "equal to other VPC's subnet", rule: "VPC-29", doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1002}}}`)), fail: true},
		{name: "same subnet, other namespace", rule: "VPC-29", doc: vpcTestGood, set: vpcTestFabric(other4, vpcTestVPC("vpc-2", `{ipv4Namespace: other, subnets: {a: {subnet: 10.0.1.0/24, vlan: 1002}}}`))},
		{name: "same VLAN in other VPC", rule: "VPC-30", doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, vlan: 1001}}}`)), fail: true},
		{name: "same VLAN, other VLAN namespace", rule: "VPC-30", doc: vpcTestGood, set: vpcTestFabric(otherVLAN, vpcTestVPC("vpc-2", `{vlanNamespace: other, subnets: {a: {subnet: 10.0.2.0/24, vlan: 1001}}}`))},
		{name: "hostBGP subnets without VLAN", rule: "VPC-30", doc: vpcTestOneSubnet(`{subnet: 10.0.1.0/24, hostBGP: true}`), set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, hostBGP: true}}}`))},
		{name: "not referenced", rule: "VPC-31", del: true, doc: vpcTestGood, set: vpcTestFabric(vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.2.0/24, vlan: 1002}}}`))},
		{name: "attached", rule: "VPC-31", del: true, doc: vpcTestGood, set: vpcTestFabric(att), fail: true, sev: Warning},
		{name: "peered", rule: "VPC-31", del: true, doc: vpcTestGood, set: []string{`
kind: VPCPeering
metadata: {name: vpc-1--vpc-2}
spec: {permit: [{vpc-1: {}, vpc-2: {}}]}`}, fail: true, sev: Warning},
		{name: "external peering", rule: "VPC-31", del: true, doc: vpcTestGood, set: []string{`
kind: ExternalPeering
metadata: {name: vpc-1--ext}
spec: {permit: {vpc: {name: vpc-1, subnets: [a]}, external: {name: ext, prefixes: [{prefix: 0.0.0.0/0}]}}}`}, fail: true, sev: Warning},
		{name: "static external within VPC", rule: "VPC-31", del: true, doc: vpcTestGood, set: []string{`
kind: Connection
metadata: {name: leaf-1--static-external}
spec: {staticExternal: {withinVPC: vpc-1, link: {switch: {port: leaf-1/E1/7, ip: 172.31.0.1/24, nextHop: 172.31.0.5}}}}`}, fail: true, sev: Warning},
	}
}

func TestVPCDefaults(t *testing.T) {
	o := vpcTestObject(t, vpcTestOneSubnet(`{subnet: 10.0.1.0/24, vlan: 1001, dhcp: {enable: true, options: {dnsServers: [9.9.9.9, 1.1.1.1]}, static: {"0C-20-12-FE-01-00": {ip: 10.0.1.20}}}}`), false)
	spec := o.Spec()
	sn := mapAt(mapAt(spec, "subnets"), "a")
	dhcp := mapAt(sn, "dhcp")
	opts := mapAt(dhcp, "options")
	got := map[string]any{
		"ipv4Namespace": strAt(spec, "ipv4Namespace"), "vlanNamespace": strAt(spec, "vlanNamespace"),
		"gateway": strAt(sn, "gateway"), "start": strAt(mapAt(dhcp, "range"), "start"), "end": strAt(mapAt(dhcp, "range"), "end"),
		"mtu": intAt(opts, "interfaceMTU"), "lease": intAt(opts, "leaseTimeSeconds"),
		"dns": strings.Join(stringsOf(listAt(opts, "dnsServers")), ","), "timeServers": fmt.Sprint(listAt(opts, "timeServers")),
		"static": strings.Join(sortedKeys(mapAt(dhcp, "static")), ","),
	}
	want := map[string]any{
		"ipv4Namespace": "default", "vlanNamespace": "default", "gateway": "10.0.1.1", "start": "10.0.1.2", "end": "10.0.1.255",
		"mtu": int64(9036), "lease": int64(3600), "dns": "1.1.1.1,9.9.9.9", "timeServers": "[]", "static": "0c:20:12:fe:01:00",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	// A disabled subnet loses its range and options; an empty options block is dropped.
	o = vpcTestObject(t, vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001, dhcp: {range: {start: 10.0.1.9}, options: {pxeURL: x}}}, b: {subnet: 10.0.2.0/24, vlan: 1002, dhcp: {enable: true, options: {}}}}}`), false)
	for name, key := range map[string]string{"a": "range", "a ": "options", "b": "options"} {
		if _, ok := mapAt(mapAt(mapAt(o.Spec(), "subnets"), strings.TrimSpace(name)), "dhcp")[key]; ok {
			t.Errorf("subnet %s: dhcp.%s should be dropped by the defaults", name, key)
		}
	}
}
