package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Helpers shared by the wiring kinds' tests (External, ExternalAttachment,
// ExternalPeering, Connection, Switch, SwitchProfile, SwitchGroup, Server,
// ServerProfile).

// wiringDecode decodes YAML as ingestion does: YAML → JSON → map with
// json.Number.
func wiringDecode(t testing.TB, doc string) map[string]any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("bad test YAML: %v\n%s", err, doc)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("bad test YAML: %v\n%s", err, doc)
	}
	return m
}

// wiringMerge applies patch onto base, as a JSON merge patch: maps merge
// key by key, null deletes, anything else replaces.
func wiringMerge(base, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(base, k)
			continue
		}
		pm, isMap := v.(map[string]any)
		bm, baseIsMap := base[k].(map[string]any)
		if isMap && baseIsMap {
			base[k] = wiringMerge(bm, pm)
		} else {
			base[k] = v
		}
	}
	return base
}

// wiringObject builds a defaulted Object from YAML, with optional patches
// (YAML documents separated by ---, applied in order).
func wiringObject(t testing.TB, doc, patch string) *Object {
	t.Helper()
	m := wiringDecode(t, doc)
	for _, p := range strings.Split(patch, "\n---\n") {
		if strings.TrimSpace(p) != "" {
			m = wiringMerge(m, wiringDecode(t, p))
		}
	}
	md := mapAt(m, "metadata")
	o := &Object{Kind: strAt(m, "kind"), Name: strAt(md, "name"), Namespace: strAt(md, "namespace"), Obj: m}
	Default(o)
	return o
}

// wiringRawObject is wiringObject without Hedgehog's defaults.
func wiringRawObject(t testing.TB, doc, patch string) *Object {
	t.Helper()
	m := wiringDecode(t, doc)
	for _, p := range strings.Split(patch, "\n---\n") {
		if strings.TrimSpace(p) != "" {
			m = wiringMerge(m, wiringDecode(t, p))
		}
	}
	md := mapAt(m, "metadata")
	return &Object{Kind: strAt(m, "kind"), Name: strAt(md, "name"), Namespace: "default", Obj: m}
}

// wiringSet builds a set from YAML documents separated by ---, plus extra.
func wiringSet(t testing.TB, docs string, extra ...*Object) *Set {
	t.Helper()
	var objs []*Object
	for _, d := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(d) != "" {
			objs = append(objs, wiringObject(t, d, ""))
		}
	}
	return NewSet(append(objs, extra...))
}

// wiringCfg is a complete fabric config that the fixtures satisfy.
func wiringCfg() *FabricConfig {
	return &FabricConfig{FabricMode: "spine-leaf", FabricMTU: 9100, ServerFacingMTUOffset: 64,
		FabricSubnet: "172.30.128.0/17", ReservedSubnets: []string{"172.28.0.0/24"},
		SpineASN: 65100, LeafASNStart: 65101, LeafASNEnd: 65534,
		ProtocolSubnet: "172.30.8.0/22", VTEPSubnet: "172.30.12.0/22",
		ManagementSubnet: "172.30.0.0/24", ManagementDHCPStart: "172.30.0.100", ControlVIP: "172.30.0.1/32"}
}

