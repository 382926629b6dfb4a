package rules

import "testing"

const switchGroupServerBase = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: SwitchGroup
metadata: {name: mclag-1}
spec: {}
`

var switchGroupServerCases = []wiringCase{
	{name: "switch group", rule: "SG-1"},
	{name: "switch group bad name", rule: "SG-1", fails: true, patch: `metadata: {name: "-mclag"}`},
	{name: "switch group other namespace", rule: "SG-1", fails: true, sev: Warning, patch: `metadata: {namespace: lab}`},
	{name: "server", rule: "SRV-1", patch: `{kind: Server, metadata: {name: server-02}}`},
	{name: "server bad name", rule: "SRV-1", fails: true, patch: `{kind: Server, metadata: {name: Server-02}}`},
	{name: "server profile", rule: "SRVP-1", patch: `{kind: ServerProfile, metadata: {name: gpu.large}}`},
	{name: "server profile bad name", rule: "SRVP-1", fails: true, patch: `{kind: ServerProfile, metadata: {name: gpu..large}}`},
}

func TestSwitchGroupServerRules(t *testing.T) {
	wiringRun(t, switchGroupServerBase, wiringFixtures, switchGroupServerCases)
}
