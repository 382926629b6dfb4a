package rules

import (
	"fmt"
	"testing"
)

// vpcBenchSet builds a valid synthetic fabric: n VPCs of two subnets each,
// two attachments per VPC (each on its own unbundled Connection, spread
// over 16 leaves), a peering between neighbouring VPCs, and the namespaces.
// It returns every object and the ones of this file's kinds.
func vpcBenchSet(b *testing.B, n int) (all, mine []*Object) {
	b.Helper()
	add := func(doc string, isMine bool) {
		o := vpcTestObject(b, doc, false)
		all = append(all, o)
		if isMine {
			mine = append(mine, o)
		}
	}
	add("kind: IPv4Namespace\nmetadata: {name: default}\nspec: {subnets: [10.0.0.0/8]}", true)
	add("kind: VLANNamespace\nmetadata: {name: default}\nspec: {ranges: [{from: 1, to: 4094}]}", true)
	add("kind: SwitchProfile\nmetadata: {name: p1}\nspec: {features: {l2vni: true, l3vni: true}}", false)
	for i := 0; i < 16; i++ {
		add(fmt.Sprintf("kind: Switch\nmetadata: {name: leaf-%d}\nspec: {profile: p1}", i), false)
	}
	for i := 0; i < n; i++ {
		vlan := 1 + 2*(i%2000)
		ns := ""
		if i >= 2000 {
			ns = "vlanNamespace: second, " // VLANs are unique per namespace
		}
		add(vpcTestVPC(fmt.Sprintf("vpc-%d", i), fmt.Sprintf(`{%ssubnets: {a: {subnet: 10.%d.%d.0/24, vlan: %d, dhcp: {enable: true}}, b: {subnet: 10.%d.%d.128/25, vlan: %d}}, permit: [[a, b]]}`,
			ns, i/256, i%256, vlan, 128+i/256, i%256, vlan+1)), true)
		for j := 0; j < 2; j++ {
			conn := fmt.Sprintf("srv-%d-%d", i, j)
			add(fmt.Sprintf("kind: Connection\nmetadata: {name: %s}\nspec: {unbundled: {link: {server: {port: srv-%d/enp2s%d}, switch: {port: leaf-%d/E1/%d}}}}", conn, i, j, i%16, i/16*2+j), false)
			add(vpcTestAttachment(fmt.Sprintf("vpc-%d--%s", i, conn), fmt.Sprintf(`{subnet: vpc-%d/%c, connection: %s}`, i, 'a'+j, conn)), true)
		}
		if i > 0 {
			add(vpcTestPeering(fmt.Sprintf("vpc-%d--vpc-%d", i-1, i), fmt.Sprintf(`{permit: [{vpc-%d: {subnets: [a]}, vpc-%d: {subnets: [b]}}]}`, i-1, i)), true)
		}
	}
	if n > 2000 {
		add("kind: VLANNamespace\nmetadata: {name: second}\nspec: {ranges: [{from: 1, to: 4094}]}", true)
		add("kind: Switch\nmetadata: {name: leaf-x}\nspec: {profile: p1, vlanNamespaces: [default, second]}", false)
	}
	return all, mine
}

// BenchmarkRulesVPC runs the local and cross rules of the VPC group over a
// synthetic fabric of about 5,000 objects of its kinds, indexes included.
func BenchmarkRulesVPC(b *testing.B) {
	all, mine := vpcBenchSet(b, 1250)
	cfg := &FabricConfig{ReservedSubnets: []string{"172.28.0.0/16"}, VPCIRBVLANRanges: nil}
	// The set is valid: no rule may reject any of its objects.
	s := NewSet(all)
	for _, o := range mine {
		for _, f := range append(Local(o, cfg), s.Cross(o, cfg)...) {
			if f.Severity == Error {
				b.Fatalf("synthetic %s %s: %s %v %s", o.Kind, o.Name, f.Rule, f.Path, f.Message)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		s := NewSet(all)
		for _, o := range mine {
			Local(o, cfg)
			s.Cross(o, cfg)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(mine)), "ns/object")
	b.ReportMetric(float64(len(mine)), "objects")
}
