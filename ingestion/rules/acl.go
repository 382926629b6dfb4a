package rules

import (
	"fmt"
	"strconv"
)

// ACL statements of an ExternalAttachment's inboundACL: ACL-1..ACL-8
// (EA-6). Each broken statement reports the specific ACL rule.

var (
	aclActions   = map[string]bool{"permit": true, "deny": true, "discard": true, "transit": true}
	aclProtocols = map[string]bool{"ip": true, "tcp": true, "udp": true, "icmp": true}
	// aclTCPFlagPairs are the flags that cannot be combined with their negation.
	aclTCPFlagPairs = [][2]string{{"fin", "notFin"}, {"syn", "notSyn"}, {"rst", "notRst"}, {"psh", "notPsh"}, {"ack", "notAck"}, {"urg", "notUrg"}}
)

// aclRules checks the statements of acl, whose field path is base.
func aclRules(acl map[string]any, base []string) []Finding {
	var fs []Finding
	seen := map[int64]int{}
	for i, v := range listAt(acl, "statements") {
		st, _ := v.(map[string]any)
		path := func(field string) []string { return wiringPath(base, "statements", i, field) }
		seq := intAt(st, "seq")
		if seq < 10 {
			fs = append(fs, Finding{Rule: "ACL-1", Path: path("seq"),
				Message: fmt.Sprintf("seq %d is reserved; statement numbers start at 10", seq)})
		}
		if j, dup := seen[seq]; dup {
			fs = append(fs, Finding{Rule: "ACL-2", Path: path("seq"),
				Message: fmt.Sprintf("seq %d is already used by statement %d; each statement needs its own seq", seq, j)})
		} else {
			seen[seq] = i
		}
		if a := strAt(st, "action"); !aclActions[a] {
			fs = append(fs, Finding{Rule: "ACL-3", Path: path("action"),
				Message: fmt.Sprintf("action %q is not one of permit, deny, discard, transit", a)})
		}
		proto := strAt(st, "protocol")
		if !aclProtocols[proto] {
			fs = append(fs, Finding{Rule: "ACL-4", Path: path("protocol"),
				Message: fmt.Sprintf("protocol %q is not one of ip, tcp, udp, icmp", proto)})
		}
		for _, key := range []string{"srcPrefix", "dstPrefix"} {
			p := strAt(st, key)
			if p == "any" {
				continue
			}
			if _, ok := parsePrefix(p); !ok {
				fs = append(fs, Finding{Rule: "ACL-5", Path: path(key),
					Message: fmt.Sprintf("%s %q must be any or a CIDR prefix, such as 10.0.0.0/8", key, p)})
			}
		}
		if tf, ok := st["tcpFilters"].(map[string]any); ok {
			fs = append(fs, aclTCPFilters(tf, proto, path("tcpFilters"))...)
		}
		for _, key := range []string{"icmpType", "icmpCode"} {
			if st[key] != nil && proto != "icmp" {
				fs = append(fs, Finding{Rule: "ACL-7", Path: path(key),
					Message: fmt.Sprintf("%s is only allowed with protocol icmp, not %q", key, proto)})
			}
		}
		// A zero bound counts as unset, as in Hedgehog's value fields.
		begin, end := intAt(st, "portRangeBegin"), intAt(st, "portRangeEnd")
		if begin == 0 && end == 0 {
			continue
		}
		switch {
		case proto != "tcp" && proto != "udp":
			fs = append(fs, Finding{Rule: "ACL-8", Path: path("portRangeBegin"),
				Message: fmt.Sprintf("a port range is only allowed with protocol tcp or udp, not %q", proto)})
		case begin < 1 || begin > end:
			fs = append(fs, Finding{Rule: "ACL-8", Path: path("portRangeBegin"),
				Message: fmt.Sprintf("port range %d-%d is invalid: portRangeBegin must be at least 1 and at most portRangeEnd (a single port needs begin = end)", begin, end)})
		}
	}
	return fs
}

func aclTCPFilters(tf map[string]any, proto string, path []string) []Finding {
	if proto != "tcp" {
		return []Finding{{Rule: "ACL-6", Path: path,
			Message: fmt.Sprintf("tcpFilters are only allowed with protocol tcp, not %q", proto)}}
	}
	var fs []Finding
	if boolAt(tf, "established") {
		for _, k := range sortedKeys(tf) {
			if k != "established" && boolAt(tf, k) {
				fs = append(fs, Finding{Rule: "ACL-6", Path: wiringPath(path, k),
					Message: "established cannot be combined with " + strconv.Quote(k) + "; use established alone"})
			}
		}
	}
	for _, pair := range aclTCPFlagPairs {
		if boolAt(tf, pair[0]) && boolAt(tf, pair[1]) {
			fs = append(fs, Finding{Rule: "ACL-6", Path: wiringPath(path, pair[1]),
				Message: fmt.Sprintf("%s and %s contradict each other; set only one", pair[0], pair[1])})
		}
	}
	return fs
}