// wiringFixtures is a small valid fabric: the objects the rules under test
// refer to. Every document passes every rule with and without wiringCfg.
const wiringFixtures = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: SwitchProfile
metadata: {name: test-profile}
spec:
  displayName: Test Switch
  switchSilicon: Test Silicon
  platform: x86_64-test-r0
  nosType: sonic-bcm-vs
  maxPorts: 16
  features: {eslag: true, roce: true, ecmpRoCEQPN: true}
  pipelines: {p1: {maxPorts: 8}}
  ports:
    M1: {nos: Management0, management: true, oniePortName: eth0}
    E1/1: {nos: Ethernet0, label: "1", profile: sfp28}
    E1/2: {nos: Ethernet1, label: "2", profile: sfp28}
    E1/3: {nos: Ethernet2, label: "3", profile: sfp28}
    E1/4: {nos: Ethernet3, label: "4", profile: sfp28}
    E1/5: {nos: Ethernet4, label: "5", group: "1"}
    E1/6: {nos: 1/6, baseNOSName: Ethernet8, label: "6", profile: qsfp, pipeline: p1}
  portGroups:
    "1": {nos: "1", profile: sfp28-fixed}
  portProfiles:
    sfp28: {speed: {default: 25G, supported: [10G, 25G]}, autoNegAllowed: true}
    sfp28-fixed: {speed: {default: 25G, supported: [10G, 25G]}}
    qsfp: {breakout: {default: 1x100G, supported: {1x100G: {offsets: ["0"]}, 4x25G: {offsets: ["0", "1", "2", "3"]}}}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: SwitchGroup
metadata: {name: eslag-1}
spec: {}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: VLANNamespace
metadata: {name: default}
spec: {ranges: [{from: 1000, to: 2999}]}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: VLANNamespace
metadata: {name: extra}
spec: {ranges: [{from: 3000, to: 3999}]}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: IPv4Namespace
metadata: {name: default}
spec: {subnets: [10.0.0.0/16]}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: IPv4Namespace
metadata: {name: other}
spec: {subnets: [10.1.0.0/16]}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata: {name: leaf-01}
spec: {role: server-leaf, profile: test-profile, asn: 65101, ip: 172.30.0.8/24, protocolIP: 172.30.8.2/32, vtepIP: 172.30.12.0/32,
  redundancy: {group: eslag-1, type: eslag}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata: {name: leaf-02}
spec: {role: server-leaf, profile: test-profile, asn: 65102, ip: 172.30.0.9/24, protocolIP: 172.30.8.3/32, vtepIP: 172.30.12.1/32,
  redundancy: {group: eslag-1, type: eslag}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata: {name: spine-01}
spec: {role: spine, profile: test-profile, asn: 65100, ip: 172.30.0.10/24, protocolIP: 172.30.8.4/32}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Server
metadata: {name: server-01}
spec: {}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Connection
metadata: {name: server-01--unbundled--leaf-01}
spec: {unbundled: {link: {server: {port: server-01/eth1}, switch: {port: leaf-01/E1/1}}}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Connection
metadata: {name: spine-01--fabric--leaf-01}
spec:
  fabric:
    links:
    - {spine: {port: spine-01/E1/1, ip: 172.30.128.0/31}, leaf: {port: leaf-01/E1/4, ip: 172.30.128.1/31}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Connection
metadata: {name: leaf-02--external}
spec: {external: {link: {switch: {port: leaf-02/E1/4}}}}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: VPC
metadata: {name: vpc-1}
spec: {subnets: {default: {subnet: 10.0.1.0/24, vlan: 1001}, backend: {subnet: 10.0.2.0/24, vlan: 1002}}}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: External
metadata: {name: ext-bgp}
spec: {inboundCommunity: "65102:5000", outboundCommunity: "50000:50001"}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: External
metadata: {name: ext-static}
spec: {static: {prefixes: [0.0.0.0/0]}}
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: ExternalAttachment
metadata: {name: ea-existing}
spec: {external: ext-bgp, connection: leaf-02--external, switch: {ip: 100.100.0.1/24, vlan: 100}, neighbor: {asn: 65200, ip: 100.100.0.6}}
`

// wiringCase is one document checked by the local and cross rules: the
// kind's base document with patch applied.
type wiringCase struct {
	name  string
	rule  string // the rule under test
	fails bool   // whether the rule must report a finding
	patch string // YAML merged onto the base document
	cfg   bool   // run with wiringCfg
	// cfgEdit changes wiringCfg for the case (and implies cfg).
	cfgEdit func(*FabricConfig)
	// raw skips the defaults, for rules that only a document Hedgehog never
	// defaulted can break.
	raw bool
	sev Severity
}

// wiringCrossRules are the rules that run with the set (Cross is true).
var wiringCrossRules = map[string]bool{"EXT-6": true, "EXT-7": true, "EA-7": true, "EA-8": true, "EA-9": true,
	"EP-5": true, "EP-6": true, "EP-7": true, "EP-8": true, "CONN-9": true, "CONN-10": true, "CONN-11": true,
	"CONN-12": true, "CONN-13": true, "CONN-14": true, "CONN-15": true, "CONN-16": true, "SW-8": true, "SW-9": true,
	"SW-10": true, "SW-11": true, "SW-12": true, "SW-13": true, "SW-14": true, "SW-15": true, "SW-16": true,
	"SW-17": true, "SW-18": true, "SW-19": true, "SW-20": true}

// wiringRun checks cases against base, in a set made of fixtures plus the
// case's document (replacing a fixture of the same kind and name).
func wiringRun(t *testing.T, base, fixtures string, cases []wiringCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := wiringObject(t, base, c.patch)
			if c.raw {
				o = wiringRawObject(t, base, c.patch)
			}
			var cfg *FabricConfig
			if c.cfg || c.cfgEdit != nil {
				cfg = wiringCfg()
			}
			if c.cfgEdit != nil {
				c.cfgEdit(cfg)
			}
			s := wiringSet(t, fixtures, o)
			fs := append(Local(o, cfg), s.Cross(o, cfg)...)
			wiringAssert(t, c, fs)
		})
	}
}

func wiringAssert(t *testing.T, c wiringCase, fs []Finding) {
	t.Helper()
	if !c.fails {
		for _, f := range fs {
			if f.Rule == c.rule || f.Severity == Error {
				t.Fatalf("want no %s finding and no errors, got %s", c.rule, wiringFormat(fs))
			}
		}
		return
	}
	for _, f := range fs {
		if f.Rule == c.rule && f.Severity == c.sev && f.Cross == wiringCrossRules[c.rule] {
			if f.Message == "" || len(f.Path) == 0 {
				t.Fatalf("finding without message or path: %+v", f)
			}
			return
		}
	}
	t.Fatalf("want a %s finding (severity %d, cross %v), got %s", c.rule, c.sev, wiringCrossRules[c.rule], wiringFormat(fs))
}

func wiringFormat(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s sev=%d cross=%v %s: %s", f.Rule, f.Severity, f.Cross, strings.Join(f.Path, "."), f.Message)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// TestWiringFixturesValid: the fixtures break no rule, so a failing case
// fails because of its patch.
func TestWiringFixturesValid(t *testing.T) {
	for _, cfg := range []*FabricConfig{nil, wiringCfg()} {
		s := wiringSet(t, wiringFixtures)
		for _, kind := range []string{"SwitchProfile", "SwitchGroup", "Switch", "Server", "Connection", "External", "ExternalAttachment"} {
			for _, o := range s.All(kind) {
				fs := append(Local(o, cfg), s.Cross(o, cfg)...)
				for _, f := range fs {
					if f.Rule != "SWP-11" {
						t.Errorf("%s %s (cfg %v): %s", kind, o.Name, cfg != nil, wiringFormat(fs))
						break
					}
				}
			}
		}
	}
}

// TestWiringCoverage: every rule id of the wiring sections has a passing
// and a failing case.
func TestWiringCoverage(t *testing.T) {
	ids := strings.Fields(`EXT-1 EXT-2 EXT-3 EXT-4 EXT-5 EXT-6 EXT-7
		EA-1 EA-2 EA-3 EA-4 EA-5 EA-6 EA-7 EA-8 EA-9 ACL-1 ACL-2 ACL-3 ACL-4 ACL-5 ACL-6 ACL-7 ACL-8
		EP-1 EP-2 EP-3 EP-4 EP-5 EP-6 EP-7 EP-8
		CONN-1 CONN-2 CONN-3 CONN-4 CONN-5 CONN-6 CONN-7 CONN-8 CONN-9 CONN-10 CONN-11 CONN-12 CONN-13 CONN-14 CONN-15 CONN-16
		SW-1 SW-2 SW-3 SW-4 SW-5 SW-6 SW-7 SW-8 SW-9 SW-10 SW-11 SW-12 SW-13 SW-14 SW-15 SW-16 SW-17 SW-18 SW-19 SW-20
		SWP-1 SWP-2 SWP-3 SWP-4 SWP-5 SWP-6 SWP-7 SWP-8 SWP-9 SWP-10 SWP-11 SG-1 SRV-1 SRVP-1`)
	pass, fail := map[string]bool{}, map[string]bool{}
	for _, cs := range [][]wiringCase{externalCases, externalAttachmentCases, aclCases, externalPeeringCases,
		connectionCases, switchCases, switchProfileCases, switchGroupServerCases} {
		for _, c := range cs {
			if c.fails {
				fail[c.rule] = true
			} else {
				pass[c.rule] = true
			}
		}
	}
	for _, c := range wiringWebhookCases {
		if c.fails {
			fail[c.rule] = true
		} else {
			pass[c.rule] = true
		}
	}
	// EA-6 is broken through its ACL rules, which report their own ids.
	fail["EA-6"] = fail["EA-6"] || fail["ACL-1"]
	for _, id := range ids {
		if !pass[id] || !fail[id] {
			t.Errorf("%s: passing case %v, failing case %v", id, pass[id], fail[id])
		}
	}
}
