package rules

import (
	"fmt"
	"strings"
	"testing"
)

func vpcTestAttachment(name, spec string) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCAttachment\nmetadata: {name: %q}\nspec: %s\n", name, spec)
}

// vpcTestWiring is a valid fabric for attachments: namespaces, VPCs, the
// connections, switches, a server and a switch profile, plus extra.
func vpcTestWiring(extra ...string) []string {
	return append(vpcTestFabric(
		vpcTestVPC("vpc-1", `{subnets: {default: {subnet: 10.0.1.0/24, vlan: 1001}, bgp: {subnet: 10.0.2.0/24, hostBGP: true}}}`),
		vpcTestVPC("vpc-3", `{mode: l3vni, subnets: {default: {subnet: 10.0.3.0/24, vlan: 1003}}}`),
		vpcTestConnection, vpcTestBundled, vpcTestFabricConn, vpcTestESLAG, vpcTestSwitch, vpcTestSwitch2, vpcTestProfile, vpcTestServer,
	), extra...)
}

func TestVPCAttachmentRules(t *testing.T) { vpcRunCases(t, vpcAttachmentCases()) }

// vpcAttachmentCases is the table of TestVPCAttachmentRules; TestRuleCoverage reads it too.
func vpcAttachmentCases() []vpcRuleCase {
	good := vpcTestAttachment("vpc-1--srv-1", `{subnet: vpc-1/default, connection: srv-1--leaf-1}`)
	withP2P := func(v string) string {
		return strings.Replace(good, `metadata: {name: "vpc-1--srv-1"}`, `metadata: {name: vpc-1--srv-1, annotations: {fabric.githedgehog.com/p2p-link: "`+v+`"}}`, 1)
	}
	wiring := vpcTestWiring()
	mclagLeaf := "kind: Switch\nmetadata: {name: leaf-1}\nspec: {profile: p1, redundancy: {type: mclag, group: mclag-1}}\n"
	var noMCLAG []string
	for _, d := range wiring {
		if d != vpcTestSwitch {
			noMCLAG = append(noMCLAG, d)
		}
	}
	replace := func(old, new string) []string {
		out := make([]string, 0, len(wiring))
		for _, d := range wiring {
			if d == old {
				d = new
			}
			out = append(out, d)
		}
		return out
	}
	return []vpcRuleCase{
		{name: "valid", rule: "VA-1", doc: good, set: wiring},
		{name: "uppercase", rule: "VA-1", doc: vpcTestAttachment("VPC-1--srv-1", `{subnet: vpc-1/default, connection: srv-1--leaf-1}`), set: wiring, fail: true},
		{name: "VPC name only, defaulted", rule: "VA-2", doc: vpcTestAttachment("a", `{subnet: vpc-1, connection: srv-1--leaf-1}`), set: wiring},
		{name: "missing", rule: "VA-2", doc: vpcTestAttachment("a", `{connection: srv-1--leaf-1}`), set: wiring, fail: true},
		{name: "no VPC part", rule: "VA-2", doc: vpcTestAttachment("a", `{subnet: /default, connection: srv-1--leaf-1}`), set: wiring, fail: true},
		{name: "connection set", rule: "VA-3", doc: good, set: wiring},
		{name: "no connection", rule: "VA-3", doc: vpcTestAttachment("a", `{subnet: vpc-1/default}`), set: wiring, fail: true},
		{name: "p2p /31", rule: "VA-4", doc: withP2P("10.0.0.0/31"), set: wiring},
		{name: "p2p /30", rule: "VA-4", doc: withP2P("10.0.0.0/30"), set: wiring, fail: true},
		{name: "p2p empty", rule: "VA-4", doc: withP2P(""), set: wiring, fail: true},
		{name: "p2p IPv6", rule: "VA-4", doc: withP2P("2001:db8::/31"), set: wiring, fail: true},
		{name: "VPC exists", rule: "VA-5", doc: good, set: wiring},
		{name: "VPC missing", rule: "VA-5", doc: vpcTestAttachment("a", `{subnet: vpc-9/default, connection: srv-1--leaf-1}`), set: wiring, fail: true, sev: Error},
		{name: "no VPC in the FGD", rule: "VA-5", doc: good, set: []string{vpcTestConnection, vpcTestSwitch, vpcTestProfile}, fail: true, sev: Warning},
		{name: "subnet exists", rule: "VA-6", doc: vpcTestAttachment("a", `{subnet: vpc-1/bgp, connection: srv-1--leaf-1}`), set: wiring},
		{name: "subnet missing", rule: "VA-6", doc: vpcTestAttachment("a", `{subnet: vpc-1/nope, connection: srv-1--leaf-1}`), set: wiring, fail: true},
		{name: "trailing slash", rule: "VA-6", doc: vpcTestAttachment("a", `{subnet: vpc-1/, connection: srv-1--leaf-1}`), set: wiring, fail: true},
		{name: "connection exists", rule: "VA-7", doc: good, set: wiring},
		{name: "connection missing", rule: "VA-7", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: nope}`), set: wiring, fail: true, sev: Error},
		{name: "no connection in the FGD", rule: "VA-7", doc: good, set: vpcTestFabric(vpcTestVPC("vpc-1", `{subnets: {default: {subnet: 10.0.1.0/24, vlan: 1001}}}`)), fail: true, sev: Warning},
		{name: "bundled", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: srv-1--bundled--leaf-1}`), set: wiring},
		{name: "eslag, L2VNI VPC", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: srv-1--eslag--leaf-1--leaf-2}`), set: wiring},
		{name: "fabric connection", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: spine-1--fabric--leaf-1}`), set: wiring, fail: true},
		{name: "eslag, l3vni VPC", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-3/default, connection: srv-1--eslag--leaf-1--leaf-2}`), set: wiring, fail: true},
		{name: "hostBGP, unbundled", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-1/bgp, connection: srv-1--leaf-1}`), set: wiring},
		{name: "hostBGP, bundled", rule: "VA-8", doc: vpcTestAttachment("a", `{subnet: vpc-1/bgp, connection: srv-1--bundled--leaf-1}`), set: wiring, fail: true},
		{name: "both eslag switches list the namespace", rule: "VA-9", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: srv-1--eslag--leaf-1--leaf-2}`), set: wiring},
		{name: "switch missing", rule: "VA-9", doc: good, set: noMCLAG, fail: true, sev: Error},
		{name: "switch lacks the VLAN namespace", rule: "VA-9", doc: good, set: replace(vpcTestSwitch, "kind: Switch\nmetadata: {name: leaf-1}\nspec: {profile: p1, vlanNamespaces: [other]}\n"), fail: true},
		{name: "l3vni VPC on an l3vni-only profile", rule: "VA-10", doc: vpcTestAttachment("a", `{subnet: vpc-3/default, connection: srv-1--leaf-1}`),
			set: replace(vpcTestProfile, "kind: SwitchProfile\nmetadata: {name: p1}\nspec: {features: {l3vni: true}}\n")},
		{name: "L2VNI VPC on an l3vni-only profile", rule: "VA-10", doc: good, set: replace(vpcTestProfile, "kind: SwitchProfile\nmetadata: {name: p1}\nspec: {features: {l3vni: true}}\n"), fail: true},
		{name: "profile not in the FGD", rule: "VA-10", doc: good, set: replace(vpcTestProfile, "kind: SwitchProfile\nmetadata: {name: p2}\nspec: {features: {l3vni: true}}\n"), fail: true, sev: Warning},
		{name: "hostBGP on a non-MCLAG switch", rule: "VA-11", doc: vpcTestAttachment("a", `{subnet: vpc-1/bgp, connection: srv-1--leaf-1}`), set: wiring},
		{name: "hostBGP on an MCLAG switch", rule: "VA-11", doc: vpcTestAttachment("a", `{subnet: vpc-1/bgp, connection: srv-1--leaf-1}`), set: replace(vpcTestSwitch, mclagLeaf), fail: true},
		{name: "L2 subnet on an MCLAG switch", rule: "VA-11", doc: good, set: replace(vpcTestSwitch, mclagLeaf)},
		{name: "another subnet and one native", rule: "VA-12", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: srv-1--leaf-1, nativeVLAN: true}`),
			set: vpcTestWiring(vpcTestAttachment("b", `{subnet: vpc-3/default, connection: srv-1--leaf-1}`))},
		{name: "same subnet twice", rule: "VA-12", doc: good, set: vpcTestWiring(vpcTestAttachment("b", `{subnet: vpc-1/default, connection: srv-1--leaf-1}`)), fail: true},
		{name: "two native", rule: "VA-12", doc: vpcTestAttachment("a", `{subnet: vpc-1/default, connection: srv-1--leaf-1, nativeVLAN: true}`),
			set: vpcTestWiring(vpcTestAttachment("b", `{subnet: vpc-3/default, connection: srv-1--leaf-1, nativeVLAN: true}`)), fail: true},
		{name: "same subnet on another connection", rule: "VA-12", doc: good, set: vpcTestWiring(vpcTestAttachment("b", `{subnet: vpc-1/default, connection: srv-1--bundled--leaf-1}`))},
	}
}
