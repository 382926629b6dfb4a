package rules

import (
	"fmt"
	"testing"
)

func vpcTestVLANNamespace(name, ranges string) string {
	return fmt.Sprintf("kind: VLANNamespace\nmetadata: {name: %q}\nspec: {ranges: %s}\n", name, ranges)
}

func TestVLANNamespaceRules(t *testing.T) { vpcRunCases(t, vlanNamespaceCases()) }

// vlanNamespaceCases is the table of TestVLANNamespaceRules; TestRuleCoverage reads it too.
func vlanNamespaceCases() []vpcRuleCase {
	empty := &FabricConfig{}
	irb := &FabricConfig{VPCIRBVLANRanges: []VLANRange{{From: 3000, To: 3999}}}
	th5 := &FabricConfig{TH5WorkaroundVLANRanges: []VLANRange{{From: 3000, To: 3099}}}
	vpcOn1001 := vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`)
	vpcOnOtherNS := vpcTestVPC("vpc-1", `{vlanNamespace: other, subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`)
	sw := "kind: Switch\nmetadata: {name: leaf-1}\nspec: {profile: p1}\n"
	return []vpcRuleCase{
		{name: "valid", rule: "VLANNS-1", doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 2999}]")},
		{name: "uppercase", rule: "VLANNS-1", doc: vpcTestVLANNamespace("Default", "[{from: 1000, to: 2999}]"), fail: true},
		{name: "single VLAN, to omitted", rule: "VLANNS-2", doc: vpcTestVLANNamespace("default", "[{from: 1000}]")},
		{name: "from 0", rule: "VLANNS-2", doc: vpcTestVLANNamespace("default", "[{from: 0, to: 10}]"), fail: true},
		{name: "to 4095", rule: "VLANNS-2", doc: vpcTestVLANNamespace("default", "[{from: 4000, to: 4095}]"), fail: true},
		{name: "reversed", rule: "VLANNS-2", doc: vpcTestVLANNamespace("default", "[{from: 2000, to: 1000}]"), fail: true},
		{name: "own overlap without config (VLR-2)", rule: "VLANNS-3", doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 2000}, {from: 1500, to: 2500}]")},
		{name: "own overlap with empty config", rule: "VLANNS-3", cfg: empty, doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 2000}, {from: 1500, to: 2500}]"), fail: true},
		{name: "own ranges touch", rule: "VLANNS-3", cfg: empty, doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 2000}, {from: 2000, to: 2500}]"), fail: true},
		{name: "adjacent, not touching", rule: "VLANNS-3", cfg: irb, doc: vpcTestVLANNamespace("default", "[{from: 2001, to: 2999}, {from: 1000, to: 2000}]")},
		{name: "touches IRB range", rule: "VLANNS-3", cfg: irb, doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 3000}]"), fail: true},
		{name: "clear of TH5 range", rule: "VLANNS-4", cfg: th5, doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 2999}]")},
		{name: "inside TH5 range", rule: "VLANNS-4", cfg: th5, doc: vpcTestVLANNamespace("default", "[{from: 3050}]"), fail: true},
		{name: "VPC VLAN kept", rule: "VLANNS-5", old: vpcTestVLANNamespace("default", "[{from: 1000, to: 2999}]"), doc: vpcTestVLANNamespace("default", "[{from: 1000, to: 1999}]"), set: []string{vpcOn1001}},
		{name: "VPC VLAN dropped", rule: "VLANNS-5", old: vpcTestVLANNamespace("default", "[{from: 1000, to: 2999}]"), doc: vpcTestVLANNamespace("default", "[{from: 2000, to: 2999}]"), set: []string{vpcOn1001}, fail: true},
		{name: "VPC of another namespace", rule: "VLANNS-5", old: vpcTestVLANNamespace("default", "[{from: 1000, to: 2999}]"), doc: vpcTestVLANNamespace("default", "[{from: 2000, to: 2999}]"), set: []string{vpcOnOtherNS}},
		{name: "unused", rule: "VLANNS-6", del: true, doc: vpcTestVLANNamespace("spare", "[{from: 1000}]"), set: []string{vpcOn1001, sw}},
		{name: "used by a switch through its default", rule: "VLANNS-6", del: true, doc: vpcTestVLANNamespace("default", "[{from: 1000}]"), set: []string{sw}, fail: true, sev: Warning},
		{name: "used by a VPC", rule: "VLANNS-6", del: true, doc: vpcTestVLANNamespace("other", "[{from: 1000}]"), set: []string{vpcOnOtherNS}, fail: true, sev: Warning},
	}
}

func TestVLANNamespaceDefaults(t *testing.T) {
	o := vpcTestObject(t, vpcTestVLANNamespace("default", "[{from: 3000, to: 3100}, {from: 1000}]"), false)
	got := vlanRangesOf(listAt(o.Spec(), "ranges"))
	want := []VLANRange{{From: 1000, To: 1000}, {From: 3000, To: 3100}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ranges = %v, want %v", got, want)
	}
	if to := intAt(listAt(o.Spec(), "ranges")[0].(map[string]any), "to"); to != 1000 {
		t.Errorf("missing to = %d after defaults, want 1000", to)
	}
}
