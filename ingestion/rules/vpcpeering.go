package rules

import (
	"fmt"

	"strings"
)

// VPCPeering rules (VPCP-*). All are implemented. The CRD's counts (1–10
// entries, 1–10 subnets a side) are left to the schema check.

// vpcPeeringVPCs returns the distinct VPC names of a peering's permit
// entries, sorted.
func vpcPeeringVPCs(o *Object) []string {
	seen := map[string]bool{}
	for _, e := range listAt(o.Spec(), "permit") {
		m, _ := e.(map[string]any)
		for k := range m {
			seen[k] = true
		}
	}
	return sortedKeys(seen)
}

func vpcPeeringLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "VPCP-1")
	if cfg != nil && cfg.VPCPeeringDisabled {
		fs = append(fs, Finding{Rule: "VPCP-2", Path: []string{"spec"},
			Message: "VPC peering is disabled on this fabric (vpcPeeringDisabled: true); remove the VPCPeering or enable peering"})
	}
	spec := o.Spec()
	if r := strAt(spec, "remote"); r != "" {
		fs = append(fs, Finding{Rule: "VPCP-3", Path: []string{"spec", "remote"},
			Message: fmt.Sprintf("remote %q is deprecated and must be empty; remove it", r)})
	}
	for i, e := range listAt(spec, "permit") {
		m, ok := e.(map[string]any)
		if !ok || len(m) != 2 {
			fs = append(fs, Finding{Rule: "VPCP-4", Path: []string{"spec", "permit", fmt.Sprint(i)},
				Message: fmt.Sprintf("a permit entry must name exactly 2 VPCs as keys; this one names %d", len(m))})
		}
	}
	if vpcs := vpcPeeringVPCs(o); len(vpcs) != 2 {
		fs = append(fs, Finding{Rule: "VPCP-4", Path: []string{"spec", "permit"},
			Message: fmt.Sprintf("the permit entries name %d distinct VPCs (%s); a peering is between exactly 2", len(vpcs), strings.Join(vpcs, ", "))})
	}
	return fs
}

func vpcPeeringCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	var fs []Finding
	found := map[string]*Object{}
	for _, name := range vpcPeeringVPCs(o) {
		vpc, f := s.Resolve("VPC", name, "VPCP-5", []string{"spec", "permit"})
		if f != nil {
			fs = append(fs, *f)
			continue
		}
		found[name] = vpc
	}
	if len(found) == 2 {
		names := sortedKeys(found)
		a, b := found[names[0]].Spec(), found[names[1]].Spec()
		for _, k := range []string{"ipv4Namespace", "vlanNamespace"} {
			if x, y := vpcNameOrDefault(strAt(a, k)), vpcNameOrDefault(strAt(b, k)); x != y {
				fs = append(fs, Finding{Rule: "VPCP-5", Path: []string{"spec", "permit"},
					Message: fmt.Sprintf("VPCs %q and %q are in different %s (%q, %q); only VPCs of one namespace can peer", names[0], names[1], k, x, y)})
			}
		}
	}
	for i, e := range listAt(o.Spec(), "permit") {
		m, _ := e.(map[string]any)
		for _, name := range sortedKeys(m) {
			vpc := found[name]
			if vpc == nil {
				continue
			}
			have := mapAt(vpc.Spec(), "subnets")
			for _, sub := range stringsOf(listAt(asMap(m[name]), "subnets")) {
				if _, ok := have[sub]; !ok {
					fs = append(fs, Finding{Rule: "VPCP-6", Path: []string{"spec", "permit", fmt.Sprint(i), name, "subnets"},
						Message: fmt.Sprintf("VPC %q has no subnet %q (it has: %s)", name, sub, strings.Join(sortedKeys(have), ", "))})
				}
			}
		}
	}
	return fs
}
