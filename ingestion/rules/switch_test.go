package rules

import (
	"reflect"
	"testing"
)

const switchBase = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: Switch
metadata: {name: leaf-03}
spec: {role: server-leaf, profile: test-profile, asn: 65103, ip: 172.30.0.11/24, protocolIP: 172.30.8.5/32, vtepIP: 172.30.12.2/32}
`

// switchFixtures adds a plain profile without features, with few ports,
// and a VLANNamespace that overlaps default.
const switchFixtures = wiringFixtures + `
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: SwitchProfile
metadata: {name: basic-profile}
spec:
  displayName: Basic
  switchSilicon: Basic Silicon
  platform: x86_64-basic-r0
  nosType: sonic-bcm-vs
  maxPorts: 3
  pipelines: {p1: {maxPorts: 2}}
  ports:
    E1/1: {nos: Ethernet0, label: "1", profile: sfp28}
    E1/2: {nos: 1/2, baseNOSName: Ethernet4, label: "2", profile: qsfp, pipeline: p1}
  portProfiles:
    sfp28: {speed: {default: 25G, supported: [10G, 25G]}}
    qsfp: {breakout: {default: 1x100G, supported: {1x100G: {offsets: ["0"]}, 4x25G: {offsets: ["0", "1", "2", "3"]}}}}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: VLANNamespace
