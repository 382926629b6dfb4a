package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// IsDNS1123Subdomain reports whether s matches
// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ (a
// lowercase RFC 1123 subdomain, without its length limit): labels of
// lowercase letters, digits and '-', separated by single dots, each
// starting and ending with a letter or digit. It is that regular
// expression written out (TestDNS1123 holds them equal): every name of
// every document goes through it, twice.
func IsDNS1123Subdomain(s string) bool {
	for {
		label, rest, more := strings.Cut(s, ".")
		if !IsDNS1123Label(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// IsDNS1123Label reports whether s matches ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
// (without the length limit).
func IsDNS1123Label(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// metaRules checks META-1 and META-2 under the kind's own rule id (VPC-1,
// CONN-1, …), as Hedgehog reports them. META-2 is a warning here: the FGD
// layout supports namespaces, and the warning says what Hedgehog will do.
func metaRules(o *Object, rule string) []Finding {
	var fs []Finding
	if !IsDNS1123Subdomain(o.Name) {
		fs = append(fs, Finding{Rule: rule, Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("name %q must be a lowercase RFC 1123 subdomain (META-1)", o.Name)})
	}
	if o.Namespace != "default" {
		fs = append(fs, Finding{Rule: rule, Path: []string{"metadata", "namespace"}, Severity: Warning,
			Message: fmt.Sprintf("namespace %q: Hedgehog admits %s objects only in namespace default and will reject this one (META-2)", o.Namespace, o.Kind)})
	}
	return fs
}

// maxNameLength checks the length limit some kinds add (VPC-2, IPNS-2, EXT-2).
func maxNameLength(o *Object, rule string, max int) []Finding {
	if len(o.Name) > max {
		return []Finding{{Rule: rule, Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("name %q is %d characters; %s names may have at most %d", o.Name, len(o.Name), o.Kind, max)}}
	}
	return nil
}

// toInt64 converts a decoded JSON number; ok is false for anything else or
// a number that is not a whole int64.
func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || n > math.MaxInt64 || n < math.MinInt64 {
			return 0, false
		}
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// intAt returns m[key] as an int64, 0 when absent or not a whole number.
func intAt(m map[string]any, key string) int64 {
	i, _ := toInt64(m[key])
	return i
}

// strAt returns m[key] as a string, "" when absent or not a string.
func strAt(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// boolAt returns m[key] as a bool, false when absent or not a bool.
func boolAt(m map[string]any, key string) bool {
	b, _ := m[key].(bool)
	return b
}

// listAt returns m[key] as a list, nil when absent or not a list.
func listAt(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// strings returns the string items of a list.
func stringsOf(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sortedKeys returns a map's keys in order, so findings come out stable.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// parsePrefix parses a CIDR prefix. Host bits are allowed; the masked prefix
// is returned, as Go's net.ParseCIDR does.
func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// overlaps reports whether two prefixes share any address (equal, contains
// or is contained by).
func overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

// VLR helpers (VLR-1..3).

// vlanRangesOf decodes a list of {from, to} maps; a missing or 0 to means
// to = from (VLR-1).
func vlanRangesOf(l []any) []VLANRange {
	out := make([]VLANRange, 0, len(l))
	for _, v := range l {
		m, _ := v.(map[string]any)
		r := VLANRange{From: intAt(m, "from"), To: intAt(m, "to")}
		if r.To == 0 {
			r.To = r.From
		}
		out = append(out, r)
	}
	return out
}

// checkVLANRange returns why r breaks VLR-1, or "".
func checkVLANRange(r VLANRange) string {
	to := r.To
	if to == 0 {
		to = r.From
	}
	switch {
	case r.From < 1 || r.From > 4094:
		return fmt.Sprintf("VLAN %d is out of range 1..4094", r.From)
	case to < 1 || to > 4094:
		return fmt.Sprintf("VLAN %d is out of range 1..4094", to)
	case r.From > to:
		return fmt.Sprintf("range %d-%d starts after it ends", r.From, to)
	}
	return ""
}

// firstVLANOverlap sorts ranges and returns the first pair that overlaps
// under VLR-3 (touching counts), or ok=false.
func firstVLANOverlap(ranges []VLANRange) (a, b VLANRange, ok bool) {
	rs := append([]VLANRange(nil), ranges...)
	for i := range rs {
		if rs[i].To == 0 {
			rs[i].To = rs[i].From
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].From != rs[j].From {
			return rs[i].From < rs[j].From
		}
		return rs[i].To < rs[j].To
	})
	for i := 1; i < len(rs); i++ {
		if rs[i-1].To >= rs[i].From {
			return rs[i-1], rs[i], true
		}
	}
	return VLANRange{}, VLANRange{}, false
}

// asMap returns v as a map, nil when it is not one.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
