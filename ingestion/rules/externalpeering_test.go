package rules

import (
	"reflect"
	"testing"
)

const externalPeeringBase = `
apiVersion: vpc.githedgehog.com/v1beta1
kind: ExternalPeering
metadata: {name: vpc-1--ext-bgp}
spec:
  permit:
    vpc: {name: vpc-1, subnets: [default, backend]}
    external: {name: ext-bgp, prefixes: [{prefix: 0.0.0.0/0}]}
`

var externalPeeringCases = []wiringCase{
	{name: "valid", rule: "EP-1"},
	{name: "bad name", rule: "EP-1", fails: true, patch: `metadata: {name: "vpc-1--ext-"}`},
	{name: "vpc named", rule: "EP-2"},
	{name: "vpc name missing", rule: "EP-2", fails: true, patch: `spec: {permit: {vpc: {name: null}}}`},
	{name: "external named", rule: "EP-3"},
	{name: "external name missing", rule: "EP-3", fails: true, patch: `spec: {permit: {external: {name: ""}}}`},
	{name: "no prefixes and no subnets", rule: "EP-4", patch: `spec: {permit: {vpc: {subnets: null}, external: {prefixes: []}}}`},
	{name: "unparsed prefix passes", rule: "EP-4", patch: `spec: {permit: {external: {prefixes: [{prefix: not-a-prefix}]}}}`},
	{name: "empty prefix", rule: "EP-4", fails: true, patch: `spec: {permit: {external: {prefixes: [{prefix: ""}]}}}`},
	{name: "vpc exists", rule: "EP-5"},
	{name: "vpc absent from an FGD that has VPCs", rule: "EP-5", fails: true, patch: `spec: {permit: {vpc: {name: vpc-9}}}`},
	{name: "external exists", rule: "EP-6"},
	{name: "external absent from an FGD that has Externals", rule: "EP-6", fails: true, patch: `spec: {permit: {external: {name: ext-9}}}`},
	{name: "same namespace", rule: "EP-7"},
	{name: "namespaces differ", rule: "EP-7", fails: true, patch: `spec: {permit: {external: {name: ext-other}}}`},
	{name: "subnets exist", rule: "EP-8"},
	{name: "subnet missing", rule: "EP-8", fails: true, patch: `spec: {permit: {vpc: {subnets: [default, frontend]}}}`},
}

const externalPeeringFixtures = wiringFixtures + `
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: External
metadata: {name: ext-other}
spec: {ipv4Namespace: other}
`

func TestExternalPeeringRules(t *testing.T) {
	wiringRun(t, externalPeeringBase, externalPeeringFixtures, externalPeeringCases)
}

// TestExternalPeeringMissingKinds: with no VPC and no External in the FGD,
// EP-5 and EP-6 warn (as for the real demo samples, whose External comes
// from the installer).
func TestExternalPeeringMissingKinds(t *testing.T) {
	o := wiringObject(t, externalPeeringBase, "")
	fs := NewSet([]*Object{o}).Cross(o, nil)
	if len(fs) != 2 || fs[0].Severity != Warning || fs[1].Severity != Warning {
		t.Fatalf("want two warnings (EP-5, EP-6), got %s", wiringFormat(fs))
	}
}

func TestExternalPeeringDefaults(t *testing.T) {
	o := wiringObject(t, externalPeeringBase, `spec: {permit: {external: {prefixes: [{prefix: 10.0.0.0/8}, {prefix: 0.0.0.0/0}]}}}`)
	permit := mapAt(o.Spec(), "permit")
	if got := stringsOf(listAt(mapAt(permit, "vpc"), "subnets")); !reflect.DeepEqual(got, []string{"backend", "default"}) {
		t.Errorf("subnets sorted to %v", got)
	}
	var prefixes []string
	for _, p := range listAt(mapAt(permit, "external"), "prefixes") {
		prefixes = append(prefixes, strAt(asMap(p), "prefix"))
	}
	if !reflect.DeepEqual(prefixes, []string{"0.0.0.0/0", "10.0.0.0/8"}) {
		t.Errorf("prefixes sorted to %v", prefixes)
	}
}
