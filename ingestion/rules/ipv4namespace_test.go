package rules

import (
	"fmt"
	"strings"
	"testing"
)

func vpcTestIPv4Namespace(name string, subnets ...string) string {
	return fmt.Sprintf("kind: IPv4Namespace\nmetadata: {name: %q}\nspec: {subnets: [%s]}\n", name, strings.Join(subnets, ", "))
}

func TestIPv4NamespaceRules(t *testing.T) { vpcRunCases(t, ipv4NamespaceCases()) }

// ipv4NamespaceCases is the table of TestIPv4NamespaceRules; TestRuleCoverage reads it too.
func ipv4NamespaceCases() []vpcRuleCase {
	cfg := &FabricConfig{ReservedSubnets: []string{"172.28.0.0/16", "10.96.0.0/12"}}
	ten := make([]string, 11)
	for i := range ten {
		ten[i] = fmt.Sprintf("10.%d.0.0/16", i)
	}
	vpcInNS := vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}}}`)
	ext := `
kind: External
metadata: {name: ext-1}
spec: {inboundCommunity: "65102:5000", outboundCommunity: "50000:50001"}`
	return []vpcRuleCase{
		{name: "valid", rule: "IPNS-1", doc: vpcTestIPv4Namespace("default", "10.0.0.0/16")},
		{name: "underscore", rule: "IPNS-1", doc: vpcTestIPv4Namespace("my_ns", "10.0.0.0/16"), fail: true},
		{name: "other namespace", rule: "IPNS-1", doc: "kind: IPv4Namespace\nmetadata: {name: a, namespace: b}\nspec: {subnets: [10.0.0.0/16]}", fail: true, sev: Warning},
		{name: "11 characters", rule: "IPNS-2", doc: vpcTestIPv4Namespace("abcdefghijk", "10.0.0.0/16")},
		{name: "12 characters", rule: "IPNS-2", doc: vpcTestIPv4Namespace("abcdefghijkl", "10.0.0.0/16"), fail: true},
		{name: "host bits masked", rule: "IPNS-3", doc: vpcTestIPv4Namespace("default", "10.0.0.1/16")},
		{name: "/33", rule: "IPNS-3", doc: vpcTestIPv4Namespace("default", "10.0.0.0/33"), fail: true},
		{name: "no length", rule: "IPNS-3", doc: vpcTestIPv4Namespace("default", "10.0.0.0"), fail: true},
		{name: "10 subnets", rule: "IPNS-4", doc: vpcTestIPv4Namespace("default", ten[:10]...)},
		{name: "11 subnets", rule: "IPNS-4", doc: vpcTestIPv4Namespace("default", ten...), fail: true},
		{name: "disjoint", rule: "IPNS-5", doc: vpcTestIPv4Namespace("default", "10.1.0.0/16", "10.0.0.0/16")},
		{name: "nested", rule: "IPNS-5", doc: vpcTestIPv4Namespace("default", "10.0.0.0/16", "10.0.1.0/24"), fail: true},
		{name: "outside reserved", rule: "IPNS-6", doc: vpcTestIPv4Namespace("default", "10.0.0.0/16"), cfg: cfg},
		{name: "inside reserved", rule: "IPNS-6", doc: vpcTestIPv4Namespace("default", "10.100.0.0/16"), cfg: cfg, fail: true},
		{name: "reserved without config", rule: "IPNS-6", doc: vpcTestIPv4Namespace("default", "10.100.0.0/16")},
		{name: "still contains the VPCs", rule: "IPNS-7", old: vpcTestIPv4Namespace("default", "10.0.0.0/16"), doc: vpcTestIPv4Namespace("default", "10.0.0.0/8"), set: []string{vpcInNS}},
		{name: "VPC left out", rule: "IPNS-7", old: vpcTestIPv4Namespace("default", "10.0.0.0/16"), doc: vpcTestIPv4Namespace("default", "10.1.0.0/16"), set: []string{vpcInNS}, fail: true},
		{name: "VPC of another namespace", rule: "IPNS-7", old: vpcTestIPv4Namespace("other", "10.0.0.0/16"), doc: vpcTestIPv4Namespace("other", "10.1.0.0/16"), set: []string{vpcInNS}},
		{name: "unused", rule: "IPNS-8", del: true, doc: vpcTestIPv4Namespace("other", "10.0.0.0/16"), set: []string{vpcInNS, ext}},
		{name: "used by a VPC", rule: "IPNS-8", del: true, doc: vpcTestIPv4Namespace("default", "10.0.0.0/16"), set: []string{vpcInNS}, fail: true, sev: Warning},
		{name: "used by an External", rule: "IPNS-8", del: true, doc: vpcTestIPv4Namespace("default", "10.0.0.0/16"), set: []string{ext}, fail: true, sev: Warning},
	}
}

func TestIPv4NamespaceDefaultsSortSubnets(t *testing.T) {
	o := vpcTestObject(t, vpcTestIPv4Namespace("default", "10.2.0.0/16", "10.10.0.0/16", "10.1.0.0/16"), false)
	got := strings.Join(stringsOf(listAt(o.Spec(), "subnets")), " ")
	if want := "10.1.0.0/16 10.10.0.0/16 10.2.0.0/16"; got != want {
		t.Errorf("subnets = %s, want %s (sorted as strings)", got, want)
	}
}
