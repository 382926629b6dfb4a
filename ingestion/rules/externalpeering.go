package rules

import (
	"fmt"
	"sort"
	"strconv"
)

// ExternalPeering (vpc.githedgehog.com): EP-1..EP-8. The VPC side is read
// straight from the VPC object, so this file needs nothing from the VPC
// rules.

func externalPeeringDefaults(o *Object) {
	permit := mapAt(o.Spec(), "permit")
	if vpc, ok := permit["vpc"].(map[string]any); ok {
		if subnets := listAt(vpc, "subnets"); subnets != nil {
			sort.SliceStable(subnets, func(i, j int) bool {
				a, _ := subnets[i].(string)
				b, _ := subnets[j].(string)
				return a < b
			})
		}
	}
	if ext, ok := permit["external"].(map[string]any); ok {
		if prefixes := listAt(ext, "prefixes"); prefixes != nil {
			sort.SliceStable(prefixes, func(i, j int) bool {
				return strAt(asMap(prefixes[i]), "prefix") < strAt(asMap(prefixes[j]), "prefix")
			})
		}
	}
}

func externalPeeringLocal(o *Object, _ *FabricConfig) []Finding {
	fs := metaRules(o, "EP-1")
	permit := mapAt(o.Spec(), "permit")
	if strAt(mapAt(permit, "vpc"), "name") == "" {
		fs = append(fs, Finding{Rule: "EP-2", Path: []string{"spec", "permit", "vpc", "name"},
			Message: "permit.vpc.name is required: name the VPC to peer with the External"})
	}
	ext := mapAt(permit, "external")
	if strAt(ext, "name") == "" {
		fs = append(fs, Finding{Rule: "EP-3", Path: []string{"spec", "permit", "external", "name"},
			Message: "permit.external.name is required: name the External to peer with the VPC"})
	}
	for i, p := range listAt(ext, "prefixes") {
		if strAt(asMap(p), "prefix") == "" {
			fs = append(fs, Finding{Rule: "EP-4", Path: []string{"spec", "permit", "external", "prefixes", strconv.Itoa(i), "prefix"},
				Message: "prefix must not be empty; write the permitted prefix, such as 0.0.0.0/0"})
		}
	}
	return fs
}

// wiringIPv4NamespaceOf returns the IPv4Namespace of a VPC or an External,
// with Hedgehog's default for an object that was stored before defaulting.
func wiringIPv4NamespaceOf(o *Object) string {
	if ns := strAt(o.Spec(), "ipv4Namespace"); ns != "" {
		return ns
	}
	return "default"
}

func externalPeeringCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	var fs []Finding
	permit := mapAt(o.Spec(), "permit")
	vpcSide, extSide := mapAt(permit, "vpc"), mapAt(permit, "external")
	var vpc, ext *Object
	if name := strAt(vpcSide, "name"); name != "" {
		var f *Finding
		if vpc, f = s.Resolve("VPC", name, "EP-5", []string{"spec", "permit", "vpc", "name"}); f != nil {
			fs = append(fs, *f)
		}
	}
	if name := strAt(extSide, "name"); name != "" {
		var f *Finding
		if ext, f = s.Resolve("External", name, "EP-6", []string{"spec", "permit", "external", "name"}); f != nil {
			fs = append(fs, *f)
		}
	}
	if vpc != nil && ext != nil {
		if a, b := wiringIPv4NamespaceOf(vpc), wiringIPv4NamespaceOf(ext); a != b {
			fs = append(fs, Finding{Rule: "EP-7", Path: []string{"spec", "permit", "external", "name"},
				Message: fmt.Sprintf("VPC %q is in IPv4Namespace %q but External %q is in %q; they must share one IPv4Namespace", vpc.Name, a, ext.Name, b)})
		}
	}
	if vpc != nil {
		subnets := mapAt(vpc.Spec(), "subnets")
		for i, v := range listAt(vpcSide, "subnets") {
			name, _ := v.(string)
			if _, ok := subnets[name]; !ok {
				fs = append(fs, Finding{Rule: "EP-8", Path: []string{"spec", "permit", "vpc", "subnets", strconv.Itoa(i)},
					Message: fmt.Sprintf("VPC %q has no subnet %q; it has %v", vpc.Name, name, sortedKeys(subnets))})
			}
		}
	}
	return fs
}
