package rules

import "testing"

const switchProfileBase = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: SwitchProfile
metadata: {name: new-profile}
spec:
  displayName: New Switch
  otherNames: [New Switch NS1]
  switchSilicon: New Silicon
  platform: x86_64-new-r0
  nosType: sonic-bcm-base
  pipelines: {p1: {maxPorts: 8}}
  ports:
    M1: {nos: Management0, management: true, oniePortName: eth0}
    E1/1: {nos: Ethernet0, label: "1", profile: sfp28}
    E1/2: {nos: Ethernet1, label: "2", group: "1"}
    E1/3: {nos: 1/3, baseNOSName: Ethernet4, label: "3", profile: qsfp, pipeline: p1}
  portGroups:
    "1": {nos: "1", profile: sfp28-fixed}
  portProfiles:
    sfp28: {speed: {default: 25G, supported: [10G, 25G]}, autoNegAllowed: true, autoNegDefault: true}
    sfp28-fixed: {speed: {default: 25G, supported: [10G, 25G]}}
    qsfp: {breakout: {default: 1x100G, supported: {1x100G: {offsets: ["0"]}, 4x25G: {offsets: ["0", "1", "2", "3"]}}}}
`

var switchProfileCases = []wiringCase{
	{name: "valid", rule: "SWP-1"},
	{name: "bad name", rule: "SWP-1", fails: true, patch: `metadata: {name: new_profile}`},
	{name: "display and other names", rule: "SWP-2"},
	{name: "no displayName", rule: "SWP-2", fails: true, patch: `spec: {displayName: ""}`},
	{name: "six other names", rule: "SWP-2", fails: true, patch: `spec: {otherNames: [a, b, c, d, e, f]}`},
	{name: "repeated other name", rule: "SWP-2", fails: true, patch: `spec: {otherNames: [a, a]}`},
	{name: "cumulus nosType", rule: "SWP-3", patch: `spec: {nosType: cumulus-vx}`},
	{name: "unknown nosType", rule: "SWP-3", fails: true, patch: `spec: {nosType: sonic}`},
	{name: "no platform", rule: "SWP-3", fails: true, patch: `spec: {platform: null}`},
	{name: "distinct NOS names", rule: "SWP-4"},
	{name: "repeated NOS name", rule: "SWP-4", fails: true, patch: `spec: {ports: {E1/1: {nos: Ethernet1}}}`},
	{name: "port without nos", rule: "SWP-4", fails: true, patch: `spec: {ports: {E1/1: {nos: null}}}`},
	{name: "management port", rule: "SWP-5"},
	{name: "management port named M0", rule: "SWP-5", fails: true, patch: `spec: {ports: {M1: null, M0: {nos: Management0, management: true, oniePortName: eth0}}}`},
	{name: "management port with a profile", rule: "SWP-5", fails: true, patch: `spec: {ports: {M1: {profile: sfp28}}}`},
	{name: "management port bad onie name", rule: "SWP-5", fails: true, patch: `spec: {ports: {M1: {oniePortName: mgmt0}}}`},
	{name: "data ports", rule: "SWP-6"},
	{name: "data port named E1-1", rule: "SWP-6", fails: true, patch: `spec: {ports: {E1/1: null, E1-1: {nos: Ethernet0, label: "1", profile: sfp28}}}`},
	{name: "repeated label", rule: "SWP-6", fails: true, patch: `spec: {ports: {E1/2: {label: "1"}}}`},
	{name: "profile and group", rule: "SWP-6", fails: true, patch: `spec: {ports: {E1/2: {profile: sfp28}}}`},
	{name: "unknown profile", rule: "SWP-6", fails: true, patch: `spec: {ports: {E1/1: {profile: nope}}}`},
	{name: "breakout naming", rule: "SWP-7"},
	{name: "breakout port named Ethernet", rule: "SWP-7", fails: true, patch: `spec: {ports: {E1/3: {nos: Ethernet4, baseNOSName: Ethernet5}}}`},
	{name: "pipeline on a speed port", rule: "SWP-7", fails: true, patch: `spec: {ports: {E1/1: {pipeline: p1}}}`},
	{name: "unknown pipeline", rule: "SWP-7", fails: true, patch: `spec: {ports: {E1/3: {pipeline: p9}}}`},
	{name: "port group", rule: "SWP-8"},
	{name: "unused group", rule: "SWP-8", fails: true, patch: `spec: {portGroups: {"2": {nos: "2", profile: sfp28-fixed}}}`},
	{name: "group nos not a number", rule: "SWP-8", fails: true, patch: `spec: {portGroups: {"1": {nos: one}}}`},
	{name: "group with autoneg profile", rule: "SWP-8", fails: true, patch: `spec: {portGroups: {"1": {profile: sfp28}}, portProfiles: {sfp28-fixed: null}}`},
	{name: "port profiles", rule: "SWP-9"},
	{name: "unused profile", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {spare: {speed: {default: 10G, supported: [10G]}}}}`},
	{name: "default speed not supported", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {sfp28: {speed: {default: 40G}}}}`},
	{name: "unknown speed", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {sfp28: {speed: {supported: [25G, 30G]}}}}`},
	{name: "autoNegDefault without allowed", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {sfp28: {autoNegAllowed: false}}}`},
	{name: "breakout mode 3x", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {qsfp: {breakout: {supported: {3x25G: {offsets: ["0"]}}}}}}`},
	{name: "speed and breakout", rule: "SWP-9", fails: true, patch: `spec: {portProfiles: {qsfp: {speed: {default: 100G, supported: [100G]}}}}`},
	{name: "pipeline", rule: "SWP-10"},
	{name: "pipeline without maxPorts", rule: "SWP-10", fails: true, patch: `spec: {pipelines: {p1: {maxPorts: 0}}}`},
	{name: "extra profiles allowed", rule: "SWP-11", cfgEdit: func(c *FabricConfig) { c.AllowExtraSwitchProfiles = true }},
	{name: "extra profiles not allowed warns", rule: "SWP-11", fails: true, sev: Warning, cfg: true},
}

func TestSwitchProfileRules(t *testing.T) {
	wiringRun(t, switchProfileBase, wiringFixtures, switchProfileCases)
}
