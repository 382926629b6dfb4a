package rules

import (
	"fmt"
	"strings"
	"testing"
)

// wiringBenchFabric builds a valid synthetic fabric of about 5,000 wiring
// objects: 4 spines, 100 leaves, 2,500 servers each on an unbundled
// Connection, 400 fabric Connections, 100 Externals with their external
// Connections, attachments and peerings (and the VPCs these name).
func wiringBenchFabric(tb testing.TB) []*Object {
	var docs []string
	add := func(format string, args ...any) { docs = append(docs, fmt.Sprintf(format, args...)) }
	var ports strings.Builder
	for p := 1; p <= 128; p++ {
		fmt.Fprintf(&ports, "E1/%d: {nos: Ethernet%d, label: \"%d\", profile: sfp28}, ", p, p-1, p)
	}
	add(`{kind: SwitchProfile, metadata: {name: bench}, spec: {displayName: Bench, switchSilicon: S, platform: P, nosType: sonic-bcm-vs,
		ports: {%s M1: {nos: Management0, management: true, oniePortName: eth0}}, portProfiles: {sfp28: {speed: {default: 25G, supported: [25G]}}}}}`, ports.String())
	add(`{kind: VLANNamespace, metadata: {name: default}, spec: {ranges: [{from: 1000, to: 2999}]}}`)
	add(`{kind: IPv4Namespace, metadata: {name: default}, spec: {subnets: [10.0.0.0/8]}}`)
	for s := 0; s < 4; s++ {
		add(`{kind: Switch, metadata: {name: spine-%d}, spec: {role: spine, profile: bench, asn: 65100, ip: 172.30.0.%d/24, protocolIP: 172.30.8.%d/32}}`, s, 2+s, s)
	}
	for l := 0; l < 100; l++ {
		add(`{kind: Switch, metadata: {name: leaf-%d}, spec: {role: server-leaf, profile: bench, asn: %d, ip: 172.30.1.%d/23, protocolIP: 172.30.9.%d/32, vtepIP: 172.30.12.%d/32}}`,
			l, 65101+l, l, l, l)
		for s := 0; s < 4; s++ {
			n := (l*4 + s) * 2
			add(`{kind: Connection, metadata: {name: spine-%d--leaf-%d}, spec: {fabric: {links: [{spine: {port: spine-%d/E1/%d, ip: 172.30.%d.%d/31}, leaf: {port: leaf-%d/E1/%d, ip: 172.30.%d.%d/31}}]}}}`,
				s, l, s, l+1, 128+n/256, n%256, l, 1+s, 128+n/256, n%256+1)
		}
		add(`{kind: Connection, metadata: {name: leaf-%d--external}, spec: {external: {link: {switch: {port: leaf-%d/E1/48}}}}}`, l, l)
		add(`{kind: External, metadata: {name: ext-%d}, spec: {inboundCommunity: "65102:%d"}}`, l, l)
		add(`{kind: ExternalAttachment, metadata: {name: ea-%d}, spec: {external: ext-%d, connection: leaf-%d--external, switch: {ip: 100.100.%d.1/24, vlan: 100}, neighbor: {asn: 65200, ip: 100.100.%d.6},
			inboundACL: {statements: [{seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: 10.0.0.0/8, portRangeBegin: 443, portRangeEnd: 443}]}}}`, l, l, l, l, l)
		add(`{kind: VPC, metadata: {name: vpc-%d}, spec: {subnets: {default: {subnet: 10.%d.0.0/24, vlan: %d}}}}`, l, l, 1000+l)
		add(`{kind: ExternalPeering, metadata: {name: vpc-%d--ext-%d}, spec: {permit: {vpc: {name: vpc-%d, subnets: [default]}, external: {name: ext-%d, prefixes: [{prefix: 0.0.0.0/0}]}}}}`, l, l, l, l)
	}
	for s := 0; s < 2500; s++ {
		add(`{kind: Server, metadata: {name: server-%d}, spec: {}}`, s)
		add(`{kind: Connection, metadata: {name: server-%d--leaf-%d}, spec: {unbundled: {link: {server: {port: server-%d/eth1}, switch: {port: leaf-%d/E1/%d}}}}}`,
			s, s%100, s, s%100, 5+s/100)
	}
	objs := make([]*Object, len(docs))
	for i, d := range docs {
		objs[i] = wiringObject(tb, d, "")
	}
	return objs
}

func wiringBenchCfg() *FabricConfig {
	c := wiringCfg()
	c.ManagementSubnet, c.ManagementDHCPStart, c.ControlVIP = "172.30.0.0/23", "172.30.1.200", "172.30.0.1/32"
	return c
}

// TestWiringBenchFabricValid keeps the benchmark honest: its fabric breaks
// no rule, so the figure measures the checks, not rejections.
func TestWiringBenchFabricValid(t *testing.T) {
	objs := wiringBenchFabric(t)
	s := NewSet(objs)
	cfg := wiringBenchCfg()
	for _, o := range objs {
		for _, f := range append(Local(o, cfg), s.Cross(o, cfg)...) {
			if f.Severity == Error {
				t.Fatalf("%s %s: %s", o.Kind, o.Name, wiringFormat([]Finding{f}))
			}
		}
	}
}

// BenchmarkRulesWiring runs every local and cross rule over the fabric,
// building the set and its indexes afresh each time, and reports ns per
// object.
func BenchmarkRulesWiring(b *testing.B) {
	objs := wiringBenchFabric(b)
	cfg := wiringBenchCfg()
	b.ResetTimer()
	for b.Loop() {
		s := NewSet(objs)
		for _, o := range objs {
			Local(o, cfg)
			s.Cross(o, cfg)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(objs)), "ns/object")
	b.ReportMetric(float64(len(objs)), "objects")
}
