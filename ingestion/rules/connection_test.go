package rules

import "testing"

const connectionBase = `
apiVersion: wiring.githedgehog.com/v1beta1
kind: Connection
metadata: {name: server-01--unbundled--leaf-01--2}
spec: {unbundled: {link: {server: {port: server-01/eth2}, switch: {port: leaf-01/E1/2}}}}
`

// Patches that replace the unbundled block with another type.
const (
	connESLAGOK  = `spec: {unbundled: null, eslag: {links: [{server: {port: server-01/eth3}, switch: {port: leaf-01/E1/3}}, {server: {port: server-01/eth4}, switch: {port: leaf-02/E1/3}}]}}`
	connFabricOK = `spec: {unbundled: null, fabric: {links: [{spine: {port: spine-01/E1/2, ip: 172.30.128.2/31}, leaf: {port: leaf-02/E1/1, ip: 172.30.128.3/31}}]}}`
	connStaticOK = `spec: {unbundled: null, staticExternal: {withinVPC: vpc-1, link: {switch: {port: leaf-02/E1/3, ip: 172.31.0.1/24, nextHop: 172.31.0.254, subnets: [10.50.0.0/16, 10.60.0.0/16]}}}}`
)

func connFabricIPsPatch(spine, leaf string) string {
	return `spec: {unbundled: null, fabric: {links: [{spine: {port: spine-01/E1/2, ip: ` + spine + `}, leaf: {port: leaf-02/E1/1, ip: ` + leaf + `}}]}}`
}

func connStaticSubnets(subnets string) string {
	return connStaticOK + "\n---\nspec: {staticExternal: {link: {switch: {subnets: " + subnets + "}}}}"
}

