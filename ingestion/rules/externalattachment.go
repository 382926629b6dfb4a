package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ExternalAttachment (vpc.githedgehog.com): EA-1..EA-9, with the ACL rules
// of its inboundACL (EA-6, reported as ACL-1..ACL-8).

func externalAttachmentLocal(o *Object, _ *FabricConfig) []Finding {
	fs := metaRules(o, "EA-1")
	spec := o.Spec()
	if strAt(spec, "external") == "" {
		fs = append(fs, Finding{Rule: "EA-2", Path: []string{"spec", "external"},
			Message: "external is required: name the External this attachment connects to"})
	}
	if strAt(spec, "connection") == "" {
		fs = append(fs, Finding{Rule: "EA-3", Path: []string{"spec", "connection"},
			Message: "connection is required: name the external Connection this attachment uses"})
	}
	sw, nb := mapAt(spec, "switch"), mapAt(spec, "neighbor")
	if static, ok := spec["static"].(map[string]any); ok {
		fs = append(fs, eaStatic(static, sw, nb)...)
	} else {
		fs = append(fs, eaBGP(sw, nb)...)
	}
	if acl, ok := spec["inboundACL"].(map[string]any); ok {
		fs = append(fs, aclRules(acl, []string{"spec", "inboundACL"})...)
	}
	return fs
}

// eaBGP: EA-4.
func eaBGP(sw, nb map[string]any) []Finding {
	var fs []Finding
	if ip := strAt(sw, "ip"); ip == "" {
		fs = append(fs, Finding{Rule: "EA-4", Path: []string{"spec", "switch", "ip"},
			Message: "a BGP attachment needs switch.ip, the switch side address in CIDR form, such as 100.100.0.1/24"})
	} else if _, err := netip.ParsePrefix(ip); err != nil {
		fs = append(fs, Finding{Rule: "EA-4", Path: []string{"spec", "switch", "ip"},
			Message: fmt.Sprintf("switch.ip %q is not in CIDR form, such as 100.100.0.1/24", ip)})
	}
	if intAt(nb, "asn") == 0 {
		fs = append(fs, Finding{Rule: "EA-4", Path: []string{"spec", "neighbor", "asn"},
			Message: "a BGP attachment needs neighbor.asn, the external router's non-zero ASN"})
	}
	if ip := strAt(nb, "ip"); ip == "" {
		fs = append(fs, Finding{Rule: "EA-4", Path: []string{"spec", "neighbor", "ip"},
			Message: "a BGP attachment needs neighbor.ip, the external router's IP address"})
	} else if _, err := netip.ParseAddr(ip); err != nil {
		fs = append(fs, Finding{Rule: "EA-4", Path: []string{"spec", "neighbor", "ip"},
			Message: fmt.Sprintf("neighbor.ip %q is not an IP address, such as 100.100.0.6", ip)})
	}
	return fs
}

// eaStatic: EA-5.
func eaStatic(static, sw, nb map[string]any) []Finding {
	var fs []Finding
	unset := func(m map[string]any, key, field string) {
		if v, ok := m[key]; ok && v != nil && v != "" {
			if n, isNum := toInt64(v); isNum && n == 0 {
				return
			}
			fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", field, key},
				Message: fmt.Sprintf("%s.%s must be unset on a static attachment; write %s: {} and put the addressing under static", field, key, field)})
		}
	}
	unset(sw, "ip", "switch")
	unset(sw, "vlan", "switch")
	unset(nb, "asn", "neighbor")
	unset(nb, "ip", "neighbor")
	if r := strAt(static, "remoteIP"); r == "" {
		fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", "static", "remoteIP"},
			Message: "a static attachment needs static.remoteIP, the external router's IP address"})
	} else if _, err := netip.ParseAddr(r); err != nil {
		fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", "static", "remoteIP"},
			Message: fmt.Sprintf("static.remoteIP %q is not an IP address", r)})
	}
	ip, proxy := strAt(static, "ip"), boolAt(static, "proxy")
	switch {
	case ip != "" && proxy:
		fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", "static", "proxy"},
			Message: "static.ip and static.proxy are both set; set exactly one of them"})
	case ip == "" && !proxy:
		fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", "static", "ip"},
			Message: "a static attachment needs exactly one of static.ip (CIDR form, such as 100.100.0.1/24) or static.proxy: true"})
	case ip != "":
		if _, err := netip.ParsePrefix(ip); err != nil {
			fs = append(fs, Finding{Rule: "EA-5", Path: []string{"spec", "static", "ip"},
				Message: fmt.Sprintf("static.ip %q is not in CIDR form, such as 100.100.0.1/24", ip)})
		}
	}
	return fs
}

// eaVLAN is the VLAN EA-9 compares: switch.vlan for BGP, static.vlan for
// static attachments.
func eaVLAN(spec map[string]any) int64 {
	if static, ok := spec["static"].(map[string]any); ok {
		return intAt(static, "vlan")
	}
	return intAt(mapAt(spec, "switch"), "vlan")
}

func externalAttachmentCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	var fs []Finding
	spec := o.Spec()
	_, isStatic := spec["static"].(map[string]any)
	if name := strAt(spec, "external"); name != "" {
		ext, f := s.Resolve("External", name, "EA-7", []string{"spec", "external"})
		if f != nil {
			fs = append(fs, *f)
		} else {
			_, extStatic := ext.Spec()["static"].(map[string]any)
			switch {
			case isStatic && !extStatic:
				fs = append(fs, Finding{Rule: "EA-7", Path: []string{"spec", "external"},
					Message: fmt.Sprintf("External %q is a BGP External; a static attachment needs a static External", name)})
			case !isStatic && extStatic:
				fs = append(fs, Finding{Rule: "EA-7", Path: []string{"spec", "external"},
					Message: fmt.Sprintf("External %q is a static External; a BGP attachment needs a BGP External (or add static to this attachment)", name)})
			}
		}
	}
	connName := strAt(spec, "connection")
	if connName == "" {
		return fs
	}
	conn, f := s.Resolve("Connection", connName, "EA-8", []string{"spec", "connection"})
	if f != nil {
		fs = append(fs, *f)
	} else if _, ok := conn.Spec()["external"].(map[string]any); !ok {
		fs = append(fs, Finding{Rule: "EA-8", Path: []string{"spec", "connection"},
			Message: fmt.Sprintf("Connection %q is not of type external; an ExternalAttachment needs an external Connection", connName)})
	}
	byConn := Index(s, "wiringEAByConnectionVLAN", func(s *Set) map[string]map[int64][]string {
		m := map[string]map[int64][]string{}
		for _, a := range s.All("ExternalAttachment") {
			c := strAt(a.Spec(), "connection")
			if m[c] == nil {
				m[c] = map[int64][]string{}
			}
			v := eaVLAN(a.Spec())
			m[c][v] = append(m[c][v], a.Name)
		}
		return m
	})
	vlan := eaVLAN(spec)
	var others []string
	for _, n := range byConn[connName][vlan] {
		if n != o.Name {
			others = append(others, quote(n))
		}
	}
	if len(others) > 0 {
		path := []string{"spec", "switch", "vlan"}
		if isStatic {
			path = []string{"spec", "static", "vlan"}
		}
		fs = append(fs, Finding{Rule: "EA-9", Path: path,
			Message: fmt.Sprintf("VLAN %s on Connection %q is also used by ExternalAttachment %s; each attachment on a Connection needs its own VLAN",
				strconv.FormatInt(vlan, 10), connName, strings.Join(others, ", "))})
	}
	return fs
}
