package rules

import (
	"fmt"
	"net/netip"
	"sort"
)

// IPv4Namespace rules (IPNS-*). All are implemented. The subnets are sorted
// by the defaults, so findings about one subnet point at spec.subnets and
// name the subnet in the message rather than giving an index that would not
// match the file.

const ipv4NamespaceMaxSubnets = 10

// ipv4NamespaceDefaults sorts spec.subnets as strings, as Hedgehog does.
func ipv4NamespaceDefaults(o *Object) {
	spec, ok := o.Obj["spec"].(map[string]any)
	if !ok {
		return
	}
	l := listAt(spec, "subnets")
	sort.SliceStable(l, func(i, j int) bool {
		a, _ := l[i].(string)
		b, _ := l[j].(string)
		return a < b
	})
}

// ipv4NamespaceSubnets returns the subnets that parse, in order.
func ipv4NamespaceSubnets(o *Object) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range stringsOf(listAt(o.Spec(), "subnets")) {
		if p, ok := parsePrefix(s); ok {
			out = append(out, p)
		}
	}
	return out
}

func ipv4NamespaceLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "IPNS-1")
	fs = append(fs, maxNameLength(o, "IPNS-2", 11)...)
	path := []string{"spec", "subnets"}
	raw := listAt(o.Spec(), "subnets")
	type parsed struct {
		text   string
		prefix netip.Prefix
	}
	var good []parsed
	for _, v := range raw {
		s, _ := v.(string)
		p, ok := parsePrefix(s)
		if !ok {
			fs = append(fs, Finding{Rule: "IPNS-3", Path: path,
				Message: fmt.Sprintf("subnet %q is not a CIDR prefix; write it as address/length, such as 10.0.0.0/16", s)})
			continue
		}
		good = append(good, parsed{s, p})
	}
	if len(raw) > ipv4NamespaceMaxSubnets {
		fs = append(fs, Finding{Rule: "IPNS-4", Path: path,
			Message: fmt.Sprintf("%d subnets; an IPv4Namespace may have at most %d", len(raw), ipv4NamespaceMaxSubnets)})
	}
	for i := range good {
		for j := i + 1; j < len(good); j++ {
			if overlaps(good[i].prefix, good[j].prefix) {
				fs = append(fs, Finding{Rule: "IPNS-5", Path: path,
					Message: fmt.Sprintf("subnets %q and %q overlap; the subnets of a namespace must be disjoint", good[i].text, good[j].text)})
			}
		}
	}
	if cfg != nil {
		for _, g := range good {
			if r, ok := vpcReservedOverlap(g.prefix, cfg); ok {
				fs = append(fs, Finding{Rule: "IPNS-6", Path: path,
					Message: fmt.Sprintf("subnet %q overlaps the fabric's reserved subnet %q; choose a range outside reservedSubnets", g.text, r)})
			}
		}
	}
	return fs
}

// vpcReservedOverlap returns the first of the fabric's reservedSubnets that
// p overlaps. Unparseable reserved subnets are ignored (the config is
// checked where it is loaded).
func vpcReservedOverlap(p netip.Prefix, cfg *FabricConfig) (string, bool) {
	for _, r := range cfg.ReservedSubnets {
		if rp, ok := parsePrefix(r); ok && overlaps(p, rp) {
			return r, true
		}
	}
	return "", false
}

// ipv4NamespaceUpdate is IPNS-7: every subnet of every VPC already in the
// namespace must still fit inside one of the new subnets.
func ipv4NamespaceUpdate(_, o *Object, s *Set) []Finding {
	subnets := ipv4NamespaceSubnets(o)
	var fs []Finding
	for _, vpc := range vpcIndexByIPv4Namespace(s)[o.Name] {
		for _, sn := range vpcSubnetsOf(vpc) {
			if !sn.parsed {
				continue
			}
			if _, ok := vpcContainingPrefix(sn.prefix, subnets); !ok {
				fs = append(fs, Finding{Rule: "IPNS-7", Path: []string{"spec", "subnets"},
					Message: fmt.Sprintf("VPC %q subnet %q (%s) would no longer fit inside any subnet of this namespace; keep a subnet that contains it or move the VPC first", vpc.Name, sn.name, sn.text)})
			}
		}
	}
	return fs
}

// ipv4NamespaceDeleted is IPNS-8: VPCs and Externals that use the namespace.
func ipv4NamespaceDeleted(o *Object, s *Set) []Finding {
	var fs []Finding
	for _, vpc := range vpcIndexByIPv4Namespace(s)[o.Name] {
		fs = append(fs, Finding{Rule: "IPNS-8", Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("IPv4Namespace %q is still used by VPC %q; Hedgehog refuses to delete it", o.Name, vpc.Name)})
	}
	for _, ext := range s.All("External") {
		if vpcNameOrDefault(strAt(ext.Spec(), "ipv4Namespace")) == o.Name {
			fs = append(fs, Finding{Rule: "IPNS-8", Path: []string{"metadata", "name"},
				Message: fmt.Sprintf("IPv4Namespace %q is still used by External %q; Hedgehog refuses to delete it", o.Name, ext.Name)})
		}
	}
	return fs
}

// vpcNameOrDefault returns name, or "default" for an empty namespace name, as
// Hedgehog's defaults would have set it.
func vpcNameOrDefault(name string) string {
	if name == "" {
		return "default"
	}
	return name
}