var connectionCases = []wiringCase{
	{name: "valid unbundled", rule: "CONN-1"},
	{name: "bad name", rule: "CONN-1", fails: true, patch: `metadata: {name: "server-01/leaf-01"}`},
	{name: "unbundled is not deprecated", rule: "CONN-2"},
	{name: "mclag warns", rule: "CONN-2", fails: true, sev: Warning, patch: `spec: {unbundled: null, mclag: {links: [{server: {port: server-01/eth5}, switch: {port: leaf-01/E1/3}}]}}`},
	{name: "mtu at the limit", rule: "CONN-3", cfg: true, patch: `spec: {unbundled: {mtu: 9036}}`},
	{name: "mtu over the limit", rule: "CONN-3", fails: true, cfg: true, patch: `spec: {unbundled: {mtu: 9037}}`},
	{name: "mtu with an empty config", rule: "CONN-3", fails: true, cfgEdit: func(c *FabricConfig) { *c = FabricConfig{FabricSubnet: c.FabricSubnet} }, patch: `spec: {unbundled: {mtu: 1500}}`},
	{name: "type set", rule: "CONN-4"},
	{name: "no type", rule: "CONN-4", fails: true, patch: `spec: {unbundled: null}`},
	{name: "port with sub-port path", rule: "CONN-5", patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/6/1}}}}`},
	{name: "port without device", rule: "CONN-5", fails: true, patch: `spec: {unbundled: {link: {switch: {port: /E1/2}}}}`},
	{name: "port without slash", rule: "CONN-5", fails: true, patch: `spec: {unbundled: {link: {server: {port: server-01}}}}`},
	{name: "eslag with two switches", rule: "CONN-6", cfg: true, patch: connESLAGOK},
	{name: "fabric with two switches", rule: "CONN-6", patch: connFabricOK},
	{name: "unbundled with one port twice", rule: "CONN-6", fails: true, patch: `spec: {unbundled: {link: {server: {port: leaf-01/E1/2}}}}`},
	{name: "bundled repeats a port", rule: "CONN-6", fails: true, patch: `spec: {unbundled: null, bundled: {links: [{server: {port: server-01/eth5}, switch: {port: leaf-01/E1/3}}, {server: {port: server-01/eth6}, switch: {port: leaf-01/E1/3}}]}}`},
	{name: "fabric with one switch", rule: "CONN-6", fails: true, patch: `spec: {unbundled: null, fabric: {links: [{spine: {port: leaf-02/E1/2}, leaf: {port: leaf-02/E1/1}}]}}`},
	{name: "valid static external", rule: "CONN-7", cfg: true, patch: connStaticOK},
	{name: "static external default route alone", rule: "CONN-7", patch: connStaticSubnets(`[0.0.0.0/0]`)},
	{name: "nextHop outside the switch ip", rule: "CONN-7", fails: true, patch: connStaticOK + "\n---\nspec: {staticExternal: {link: {switch: {nextHop: 172.31.1.254}}}}"},
	{name: "switch ip not CIDR", rule: "CONN-7", fails: true, patch: connStaticOK + "\n---\nspec: {staticExternal: {link: {switch: {ip: 172.31.0.1}}}}"},
	{name: "default route with others", rule: "CONN-7", fails: true, patch: connStaticSubnets(`[0.0.0.0/0, 10.50.0.0/16]`)},
	{name: "subnet with host bits", rule: "CONN-7", fails: true, patch: connStaticSubnets(`[10.50.0.1/16]`)},
	{name: "subnets overlap", rule: "CONN-7", fails: true, patch: connStaticSubnets(`[10.50.0.0/16, 10.50.1.0/24]`)},
	{name: "subnet overlaps reserved", rule: "CONN-7", fails: true, cfg: true, patch: connStaticSubnets(`[172.28.0.0/16]`)},
	{name: "eslag in spine-leaf", rule: "CONN-8", cfg: true, patch: connESLAGOK},
	{name: "eslag with no fabricMode", rule: "CONN-8", fails: true, cfgEdit: func(c *FabricConfig) { c.FabricMode = "" }, patch: connESLAGOK},
	{name: "switch exists", rule: "CONN-9"},
	{name: "switch absent", rule: "CONN-9", fails: true, patch: `spec: {unbundled: {link: {switch: {port: leaf-09/E1/2}}}}`},
	{name: "breakout port's first sub-port", rule: "CONN-10", patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/6/1}}}}`},
	{name: "management port", rule: "CONN-10", patch: `spec: {unbundled: {link: {switch: {port: leaf-01/M1}}}}`},
	{name: "sub-port of a port not broken out", rule: "CONN-10", fails: true, patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/6/2}}}}`},
	{name: "port not in the profile", rule: "CONN-10", fails: true, patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/9}}}}`},
	{name: "eslag switches share a group", rule: "CONN-11", patch: connESLAGOK},
	{name: "eslag switch without redundancy", rule: "CONN-11", fails: true, patch: `spec: {unbundled: null, eslag: {links: [{server: {port: server-01/eth3}, switch: {port: leaf-01/E1/3}}, {server: {port: server-01/eth4}, switch: {port: spine-01/E1/3}}]}}`},
	{name: "server exists", rule: "CONN-12"},
	{name: "server absent", rule: "CONN-12", fails: true, patch: `spec: {unbundled: {link: {server: {port: server-09/eth1}}}}`},
	{name: "free port", rule: "CONN-13"},
	{name: "port used by another connection", rule: "CONN-13", fails: true, patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/1}}}}`},
	{name: "first sub-port of a used port", rule: "CONN-13", fails: true, patch: `spec: {unbundled: {link: {switch: {port: leaf-01/E1/4/1}}}}`},
	{name: "server port used by another connection", rule: "CONN-13", fails: true, patch: `spec: {unbundled: {link: {server: {port: server-01/eth1}}}}`},
	{name: "fabric link /31", rule: "CONN-14", cfg: true, patch: connFabricOK},
	{name: "fabric link address reused", rule: "CONN-14", fails: true, cfg: true, patch: connFabricIPsPatch("172.30.128.0/31", "172.30.128.1/31")},
	{name: "fabric link ends in different /31", rule: "CONN-14", fails: true, cfg: true, patch: connFabricIPsPatch("172.30.128.2/31", "172.30.128.5/31")},
	{name: "fabric link /30", rule: "CONN-14", fails: true, cfg: true, patch: connFabricIPsPatch("172.30.128.8/30", "172.30.128.9/30")},
	{name: "fabric link outside fabricSubnet", rule: "CONN-14", fails: true, cfg: true, patch: connFabricIPsPatch("10.0.0.0/31", "10.0.0.1/31")},
	{name: "no fabricSubnet rejects every connection", rule: "CONN-14", fails: true, cfgEdit: func(c *FabricConfig) { c.FabricSubnet = "" }},
	{name: "withinVPC exists", rule: "CONN-15", patch: connStaticOK},
	{name: "withinVPC absent", rule: "CONN-15", fails: true, patch: connStaticOK + "\n---\nspec: {staticExternal: {withinVPC: vpc-9}}"},
}

func TestConnectionRules(t *testing.T) { wiringRun(t, connectionBase, wiringFixtures, connectionCases) }

// TestConnectionMissingProfile: a switch whose SwitchProfile is not in the
// FGD skips the port check; the Switch itself carries the SW-10 warning.
func TestConnectionMissingProfile(t *testing.T) {
	o := wiringObject(t, connectionBase, `spec: {unbundled: {link: {switch: {port: leaf-01/E1/99}}}}`)
	sw := wiringObject(t, `{kind: Switch, metadata: {name: leaf-01}, spec: {role: server-leaf, profile: builtin-x, asn: 1, ip: 1.1.1.1/24, protocolIP: 1.1.1.1/32}}`, "")
	srv := wiringObject(t, `{kind: Server, metadata: {name: server-01}, spec: {}}`, "")
	if fs := NewSet([]*Object{o, sw, srv}).Cross(o, nil); len(fs) != 0 {
		t.Fatalf("want no findings, got %s", wiringFormat(fs))
	}
}
