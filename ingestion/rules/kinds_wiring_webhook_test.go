package rules

import (
	"strings"
	"testing"
)

// wiringWebhookCase is a [webhook, update] or [webhook, delete] check: an
// update from old to new, or the deletion of old, against the fixtures.
type wiringWebhookCase struct {
	name     string
	rule     string
	fails    bool
	old, new string // YAML; new empty means old is deleted
}

const wiringWebhookFixtures = wiringFixtures + `
---
apiVersion: vpc.githedgehog.com/v1beta1
kind: VPCAttachment
metadata: {name: vpc-1--server-01}
spec: {subnet: vpc-1/default, connection: server-01--unbundled--leaf-01}
`

const (
	whUnbundled = `{kind: Connection, metadata: {name: c1}, spec: {unbundled: {link: {server: {port: server-01/eth9}, switch: {port: leaf-01/E1/3}}}}}`
	whStatic    = `{kind: Connection, metadata: {name: c2}, spec: {staticExternal: {withinVPC: vpc-1, link: {switch: {port: leaf-02/E1/3, ip: 172.31.0.1/24, nextHop: 172.31.0.254}}}}}`
	whRoCE      = `{kind: Switch, metadata: {name: leaf-01}, spec: {role: server-leaf, profile: test-profile, asn: 65101, ip: 172.30.0.8/24, protocolIP: 172.30.8.2/32, roce: true, portBreakouts: {E1/6: 1x100G}}}`
)

var wiringWebhookCases = []wiringWebhookCase{
	{name: "delete an unreferenced External", rule: "EXT-7", old: `{kind: External, metadata: {name: ext-static}, spec: {static: {prefixes: [0.0.0.0/0]}}}`},
	{name: "delete an External still attached", rule: "EXT-7", fails: true, old: `{kind: External, metadata: {name: ext-bgp}, spec: {}}`},
	{name: "change a connection's mtu", rule: "CONN-16", old: whUnbundled, new: whUnbundled + "\n---\nspec: {unbundled: {mtu: 1500}}"},
	{name: "change a connection's type", rule: "CONN-16", fails: true, old: whUnbundled,
		new: whUnbundled + "\n---\nspec: {unbundled: null, bundled: {links: [{server: {port: server-01/eth9}, switch: {port: leaf-01/E1/3}}]}}"},
	{name: "change withinVPC", rule: "CONN-16", fails: true, old: whStatic, new: whStatic + "\n---\nspec: {staticExternal: {withinVPC: vpc-2}}"},
	{name: "delete an unused connection", rule: "CONN-16", old: `{kind: Connection, metadata: {name: spine-01--fabric--leaf-01}, spec: {}}`},
	{name: "delete a connection with a VPCAttachment", rule: "CONN-16", fails: true, old: `{kind: Connection, metadata: {name: server-01--unbundled--leaf-01}, spec: {}}`},
	{name: "delete a connection with an ExternalAttachment", rule: "CONN-16", fails: true, old: `{kind: Connection, metadata: {name: leaf-02--external}, spec: {}}`},
	{name: "change breakouts without RoCE", rule: "SW-20", old: whRoCE + "\n---\nspec: {roce: false}", new: whRoCE + "\n---\nspec: {roce: false, portBreakouts: {E1/6: 4x25G}}"},
	{name: "change breakouts with RoCE", rule: "SW-20", fails: true, old: whRoCE, new: whRoCE + "\n---\nspec: {portBreakouts: {E1/6: 4x25G}}"},
	{name: "change breakouts while turning RoCE off", rule: "SW-20", fails: true, old: whRoCE, new: whRoCE + "\n---\nspec: {roce: false, portBreakouts: null}"},
	{name: "delete an unused switch", rule: "SW-20", old: `{kind: Switch, metadata: {name: leaf-09}, spec: {}}`},
	{name: "delete a switch with connections", rule: "SW-20", fails: true, old: `{kind: Switch, metadata: {name: leaf-01}, spec: {}}`},
	{name: "delete an unused server", rule: "SRV-1", old: `{kind: Server, metadata: {name: server-02}, spec: {}}`},
	{name: "delete a server with a connection", rule: "SRV-1", fails: true, old: `{kind: Server, metadata: {name: server-01}, spec: {}}`},
}

func TestWiringWebhookRules(t *testing.T) {
	for _, c := range wiringWebhookCases {
		t.Run(c.name, func(t *testing.T) {
			s := wiringSet(t, wiringWebhookFixtures)
			oldDoc, oldPatch, _ := strings.Cut(c.old, "\n---\n")
			old := wiringObject(t, oldDoc, oldPatch)
			newDoc, newPatch, _ := strings.Cut(c.new, "\n---\n")
			var fs []Finding
			wantSev := Warning
			if c.new == "" {
				fs = Deleted(old, s)
			} else {
				fs = Update(old, wiringObject(t, newDoc, newPatch), s)
				wantSev = Error
			}
			if !c.fails {
				if len(fs) != 0 {
					t.Fatalf("want no findings, got %s", wiringFormat(fs))
				}
				return
			}
			for _, f := range fs {
				if f.Rule == c.rule && f.Severity == wantSev && f.Cross && f.Message != "" {
					return
				}
			}
			t.Fatalf("want a %s finding (severity %d), got %s", c.rule, wantSev, wiringFormat(fs))
		})
	}
}
