package rules

import "testing"

const externalBase = `
apiVersion: vpc.githedgehog.com/v1beta1
kind: External
metadata: {name: ext-new, namespace: default}
spec: {inboundCommunity: "65102:5000", outboundCommunity: "50000:50001"}
`

var externalCases = []wiringCase{
	{name: "valid BGP external", rule: "EXT-1"},
	{name: "uppercase name", rule: "EXT-1", fails: true, patch: `metadata: {name: Ext-New}`},
	{name: "other namespace warns", rule: "EXT-1", fails: true, sev: Warning, patch: `metadata: {namespace: team-a}`},
	{name: "11-character name", rule: "EXT-2", patch: `metadata: {name: ext-abcdefg}`},
	{name: "12-character name", rule: "EXT-2", fails: true, patch: `metadata: {name: ext-abcdefgh}`},
	{name: "ipv4Namespace defaulted", rule: "EXT-3", patch: `spec: {ipv4Namespace: null}`},
	{name: "no ipv4Namespace without defaults", rule: "EXT-3", fails: true, raw: true, patch: `spec: {ipv4Namespace: ""}`},
	{name: "no communities", rule: "EXT-4", patch: `spec: {inboundCommunity: null, outboundCommunity: null}`},
	{name: "community bounds", rule: "EXT-4", patch: `spec: {inboundCommunity: "0:65535"}`},
	{name: "community over 65535", rule: "EXT-4", fails: true, patch: `spec: {inboundCommunity: "65536:1"}`},
	{name: "community leading zero", rule: "EXT-4", fails: true, patch: `spec: {outboundCommunity: "65102:05000"}`},
	{name: "community without colon", rule: "EXT-4", fails: true, patch: `spec: {outboundCommunity: "65102"}`},
	{name: "static external", rule: "EXT-5", patch: `spec: {inboundCommunity: null, outboundCommunity: null, static: {prefixes: [10.10.0.0/16, 10.20.0.0/16]}}`},
	{name: "static with community", rule: "EXT-5", fails: true, patch: `spec: {outboundCommunity: null, static: {prefixes: [0.0.0.0/0]}}`},
	{name: "static without prefixes", rule: "EXT-5", fails: true, patch: `spec: {inboundCommunity: null, outboundCommunity: null, static: {}}`},
	{name: "static bad prefix", rule: "EXT-5", fails: true, patch: `spec: {inboundCommunity: null, outboundCommunity: null, static: {prefixes: [10.10.0.0/33]}}`},
	{name: "static overlapping prefixes", rule: "EXT-5", fails: true, patch: `spec: {inboundCommunity: null, outboundCommunity: null, static: {prefixes: [10.10.0.0/16, 10.10.5.0/24]}}`},
	{name: "namespace exists", rule: "EXT-6", patch: `spec: {ipv4Namespace: other}`},
	{name: "namespace missing warns (installer kind)", rule: "EXT-6", fails: true, sev: Warning, patch: `spec: {ipv4Namespace: nope}`},
}

func TestExternalRules(t *testing.T) { wiringRun(t, externalBase, wiringFixtures, externalCases) }

func TestExternalDefaults(t *testing.T) {
	o := wiringObject(t, externalBase, `spec: {ipv4Namespace: null}`)
	if got := strAt(o.Spec(), "ipv4Namespace"); got != "default" {
		t.Fatalf("ipv4Namespace defaulted to %q, want default", got)
	}
}
