package rules

import (
	"fmt"
	"testing"
)

func vpcTestPeering(name, spec string) string {
	return fmt.Sprintf("apiVersion: vpc.githedgehog.com/v1beta1\nkind: VPCPeering\nmetadata: {name: %q}\nspec: %s\n", name, spec)
}

func TestVPCPeeringRules(t *testing.T) { vpcRunCases(t, vpcPeeringCases()) }

// vpcPeeringCases is the table of TestVPCPeeringRules; TestRuleCoverage reads it too.
func vpcPeeringCases() []vpcRuleCase {
	vpcs := vpcTestFabric(
		vpcTestVPC("vpc-1", `{subnets: {a: {subnet: 10.0.1.0/24, vlan: 1001}, b: {subnet: 10.0.2.0/24, vlan: 1002}}}`),
		vpcTestVPC("vpc-2", `{subnets: {a: {subnet: 10.0.3.0/24, vlan: 1003}}}`),
		vpcTestVPC("vpc-3", `{subnets: {a: {subnet: 10.0.4.0/24, vlan: 1004}}}`),
		vpcTestIPv4Namespace("other", "10.1.0.0/16"),
		vpcTestVPC("vpc-x", `{ipv4Namespace: other, subnets: {a: {subnet: 10.1.1.0/24, vlan: 1005}}}`),
	)
	good := vpcTestPeering("vpc-1--vpc-2", `{permit: [{vpc-1: {subnets: [a]}, vpc-2: {subnets: [a]}}, {vpc-1: {subnets: [b]}, vpc-2: {}}]}`)
	return []vpcRuleCase{
		{name: "valid", rule: "VPCP-1", doc: good, set: vpcs},
		{name: "trailing dash", rule: "VPCP-1", doc: vpcTestPeering("vpc-1--vpc-2-", `{permit: [{vpc-1: {}, vpc-2: {}}]}`), set: vpcs, fail: true},
		{name: "peering enabled", rule: "VPCP-2", doc: good, set: vpcs, cfg: &FabricConfig{}},
		{name: "peering disabled", rule: "VPCP-2", doc: good, set: vpcs, cfg: &FabricConfig{VPCPeeringDisabled: true}, fail: true},
		{name: "no remote", rule: "VPCP-3", doc: good, set: vpcs},
		{name: "remote set", rule: "VPCP-3", doc: vpcTestPeering("p", `{remote: border, permit: [{vpc-1: {}, vpc-2: {}}]}`), set: vpcs, fail: true},
		{name: "sides without subnets", rule: "VPCP-4", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}, vpc-2: {}}]}`), set: vpcs},
		{name: "one VPC in an entry", rule: "VPCP-4", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}}]}`), set: vpcs, fail: true},
		{name: "three VPCs in an entry", rule: "VPCP-4", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}, vpc-2: {}, vpc-3: {}}]}`), set: vpcs, fail: true},
		{name: "three VPCs across entries", rule: "VPCP-4", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}, vpc-2: {}}, {vpc-1: {}, vpc-3: {}}]}`), set: vpcs, fail: true},
		{name: "no entries", rule: "VPCP-4", doc: vpcTestPeering("p", `{permit: []}`), set: vpcs, fail: true},
		{name: "same namespaces", rule: "VPCP-5", doc: good, set: vpcs},
		{name: "VPC missing", rule: "VPCP-5", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}, vpc-9: {}}]}`), set: vpcs, fail: true, sev: Error},
		{name: "no VPC in the FGD", rule: "VPCP-5", doc: good, fail: true, sev: Warning},
		{name: "different IPv4 namespaces", rule: "VPCP-5", doc: vpcTestPeering("p", `{permit: [{vpc-1: {}, vpc-x: {}}]}`), set: vpcs, fail: true},
		{name: "subnets exist", rule: "VPCP-6", doc: good, set: vpcs},
		{name: "subnet missing", rule: "VPCP-6", doc: vpcTestPeering("p", `{permit: [{vpc-1: {subnets: [c]}, vpc-2: {}}]}`), set: vpcs, fail: true},
	}
}
