package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
)

// External (vpc.githedgehog.com): EXT-1..EXT-7.

func externalDefaults(o *Object) {
	spec := wiringSpec(o)
	if strAt(spec, "ipv4Namespace") == "" {
		spec["ipv4Namespace"] = "default"
	}
}

// bgpCommunity is A:B with decimal parts and no leading zeros; the 0..65535
// bound is checked after the match.
var bgpCommunity = regexp.MustCompile(`^(0|[1-9][0-9]{0,4}):(0|[1-9][0-9]{0,4})$`)

func validCommunity(s string) bool {
	m := bgpCommunity.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return a <= 65535 && b <= 65535
}

func externalLocal(o *Object, _ *FabricConfig) []Finding {
	fs := metaRules(o, "EXT-1")
	fs = append(fs, maxNameLength(o, "EXT-2", 11)...)
	spec := o.Spec()
	if strAt(spec, "ipv4Namespace") == "" {
		fs = append(fs, Finding{Rule: "EXT-3", Path: []string{"spec", "ipv4Namespace"},
			Message: "ipv4Namespace must name an IPv4Namespace, such as default"})
	}
	static, isStatic := spec["static"].(map[string]any)
	for _, key := range []string{"inboundCommunity", "outboundCommunity"} {
		c := strAt(spec, key)
		switch {
		case c == "":
		case isStatic:
			fs = append(fs, Finding{Rule: "EXT-5", Path: []string{"spec", key},
				Message: fmt.Sprintf("%s %q is set on a static External; a static External takes no BGP communities, remove it", key, c)})
		case !validCommunity(c):
			fs = append(fs, Finding{Rule: "EXT-4", Path: []string{"spec", key},
				Message: fmt.Sprintf("%s %q is not a BGP community; write A:B with A and B in 0..65535 and no leading zeros, such as 65102:5000", key, c)})
		}
	}
	if !isStatic {
		return fs
	}
	prefixes := listAt(static, "prefixes")
	if len(prefixes) == 0 {
		fs = append(fs, Finding{Rule: "EXT-5", Path: []string{"spec", "static", "prefixes"},
			Message: "a static External needs at least one prefix in static.prefixes, such as 0.0.0.0/0"})
	}
	type parsed struct {
		i int
		p netip.Prefix
	}
	var good []parsed
	for i, v := range prefixes {
		s, _ := v.(string)
		p, ok := parsePrefix(s)
		if !ok {
			fs = append(fs, Finding{Rule: "EXT-5", Path: []string{"spec", "static", "prefixes", strconv.Itoa(i)},
				Message: fmt.Sprintf("prefix %q is not a CIDR prefix, such as 10.0.0.0/16", s)})
			continue
		}
		for _, g := range good {
			if overlaps(p, g.p) {
				fs = append(fs, Finding{Rule: "EXT-5", Path: []string{"spec", "static", "prefixes", strconv.Itoa(i)},
					Message: fmt.Sprintf("prefix %q overlaps prefix %s (item %d); static prefixes must not overlap", s, g.p, g.i)})
				break
			}
		}
		good = append(good, parsed{i, p})
	}
	return fs
}

func externalCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	ns := strAt(o.Spec(), "ipv4Namespace")
	if ns == "" {
		return nil
	}
	if _, f := s.Resolve("IPv4Namespace", ns, "EXT-6", []string{"spec", "ipv4Namespace"}); f != nil {
		return []Finding{*f}
	}
	return nil
}

// externalDeleted: EXT-7, an External still named by an ExternalAttachment
// or an ExternalPeering.
func externalDeleted(o *Object, s *Set) []Finding {
	refs := Index(s, "wiringExternalReferrers", func(s *Set) map[string][]string {
		m := map[string][]string{}
		for _, a := range s.All("ExternalAttachment") {
			if e := strAt(a.Spec(), "external"); e != "" {
				m[e] = append(m[e], "ExternalAttachment "+quote(a.Name))
			}
		}
		for _, p := range s.All("ExternalPeering") {
			if e := strAt(mapAt(mapAt(p.Spec(), "permit"), "external"), "name"); e != "" {
				m[e] = append(m[e], "ExternalPeering "+quote(p.Name))
			}
		}
		return m
	})
	return wiringStillReferenced(o, "EXT-7", refs[o.Name])
}