metadata: {name: touching}
spec: {ranges: [{from: 2999, to: 3000}]}
---
apiVersion: wiring.githedgehog.com/v1beta1
kind: Gateway
metadata: {name: gw-1}
spec: {protocolIP: 172.30.8.9/32, vtepIP: 172.30.12.9/32}
`

var switchCases = []wiringCase{
	{name: "valid leaf", rule: "SW-1"},
	{name: "bad name", rule: "SW-1", fails: true, patch: `metadata: {name: Leaf-03}`},
	{name: "vlanNamespaces defaulted", rule: "SW-2", patch: `spec: {vlanNamespaces: []}`},
	{name: "no VLAN namespace without defaults", rule: "SW-2", fails: true, raw: true},
	{name: "asn 0", rule: "SW-3", fails: true, patch: `spec: {asn: 0}`},
	{name: "no protocolIP", rule: "SW-3", fails: true, patch: `spec: {protocolIP: null}`},
	{name: "asn, ip, protocolIP set", rule: "SW-3"},
	{name: "leaf without vtepIP, no config", rule: "SW-4", patch: `spec: {vtepIP: null}`},
	{name: "leaf without vtepIP in spine-leaf", rule: "SW-4", fails: true, cfg: true, patch: `spec: {vtepIP: null}`},
	{name: "spine with vtepIP", rule: "SW-4", fails: true, patch: `spec: {role: spine}`},
	{name: "profile set", rule: "SW-5"},
	{name: "profile missing", rule: "SW-5", fails: true, patch: `spec: {profile: ""}`},
	{name: "eslag with group", rule: "SW-6", patch: `spec: {redundancy: {group: eslag-1, type: eslag}}`},
	{name: "type without group", rule: "SW-6", fails: true, patch: `spec: {redundancy: {type: eslag}}`},
	{name: "unknown type", rule: "SW-6", fails: true, patch: `spec: {redundancy: {group: eslag-1, type: vpc}}`},
	{name: "linkFlapErrDisable defaulted", rule: "SW-7", patch: `spec: {linkFlapErrDisable: {}}`},
	{name: "flapThreshold over 50", rule: "SW-7", fails: true, patch: `spec: {linkFlapErrDisable: {flapThreshold: 51}}`},
	{name: "two disjoint namespaces", rule: "SW-8", patch: `spec: {vlanNamespaces: [default, extra]}`},
	{name: "touching namespaces", rule: "SW-8", fails: true, patch: `spec: {vlanNamespaces: [default, touching]}`},
	{name: "namespace missing warns (installer kind)", rule: "SW-8", fails: true, sev: Warning, patch: `spec: {vlanNamespaces: [nope]}`},
	{name: "group exists", rule: "SW-9", patch: `spec: {groups: [eslag-1]}`},
	{name: "group absent from an FGD with SwitchGroups", rule: "SW-9", fails: true, patch: `spec: {groups: [nope]}`},
	{name: "empty group", rule: "SW-9", fails: true, patch: `spec: {groups: [""]}`},
	{name: "profile exists", rule: "SW-10"},
	{name: "profile missing warns (installer kind)", rule: "SW-10", fails: true, sev: Warning, patch: `spec: {profile: builtin-x}`},
	{name: "supported speeds and breakout", rule: "SW-11", patch: `spec: {portSpeeds: {E1/1: SPEED_10G}, portGroupSpeeds: {"1": 10G}, portBreakouts: {E1/6: 4x25G}}`},
	{name: "unsupported port speed", rule: "SW-11", fails: true, patch: `spec: {portSpeeds: {E1/1: 40G}}`},
	{name: "speed on a group port", rule: "SW-11", fails: true, patch: `spec: {portSpeeds: {E1/5: 10G}}`},
	{name: "unknown port group", rule: "SW-11", fails: true, patch: `spec: {portGroupSpeeds: {"2": 10G}}`},
	{name: "breakout on a speed port", rule: "SW-11", fails: true, patch: `spec: {portBreakouts: {E1/1: 4x25G}}`},
	{name: "unsupported breakout mode", rule: "SW-11", fails: true, patch: `spec: {portBreakouts: {E1/6: 2x50G}}`},
	{name: "autoneg and FEC where allowed", rule: "SW-12", patch: `spec: {portAutoNegs: {E1/1: true}, portFECs: {E1/6: rs, E1/6/1: rs, E1/2: auto}}`},
	{name: "FEC on broken-out sub-ports", rule: "SW-12", patch: `spec: {portBreakouts: {E1/6: 4x25G}, portFECs: {E1/6/2: rs}}`},
	{name: "autoneg on a group port", rule: "SW-12", fails: true, patch: `spec: {portAutoNegs: {E1/5: true}}`},
	{name: "FEC on the base name of a broken-out port", rule: "SW-12", fails: true, patch: `spec: {portBreakouts: {E1/6: 4x25G}, portFECs: {E1/6: rs}}`},
	{name: "roce where supported", rule: "SW-13", patch: `spec: {roce: true, ecmp: {roceQPN: true}}`},
	{name: "roce unsupported", rule: "SW-13", fails: true, patch: `spec: {profile: basic-profile, roce: true}`},
	{name: "eslag unsupported", rule: "SW-13", fails: true, patch: `spec: {profile: basic-profile, redundancy: {group: eslag-1, type: eslag}}`},
	{name: "mclag warns", rule: "SW-13", fails: true, sev: Warning, patch: `spec: {redundancy: {group: eslag-1, type: mclag}}`},
	{name: "ports within limits", rule: "SW-14", patch: `spec: {profile: basic-profile}`},
	{name: "breakout exceeds maxPorts", rule: "SW-14", fails: true, patch: `spec: {profile: basic-profile, portBreakouts: {E1/2: 4x25G}}`},
	{name: "management ip hydrated", rule: "SW-15", cfg: true},
	{name: "management ip outside managementSubnet", rule: "SW-15", fails: true, cfg: true, patch: `spec: {ip: 10.0.0.5/24}`},
	{name: "management ip in the DHCP range", rule: "SW-15", fails: true, cfg: true, patch: `spec: {ip: 172.30.0.150/24}`},
	{name: "management ip is the control VIP", rule: "SW-15", fails: true, cfg: true, patch: `spec: {ip: 172.30.0.1/24}`},
	{name: "management ip of another switch", rule: "SW-15", fails: true, cfg: true, patch: `spec: {ip: 172.30.0.8/24}`},
	{name: "config lacks vtepSubnet", rule: "SW-15", fails: true, cfgEdit: func(c *FabricConfig) { c.VTEPSubnet = "" }},
	{name: "protocolIP hydrated", rule: "SW-16", cfg: true},
	{name: "protocolIP not /32", rule: "SW-16", fails: true, cfg: true, patch: `spec: {protocolIP: 172.30.8.5/31}`},
	{name: "protocolIP of another switch", rule: "SW-16", fails: true, cfg: true, patch: `spec: {protocolIP: 172.30.8.2/32}`},
	{name: "protocolIP of a gateway", rule: "SW-16", fails: true, cfgEdit: func(c *FabricConfig) { c.EnableGateway = true }, patch: `spec: {protocolIP: 172.30.8.9/32}`},
	{name: "leaf ASN in range", rule: "SW-17", cfg: true},
	{name: "mclag leaf may share an ASN", rule: "SW-17", cfg: true, patch: `spec: {asn: 65101, vtepIP: 172.30.12.0/32, redundancy: {group: eslag-1, type: mclag}}`},
	{name: "leaf ASN of another leaf", rule: "SW-17", fails: true, cfg: true, patch: `spec: {asn: 65101}`},
	{name: "leaf ASN out of range", rule: "SW-17", fails: true, cfg: true, patch: `spec: {asn: 64000}`},
	{name: "spine ASN", rule: "SW-18", cfg: true, patch: `spec: {role: spine, asn: 65100, vtepIP: null}`},
	{name: "spine ASN differs", rule: "SW-18", fails: true, cfg: true, patch: `spec: {role: spine, asn: 65199, vtepIP: null}`},
	{name: "vtepIP hydrated", rule: "SW-19", cfg: true},
	{name: "vtepIP outside vtepSubnet", rule: "SW-19", fails: true, cfg: true, patch: `spec: {vtepIP: 172.30.16.2/32}`},
	{name: "vtepIP of another switch", rule: "SW-19", fails: true, cfg: true, patch: `spec: {vtepIP: 172.30.12.0/32}`},
	{name: "vtepIP of a gateway", rule: "SW-19", fails: true, cfgEdit: func(c *FabricConfig) { c.EnableGateway = true }, patch: `spec: {vtepIP: 172.30.12.9/32}`},
}

func TestSwitchRules(t *testing.T) { wiringRun(t, switchBase, switchFixtures, switchCases) }

func TestSwitchDefaults(t *testing.T) {
	o := wiringObject(t, switchBase, `spec: {groups: [zz, aa], redundancy: {group: mm, type: eslag}, portSpeeds: {E1/1: SPEED_25G}, linkFlapErrDisable: {}}`)
	spec := o.Spec()
	checks := []struct {
		name      string
		got, want any
	}{
		{"groups", stringsOf(listAt(spec, "groups")), []string{"aa", "mm", "zz"}},
		{"vlanNamespaces", stringsOf(listAt(spec, "vlanNamespaces")), []string{"default"}},
		{"portSpeeds", strAt(mapAt(spec, "portSpeeds"), "E1/1"), "25G"},
		{"flapThreshold", intAt(mapAt(spec, "linkFlapErrDisable"), "flapThreshold"), int64(3)},
		{"samplingInterval", intAt(mapAt(spec, "linkFlapErrDisable"), "samplingInterval"), int64(30)},
		{"recoveryInterval", intAt(mapAt(spec, "linkFlapErrDisable"), "recoveryInterval"), int64(300)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
