package rules

import "testing"

const externalAttachmentBase = `
apiVersion: vpc.githedgehog.com/v1beta1
kind: ExternalAttachment
metadata: {name: ea-new}
spec:
  external: ext-bgp
  connection: leaf-02--external
  switch: {ip: 100.100.1.1/24, vlan: 101}
  neighbor: {asn: 65200, ip: 100.100.1.6}
`

// eaStaticPatch turns the base into a valid static attachment.
const eaStaticPatch = `spec: {external: ext-static, switch: {ip: null, vlan: null}, neighbor: {asn: null, ip: null}, static: {remoteIP: 100.100.2.6, ip: 100.100.2.1/24, vlan: 102}}
---
`

var externalAttachmentCases = []wiringCase{
	{name: "valid BGP attachment", rule: "EA-1"},
	{name: "bad name", rule: "EA-1", fails: true, patch: `metadata: {name: ea_new}`},
	{name: "external given", rule: "EA-2"},
	{name: "external missing", rule: "EA-2", fails: true, patch: `spec: {external: null}`},
	{name: "connection given", rule: "EA-3"},
	{name: "connection missing", rule: "EA-3", fails: true, patch: `spec: {connection: ""}`},
	{name: "BGP without vlan", rule: "EA-4", patch: `spec: {switch: {vlan: null}}`},
	{name: "BGP switch.ip not CIDR", rule: "EA-4", fails: true, patch: `spec: {switch: {ip: 100.100.1.1}}`},
	{name: "BGP switch.ip missing", rule: "EA-4", fails: true, patch: `spec: {switch: {ip: null}}`},
	{name: "BGP neighbor asn 0", rule: "EA-4", fails: true, patch: `spec: {neighbor: {asn: 0}}`},
	{name: "BGP neighbor ip bad", rule: "EA-4", fails: true, patch: `spec: {neighbor: {ip: 100.100.1.300}}`},
	{name: "static with ip", rule: "EA-5", patch: eaStaticPatch},
	{name: "static with proxy", rule: "EA-5", patch: eaStaticPatch + `spec: {static: {ip: null, proxy: true}}`},
	{name: "static with switch.vlan", rule: "EA-5", fails: true, patch: eaStaticPatch + `spec: {switch: {vlan: 5}}`},
	{name: "static with neighbor asn", rule: "EA-5", fails: true, patch: eaStaticPatch + `spec: {neighbor: {asn: 65000}}`},
	{name: "static without remoteIP", rule: "EA-5", fails: true, patch: eaStaticPatch + `spec: {static: {remoteIP: null}}`},
	{name: "static with ip and proxy", rule: "EA-5", fails: true, patch: eaStaticPatch + `spec: {static: {proxy: true}}`},
	{name: "static with neither ip nor proxy", rule: "EA-5", fails: true, patch: eaStaticPatch + `spec: {static: {ip: null}}`},
	{name: "empty inboundACL", rule: "EA-6", patch: `spec: {inboundACL: {}}`},
	{name: "BGP external for a BGP attachment", rule: "EA-7"},
	{name: "static external for a static attachment", rule: "EA-7", patch: eaStaticPatch},
	{name: "static needs static external", rule: "EA-7", fails: true, patch: eaStaticPatch + `spec: {external: ext-bgp}`},
	{name: "BGP needs BGP external", rule: "EA-7", fails: true, patch: `spec: {external: ext-static}`},
	{name: "external absent from an FGD that has Externals", rule: "EA-7", fails: true, patch: `spec: {external: ext-nope}`},
	{name: "connection is external", rule: "EA-8"},
	{name: "connection not external", rule: "EA-8", fails: true, patch: `spec: {connection: server-01--unbundled--leaf-01}`},
	{name: "connection absent", rule: "EA-8", fails: true, patch: `spec: {connection: nope}`},
	{name: "other VLAN on the same connection", rule: "EA-9"},
	{name: "same VLAN on the same connection", rule: "EA-9", fails: true, patch: `spec: {switch: {vlan: 100}}`},
	{name: "static VLAN clashes too", rule: "EA-9", fails: true, patch: eaStaticPatch + `spec: {static: {vlan: 100}}`},
}

func TestExternalAttachmentRules(t *testing.T) {
	wiringRun(t, externalAttachmentBase, wiringFixtures, externalAttachmentCases)
}

// TestExternalAttachmentReferenceWarnings: an FGD with no External and no
// Connection at all gets warnings, not errors (issue 11 §3).
func TestExternalAttachmentReferenceWarnings(t *testing.T) {
	o := wiringObject(t, externalAttachmentBase, "")
	fs := NewSet([]*Object{o}).Cross(o, nil)
	rules := map[string]bool{}
	for _, f := range fs {
		if f.Severity != Warning || !f.Cross {
			t.Fatalf("want only cross warnings, got %s", wiringFormat(fs))
		}
		rules[f.Rule] = true
	}
	if !rules["EA-7"] || !rules["EA-8"] {
		t.Fatalf("want EA-7 and EA-8 warnings, got %s", wiringFormat(fs))
	}
}
