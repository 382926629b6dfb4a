package rules

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
)

// VPC rules (VPC-*). All are implemented. Where the defaults sort a list
// (DNS and time servers, advertised routes) or rewrite map keys (static
// lease MACs), findings point at the list or map and name the item in the
// message, since an index or rewritten key would not match the file.

const (
	vpcMaxSubnets = 20
	vpcMaxPrefix  = 30
	vpcDefaultMTU = 9036
	vpcMinMTU     = 96
	vpcLeaseTime  = 3600
)

// vpcSubnet is one entry of a VPC's spec.subnets.
type vpcSubnet struct {
	name    string
	m       map[string]any
	text    string       // the subnet field as written
	prefix  netip.Prefix // masked; valid only when parsed
	parsed  bool         // the subnet parses and is at most /30 (VPC-7, VPC-8)
	hostBGP bool
	vlan    int64
}

// vpcSubnetsOf returns a VPC's subnets, sorted by name.
func vpcSubnetsOf(o *Object) []vpcSubnet {
	m := mapAt(o.Spec(), "subnets")
	out := make([]vpcSubnet, 0, len(m))
	for _, name := range sortedKeys(m) {
		sm, _ := m[name].(map[string]any)
		if sm == nil {
			sm = map[string]any{}
		}
		sn := vpcSubnet{name: name, m: sm, text: strAt(sm, "subnet"), hostBGP: boolAt(sm, "hostBGP"), vlan: intAt(sm, "vlan")}
		if p, ok := parsePrefix(sn.text); ok && p.Bits() <= vpcMaxPrefix {
			sn.prefix, sn.parsed = p, true
		}
		out = append(out, sn)
	}
	return out
}

// vpcLastAddr returns the last address of p (the broadcast address for IPv4).
func vpcLastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := range b {
		bitsHere := p.Bits() - 8*i
		switch {
		case bitsHere <= 0:
			b[i] = 0xff
		case bitsHere < 8:
			b[i] |= 0xff >> bitsHere
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// vpcContainingPrefix returns the first of outer that contains p: same
// family, p inside it, and at least as long a prefix.
func vpcContainingPrefix(p netip.Prefix, outer []netip.Prefix) (netip.Prefix, bool) {
	for _, q := range outer {
		if q.Addr().Is4() == p.Addr().Is4() && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return q, true
		}
	}
	return netip.Prefix{}, false
}

func vpcDefaults(o *Object) {
	spec, ok := o.Obj["spec"].(map[string]any)
	if !ok {
		spec = map[string]any{}
		o.Obj["spec"] = spec
	}
	for _, k := range []string{"ipv4Namespace", "vlanNamespace"} {
		if strAt(spec, k) == "" {
			spec[k] = "default"
		}
	}
	for _, v := range mapAt(spec, "subnets") {
		sn, ok := v.(map[string]any)
		if !ok {
			continue
		}
		p, ok := parsePrefix(strAt(sn, "subnet"))
		if !ok {
			continue
		}
		if strAt(sn, "gateway") == "" && !boolAt(sn, "hostBGP") {
			sn["gateway"] = p.Addr().Next().String()
		}
		if p.Bits() > vpcMaxPrefix {
			continue
		}
		dhcp, ok := sn["dhcp"].(map[string]any)
		if !ok {
			continue
		}
		if !boolAt(dhcp, "enable") {
			delete(dhcp, "range")
			delete(dhcp, "options")
		} else {
			vpcDefaultDHCP(dhcp, p)
		}
		vpcCanonicalMACs(dhcp)
	}
}

// vpcDefaultDHCP fills an enabled DHCP block: the range, then the options.
func vpcDefaultDHCP(dhcp map[string]any, p netip.Prefix) {
	rng, ok := dhcp["range"].(map[string]any)
	if !ok {
		rng = map[string]any{}
		dhcp["range"] = rng
	}
	if strAt(rng, "start") == "" {
		rng["start"] = p.Addr().Next().Next().String()
	}
	if strAt(rng, "end") == "" {
		rng["end"] = vpcLastAddr(p).String()
	}
	opts, ok := dhcp["options"].(map[string]any)
	if !ok {
		return
	}
	if vpcOptionsEmpty(opts) {
		delete(dhcp, "options")
		return
	}
	if intAt(opts, "interfaceMTU") == 0 {
		opts["interfaceMTU"] = json.Number(fmt.Sprint(vpcDefaultMTU))
	}
	if intAt(opts, "leaseTimeSeconds") == 0 {
		opts["leaseTimeSeconds"] = json.Number(fmt.Sprint(vpcLeaseTime))
	}
	for _, k := range []string{"dnsServers", "timeServers"} {
		l, ok := opts[k].([]any)
		if !ok {
			l = []any{}
			opts[k] = l
		}
		sort.SliceStable(l, func(i, j int) bool {
			a, _ := l[i].(string)
			b, _ := l[j].(string)
			return a < b
		})
	}
	routes := listAt(opts, "advertisedRoutes")
	sort.SliceStable(routes, func(i, j int) bool {
		a, _ := routes[i].(map[string]any)
		b, _ := routes[j].(map[string]any)
		if strAt(a, "destination") != strAt(b, "destination") {
			return strAt(a, "destination") < strAt(b, "destination")
		}
		return strAt(a, "gateway") < strAt(b, "gateway")
	})
}

// vpcOptionsEmpty reports whether every DHCP option is unset.
func vpcOptionsEmpty(opts map[string]any) bool {
	return strAt(opts, "pxeURL") == "" && len(listAt(opts, "dnsServers")) == 0 && len(listAt(opts, "timeServers")) == 0 &&
		intAt(opts, "interfaceMTU") == 0 && intAt(opts, "leaseTimeSeconds") == 0 && !boolAt(opts, "disableDefaultRoute") &&
		len(listAt(opts, "advertisedRoutes")) == 0
}

// vpcCanonicalMACs rewrites dhcp.static keys to Go's canonical MAC form.
func vpcCanonicalMACs(dhcp map[string]any) {
	static, ok := dhcp["static"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range sortedKeys(static) {
		hw, err := net.ParseMAC(k)
		if err != nil || hw.String() == k {
			continue
		}
		if _, taken := static[hw.String()]; taken {
			continue // two spellings of one MAC: leave both for the reader to see
		}
		static[hw.String()] = static[k]
		delete(static, k)
	}
}

func vpcLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "VPC-1")
	fs = append(fs, maxNameLength(o, "VPC-2", 11)...)
	if strings.HasPrefix(o.Name, "ext.") {
		fs = append(fs, Finding{Rule: "VPC-3", Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("name %q starts with \"ext.\", which Hedgehog reserves for externals; rename the VPC", o.Name)})
	}
	spec := o.Spec()
	for _, k := range []string{"ipv4Namespace", "vlanNamespace"} {
		if strAt(spec, k) == "" {
			fs = append(fs, Finding{Rule: "VPC-4", Path: []string{"spec", k}, Message: k + " must name a namespace"})
		}
	}
	subnets := vpcSubnetsOf(o)
	if n := len(subnets); n < 1 || n > vpcMaxSubnets {
		fs = append(fs, Finding{Rule: "VPC-5", Path: []string{"spec", "subnets"},
			Message: fmt.Sprintf("%d subnets; a VPC needs 1 to %d", n, vpcMaxSubnets)})
	}
	switch mode := strAt(spec, "mode"); mode {
	case "", "l3vni":
	case "l3flat":
		fs = append(fs, Finding{Rule: "VPC-6", Path: []string{"spec", "mode"},
			Message: `mode "l3flat" is not supported by Hedgehog; use "" (L2VNI) or "l3vni"`})
	default:
		fs = append(fs, Finding{Rule: "VPC-6", Path: []string{"spec", "mode"},
			Message: fmt.Sprintf(`mode %q is unknown; use "" (L2VNI) or "l3vni"`, mode)})
	}
	for _, sn := range subnets {
		fs = append(fs, vpcSubnetLocal(sn, cfg)...)
	}
	fs = append(fs, vpcUniqueness(subnets)...)
	fs = append(fs, vpcPermits(spec, subnets)...)
	fs = append(fs, vpcStaticRoutes(spec)...)
	return fs
}

// vpcSubnetLocal checks one subnet: VPC-7..VPC-19. A subnet that does not
// parse, or is too long, is not checked further.
func vpcSubnetLocal(sn vpcSubnet, cfg *FabricConfig) []Finding {
	base := []string{"spec", "subnets", sn.name}
	at := func(rest ...string) []string { return append(append([]string(nil), base...), rest...) }
	if sn.text == "" {
		return []Finding{{Rule: "VPC-7", Path: at("subnet"), Message: "subnet is required; give a CIDR prefix such as 10.0.1.0/24"}}
	}
	p, ok := parsePrefix(sn.text)
	if !ok {
		return []Finding{{Rule: "VPC-7", Path: at("subnet"),
			Message: fmt.Sprintf("subnet %q is not a CIDR prefix; write it as address/length, such as 10.0.1.0/24", sn.text)}}
	}
	if p.Bits() > vpcMaxPrefix {
		return []Finding{{Rule: "VPC-8", Path: at("subnet"),
			Message: fmt.Sprintf("subnet %q is a /%d; VPC subnets may be at most /%d", sn.text, p.Bits(), vpcMaxPrefix)}}
	}
	var fs []Finding
	if cfg != nil {
		if r, ok := vpcReservedOverlap(p, cfg); ok {
			fs = append(fs, Finding{Rule: "VPC-9", Path: at("subnet"),
				Message: fmt.Sprintf("subnet %q overlaps the fabric's reserved subnet %q; choose a range outside reservedSubnets", sn.text, r)})
		}
	}
	dhcp := mapAt(sn.m, "dhcp")
	enabled := boolAt(dhcp, "enable")
	var gateway netip.Addr
	if sn.hostBGP {
		if enabled {
			fs = append(fs, Finding{Rule: "VPC-10", Path: at("dhcp", "enable"),
				Message: "a hostBGP subnet cannot have DHCP enabled; set dhcp.enable to false or drop hostBGP"})
		}
	} else {
		gw := strAt(sn.m, "gateway")
		a, err := netip.ParseAddr(gw)
		switch {
		case gw == "":
			fs = append(fs, Finding{Rule: "VPC-11", Path: at("gateway"), Message: "gateway is required for a subnet without hostBGP"})
		case err != nil:
			fs = append(fs, Finding{Rule: "VPC-11", Path: at("gateway"), Message: fmt.Sprintf("gateway %q is not an IP address", gw)})
		case !p.Contains(a):
			fs = append(fs, Finding{Rule: "VPC-11", Path: at("gateway"),
				Message: fmt.Sprintf("gateway %s is outside subnet %s; pick an address inside it", gw, p)})
		default:
			gateway = a
		}
		if sn.vlan == 0 {
			fs = append(fs, Finding{Rule: "VPC-12", Path: at("vlan"), Message: "vlan is required (non-zero) for a subnet without hostBGP"})
		}
	}
	relay := strAt(dhcp, "relay")
	if relay != "" && enabled {
		fs = append(fs, Finding{Rule: "VPC-13", Path: at("dhcp", "relay"),
			Message: "dhcp.relay and dhcp.enable cannot both be set; use either the fabric's DHCP server or a relay"})
	}
	if relay != "" {
		if _, err := netip.ParsePrefix(relay); err != nil {
			fs = append(fs, Finding{Rule: "VPC-14", Path: at("dhcp", "relay"),
				Message: fmt.Sprintf("dhcp.relay %q must be in CIDR form, such as 192.168.0.1/24", relay)})
		}
	} else if strAt(dhcp, "relayVPC") != "" {
		fs = append(fs, Finding{Rule: "VPC-14", Path: at("dhcp", "relayVPC"),
			Message: "dhcp.relayVPC is only allowed together with dhcp.relay"})
	}
	if !enabled {
		fs = append(fs, vpcDisabledDHCP(dhcp, at)...)
		return fs
	}
	fs = append(fs, vpcDHCPRange(dhcp, p, gateway, at)...)
	fs = append(fs, vpcDHCPOptions(mapAt(dhcp, "options"), p, at)...)
	fs = append(fs, vpcDHCPStatic(mapAt(dhcp, "static"), p, gateway, at)...)
	return fs
}

// vpcDisabledDHCP is VPC-15 and VPC-19: with DHCP off, nothing of it is set.
func vpcDisabledDHCP(dhcp map[string]any, at func(...string) []string) []Finding {
	var fs []Finding
	opts := mapAt(dhcp, "options")
	set := []string{}
	for _, k := range []string{"pxeURL", "dnsServers", "timeServers", "interfaceMTU", "leaseTimeSeconds", "disableDefaultRoute", "advertisedRoutes"} {
		if vpcOptionSet(opts, k) {
			set = append(set, k)
		}
	}
	if len(set) > 0 {
		fs = append(fs, Finding{Rule: "VPC-15", Path: at("dhcp", "options"),
			Message: fmt.Sprintf("DHCP is disabled but options %s are set; enable DHCP or remove them", strings.Join(set, ", "))})
	}
	rng := mapAt(dhcp, "range")
	if strAt(rng, "start") != "" || strAt(rng, "end") != "" {
		fs = append(fs, Finding{Rule: "VPC-19", Path: at("dhcp", "range"), Message: "DHCP is disabled but a range is set; enable DHCP or remove the range"})
	}
	if len(mapAt(dhcp, "static")) > 0 {
		fs = append(fs, Finding{Rule: "VPC-19", Path: at("dhcp", "static"), Message: "DHCP is disabled but static leases are set; enable DHCP or remove them"})
	}
	return fs
}

func vpcOptionSet(opts map[string]any, k string) bool {
	switch k {
	case "pxeURL":
		return strAt(opts, k) != ""
	case "interfaceMTU", "leaseTimeSeconds":
		return intAt(opts, k) > 0
	case "disableDefaultRoute":
		return boolAt(opts, k)
	}
	return len(listAt(opts, k)) > 0
}

// vpcDHCPRange is VPC-16.
func vpcDHCPRange(dhcp map[string]any, p netip.Prefix, gateway netip.Addr, at func(...string) []string) []Finding {
	var fs []Finding
	rng := mapAt(dhcp, "range")
	var bounds [2]netip.Addr
	for i, k := range []string{"start", "end"} {
		v := strAt(rng, k)
		a, err := netip.ParseAddr(v)
		var why string
		switch {
		case v == "":
			why = "is required when DHCP is enabled"
		case err != nil:
			why = "is not an IP address"
		case !p.Contains(a):
			why = fmt.Sprintf("is outside subnet %s", p)
		case a == p.Addr():
			why = "is the subnet's network address"
		case gateway.IsValid() && a == gateway:
			why = "is the subnet's gateway"
		default:
			bounds[i] = a
			continue
		}
		fs = append(fs, Finding{Rule: "VPC-16", Path: at("dhcp", "range", k),
			Message: fmt.Sprintf("DHCP range %s %q %s; use a host address of the subnet other than the gateway", k, v, why)})
	}
	if bounds[0].IsValid() && bounds[1].IsValid() && bounds[0].Compare(bounds[1]) >= 0 {
		fs = append(fs, Finding{Rule: "VPC-16", Path: at("dhcp", "range"),
			Message: fmt.Sprintf("DHCP range start %s must be before end %s", bounds[0], bounds[1])})
	}
	return fs
}

// vpcDHCPOptions is VPC-17.
func vpcDHCPOptions(opts map[string]any, p netip.Prefix, at func(...string) []string) []Finding {
	if len(opts) == 0 {
		return nil
	}
	var fs []Finding
	for _, k := range []string{"dnsServers", "timeServers"} {
		for _, s := range stringsOf(listAt(opts, k)) {
			if _, err := netip.ParseAddr(s); err != nil {
				fs = append(fs, Finding{Rule: "VPC-17", Path: at("dhcp", "options", k),
					Message: fmt.Sprintf("%s entry %q is not an IP address", k, s)})
			}
		}
	}
	if mtu := intAt(opts, "interfaceMTU"); mtu < vpcMinMTU || mtu > vpcDefaultMTU {
		fs = append(fs, Finding{Rule: "VPC-17", Path: at("dhcp", "options", "interfaceMTU"),
			Message: fmt.Sprintf("interfaceMTU %d is out of range %d..%d", mtu, vpcMinMTU, vpcDefaultMTU)})
	}
	if lease := intAt(opts, "leaseTimeSeconds"); lease < 1 {
		fs = append(fs, Finding{Rule: "VPC-17", Path: at("dhcp", "options", "leaseTimeSeconds"),
			Message: fmt.Sprintf("leaseTimeSeconds %d must be at least 1", lease)})
	}
	for _, v := range listAt(opts, "advertisedRoutes") {
		r, _ := v.(map[string]any)
		dst, gw := strAt(r, "destination"), strAt(r, "gateway")
		if _, err := netip.ParsePrefix(dst); err != nil {
			fs = append(fs, Finding{Rule: "VPC-17", Path: at("dhcp", "options", "advertisedRoutes"),
				Message: fmt.Sprintf("advertised route destination %q is not a CIDR prefix", dst)})
		}
		if a, err := netip.ParseAddr(gw); err != nil || !p.Contains(a) {
			fs = append(fs, Finding{Rule: "VPC-17", Path: at("dhcp", "options", "advertisedRoutes"),
				Message: fmt.Sprintf("advertised route to %q: gateway %q must be an IP address inside subnet %s", dst, gw, p)})
		}
	}
	return fs
}

// vpcDHCPStatic is VPC-18.
func vpcDHCPStatic(static map[string]any, p netip.Prefix, gateway netip.Addr, at func(...string) []string) []Finding {
	var fs []Finding
	path := at("dhcp", "static")
	last := vpcLastAddr(p)
	owner := map[netip.Addr]string{}
	for _, mac := range sortedKeys(static) {
		ip := strAt(mapAt(static, mac), "ip")
		if _, err := net.ParseMAC(mac); err != nil || mac == "" {
			fs = append(fs, Finding{Rule: "VPC-18", Path: path,
				Message: fmt.Sprintf("static lease key %q is not a MAC address, such as 0c:20:12:fe:01:00", mac)})
		}
		a, err := netip.ParseAddr(ip)
		var why string
		switch {
		case ip == "":
			why = "has no ip"
		case err != nil:
			why = fmt.Sprintf("ip %q is not an IP address", ip)
		case !p.Contains(a):
			why = fmt.Sprintf("ip %s is outside subnet %s", ip, p)
		case a == p.Addr():
			why = fmt.Sprintf("ip %s is the subnet's network address", ip)
		case gateway.IsValid() && a == gateway:
			why = fmt.Sprintf("ip %s is the subnet's gateway", ip)
		case a == last:
			why = fmt.Sprintf("ip %s is the subnet's broadcast address", ip)
		case owner[a] != "":
			why = fmt.Sprintf("ip %s is already given to %s", ip, owner[a])
		default:
			owner[a] = mac
			continue
		}
		fs = append(fs, Finding{Rule: "VPC-18", Path: path, Message: fmt.Sprintf("static lease for %s: %s", mac, why)})
	}
	return fs
}

// vpcUniqueness is VPC-20 (VLANs) and VPC-21 (overlapping subnets).
func vpcUniqueness(subnets []vpcSubnet) []Finding {
	var fs []Finding
	vlanOwner := map[int64]string{}
	for i, sn := range subnets {
		if !sn.hostBGP && sn.vlan != 0 {
			if other, dup := vlanOwner[sn.vlan]; dup {
				fs = append(fs, Finding{Rule: "VPC-20", Path: []string{"spec", "subnets", sn.name, "vlan"},
					Message: fmt.Sprintf("VLAN %d is also used by subnet %q of this VPC; each subnet needs its own VLAN", sn.vlan, other)})
			} else {
				vlanOwner[sn.vlan] = sn.name
			}
		}
		if !sn.parsed {
			continue
		}
		for _, prev := range subnets[:i] {
			if prev.parsed && overlaps(prev.prefix, sn.prefix) {
				fs = append(fs, Finding{Rule: "VPC-21", Path: []string{"spec", "subnets", sn.name, "subnet"},
					Message: fmt.Sprintf("subnet %s overlaps subnet %q (%s) of this VPC; subnets must be disjoint", sn.text, prev.name, prev.text)})
			}
		}
	}
	return fs
}

// vpcPermits is VPC-22.
func vpcPermits(spec map[string]any, subnets []vpcSubnet) []Finding {
	known := make(map[string]bool, len(subnets))
	for _, sn := range subnets {
		known[sn.name] = true
	}
	var fs []Finding
	for i, v := range listAt(spec, "permit") {
		path := []string{"spec", "permit", fmt.Sprint(i)}
		names := stringsOf(asList(v))
		if len(names) < 2 {
			fs = append(fs, Finding{Rule: "VPC-22", Path: path,
				Message: fmt.Sprintf("a permit entry lists %d subnets; it needs at least 2 subnet names of this VPC", len(names))})
		}
		seen := map[string]bool{}
		for _, n := range names {
			switch {
			case !known[n]:
				fs = append(fs, Finding{Rule: "VPC-22", Path: path,
					Message: fmt.Sprintf("permit names subnet %q, which this VPC does not have (subnets: %s)", n, strings.Join(sortedKeys(known), ", "))})
			case seen[n]:
				fs = append(fs, Finding{Rule: "VPC-22", Path: path, Message: fmt.Sprintf("permit lists subnet %q twice", n)})
			}
			seen[n] = true
		}
	}
	return fs
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// vpcStaticRoutes is VPC-23.
func vpcStaticRoutes(spec map[string]any) []Finding {
	var fs []Finding
	for i, v := range listAt(spec, "staticRoutes") {
		r, _ := v.(map[string]any)
		path := []string{"spec", "staticRoutes", fmt.Sprint(i)}
		prefix := strAt(r, "prefix")
		if p, err := netip.ParsePrefix(prefix); err != nil {
			fs = append(fs, Finding{Rule: "VPC-23", Path: append(path, "prefix"),
				Message: fmt.Sprintf("static route prefix %q is not a CIDR prefix", prefix)})
		} else if p != p.Masked() {
			fs = append(fs, Finding{Rule: "VPC-23", Path: append(path, "prefix"),
				Message: fmt.Sprintf("static route prefix %q has host bits set; write %s", prefix, p.Masked())})
		}
		if len(listAt(r, "nextHops")) == 0 {
			fs = append(fs, Finding{Rule: "VPC-23", Path: append(path, "nextHops"), Message: "a static route needs at least one next hop"})
		}
	}
	return fs
}

// vpcIndexByIPv4Namespace returns the VPCs of each IPv4Namespace, by name.
func vpcIndexByIPv4Namespace(s *Set) map[string][]*Object {
	return Index(s, "vpc.byIPv4Namespace", func(s *Set) map[string][]*Object {
		return vpcGroupBy(s, "ipv4Namespace")
	})
}

// vpcIndexByVLANNamespace returns the VPCs of each VLANNamespace, by name.
func vpcIndexByVLANNamespace(s *Set) map[string][]*Object {
	return Index(s, "vpc.byVLANNamespace", func(s *Set) map[string][]*Object {
		return vpcGroupBy(s, "vlanNamespace")
	})
}

func vpcGroupBy(s *Set, field string) map[string][]*Object {
	out := map[string][]*Object{}
	for _, vpc := range s.All("VPC") {
		ns := vpcNameOrDefault(strAt(vpc.Spec(), field))
		out[ns] = append(out[ns], vpc)
	}
	return out
}

// vpcPrefixEntry is one VPC subnet in the per-IPv4Namespace prefix index.
type vpcPrefixEntry struct {
	prefix netip.Prefix
	vpc    string
	subnet string
}

// vpcPrefixIndex finds the VPC subnets that overlap a prefix without
// comparing against all of them: exact prefixes by map (for the prefixes
// that contain the query), and all prefixes sorted by address (for those
// that start inside it).
type vpcPrefixIndex struct {
	byPrefix map[netip.Prefix][]vpcPrefixEntry
	sorted   []vpcPrefixEntry
}

// vpcPrefixesByIPv4Namespace indexes every VPC subnet by its IPv4Namespace.
func vpcPrefixesByIPv4Namespace(s *Set) map[string]*vpcPrefixIndex {
	return Index(s, "vpc.prefixes", func(s *Set) map[string]*vpcPrefixIndex {
		out := map[string]*vpcPrefixIndex{}
		for ns, vpcs := range vpcIndexByIPv4Namespace(s) {
			ix := &vpcPrefixIndex{byPrefix: map[netip.Prefix][]vpcPrefixEntry{}}
			for _, vpc := range vpcs {
				for _, sn := range vpcSubnetsOf(vpc) {
					if !sn.parsed {
						continue
					}
					e := vpcPrefixEntry{sn.prefix, vpc.Name, sn.name}
					ix.byPrefix[sn.prefix] = append(ix.byPrefix[sn.prefix], e)
					ix.sorted = append(ix.sorted, e)
				}
			}
			sort.Slice(ix.sorted, func(i, j int) bool {
				if c := ix.sorted[i].prefix.Addr().Compare(ix.sorted[j].prefix.Addr()); c != 0 {
					return c < 0
				}
				return ix.sorted[i].prefix.Bits() < ix.sorted[j].prefix.Bits()
			})
			out[ns] = ix
		}
		return out
	})
}

// overlapping returns up to limit subnets of VPCs other than vpc that
// overlap p.
func (ix *vpcPrefixIndex) overlapping(p netip.Prefix, vpc string, limit int) []vpcPrefixEntry {
	var out []vpcPrefixEntry
	add := func(e vpcPrefixEntry) bool {
		if e.vpc != vpc {
			out = append(out, e)
		}
		return len(out) < limit
	}
	for bits := 0; bits <= p.Bits(); bits++ {
		outer, err := p.Addr().Prefix(bits)
		if err != nil {
			continue
		}
		for _, e := range ix.byPrefix[outer] {
			if !add(e) {
				return out
			}
		}
	}
	i := sort.Search(len(ix.sorted), func(i int) bool { return ix.sorted[i].prefix.Addr().Compare(p.Addr()) >= 0 })
	for ; i < len(ix.sorted) && p.Contains(ix.sorted[i].prefix.Addr()); i++ {
		if e := ix.sorted[i]; e.prefix.Bits() > p.Bits() && !add(e) {
			return out
		}
	}
	return out
}

// vpcVLANEntry is one VPC subnet in the per-VLANNamespace VLAN index.
type vpcVLANEntry struct {
	vpc     string
	subnet  string
	hostBGP bool
}

// vpcVLANsByNamespace indexes every VPC subnet by VLANNamespace and VLAN.
func vpcVLANsByNamespace(s *Set) map[string]map[int64][]vpcVLANEntry {
	return Index(s, "vpc.vlans", func(s *Set) map[string]map[int64][]vpcVLANEntry {
		out := map[string]map[int64][]vpcVLANEntry{}
		for ns, vpcs := range vpcIndexByVLANNamespace(s) {
			m := map[int64][]vpcVLANEntry{}
			for _, vpc := range vpcs {
				for _, sn := range vpcSubnetsOf(vpc) {
					m[sn.vlan] = append(m[sn.vlan], vpcVLANEntry{vpc.Name, sn.name, sn.hostBGP})
				}
			}
			out[ns] = m
		}
		return out
	})
}

// vpcOverlapLimit bounds how many colliding subnets one finding names.
const vpcOverlapLimit = 3

func vpcCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	spec := o.Spec()
	subnets := vpcSubnetsOf(o)
	var fs []Finding
	ipv4NS := vpcNameOrDefault(strAt(spec, "ipv4Namespace"))
	if ns, f := s.Resolve("IPv4Namespace", ipv4NS, "VPC-24", []string{"spec", "ipv4Namespace"}); f != nil {
		fs = append(fs, *f)
	} else {
		outer := ipv4NamespaceSubnets(ns)
		for _, sn := range subnets {
			if sn.parsed {
				if _, ok := vpcContainingPrefix(sn.prefix, outer); !ok {
					fs = append(fs, Finding{Rule: "VPC-26", Path: []string{"spec", "subnets", sn.name, "subnet"},
						Message: fmt.Sprintf("subnet %s is not inside any subnet of IPv4Namespace %q (%s)", sn.text, ipv4NS, strings.Join(stringsOf(listAt(ns.Spec(), "subnets")), ", "))})
				}
			}
		}
	}
	vlanNS := vpcNameOrDefault(strAt(spec, "vlanNamespace"))
	if ns, f := s.Resolve("VLANNamespace", vlanNS, "VPC-25", []string{"spec", "vlanNamespace"}); f != nil {
		fs = append(fs, *f)
		// Without the namespace's ranges, one thing is still certain: no
		// VLANNamespace holds a VLAN outside 1..4094 (VLR-1).
		for _, sn := range subnets {
			if !sn.hostBGP && sn.vlan != 0 && (sn.vlan < 1 || sn.vlan > 4094) {
				fs = append(fs, Finding{Rule: "VPC-27", Path: []string{"spec", "subnets", sn.name, "vlan"},
					Message: fmt.Sprintf("VLAN %d is outside 1..4094, so outside the ranges of any VLANNamespace", sn.vlan)})
			}
		}
	} else {
		ranges := vlanRangesOf(listAt(ns.Spec(), "ranges"))
		for _, sn := range subnets {
			if !sn.hostBGP && sn.vlan != 0 && !vlanInRanges(sn.vlan, ranges) {
				texts := make([]string, len(ranges))
				for i, r := range ranges {
					texts[i] = vlanRangeText(r)
				}
				fs = append(fs, Finding{Rule: "VPC-27", Path: []string{"spec", "subnets", sn.name, "vlan"},
					Message: fmt.Sprintf("VLAN %d is outside the ranges of VLANNamespace %q (%s)", sn.vlan, vlanNS, strings.Join(texts, ", "))})
			}
		}
	}
	for _, sn := range subnets {
		if relayVPC := strAt(mapAt(sn.m, "dhcp"), "relayVPC"); relayVPC != "" {
			if _, f := s.Resolve("VPC", relayVPC, "VPC-28", []string{"spec", "subnets", sn.name, "dhcp", "relayVPC"}); f != nil {
				fs = append(fs, *f)
			}
		}
	}
	if ix := vpcPrefixesByIPv4Namespace(s)[ipv4NS]; ix != nil {
		for _, sn := range subnets {
			if !sn.parsed {
				continue
			}
			if others := ix.overlapping(sn.prefix, o.Name, vpcOverlapLimit); len(others) > 0 {
				names := make([]string, len(others))
				for i, e := range others {
					names[i] = fmt.Sprintf("VPC %q subnet %q (%s)", e.vpc, e.subnet, e.prefix)
				}
				fs = append(fs, Finding{Rule: "VPC-29", Path: []string{"spec", "subnets", sn.name, "subnet"},
					Message: fmt.Sprintf("subnet %s overlaps %s in IPv4Namespace %q; VPCs of one namespace need disjoint subnets", sn.text, strings.Join(names, ", "), ipv4NS)})
			}
		}
	}
	vlans := vpcVLANsByNamespace(s)[vlanNS]
	for _, sn := range subnets {
		var clash []string
		for _, e := range vlans[sn.vlan] {
			if e.vpc == o.Name || (sn.vlan == 0 && (sn.hostBGP || e.hostBGP)) {
				continue
			}
			clash = append(clash, fmt.Sprintf("VPC %q subnet %q", e.vpc, e.subnet))
			if len(clash) == vpcOverlapLimit {
				break
			}
		}
		if len(clash) > 0 {
			fs = append(fs, Finding{Rule: "VPC-30", Path: []string{"spec", "subnets", sn.name, "vlan"},
				Message: fmt.Sprintf("VLAN %d is also used by %s in VLANNamespace %q; pick a free VLAN", sn.vlan, strings.Join(clash, ", "), vlanNS)})
		}
	}
	return fs
}

// vpcReferrers returns, for each VPC name, the objects that refer to it
// (VPC-31).
func vpcReferrers(s *Set) map[string][]string {
	return Index(s, "vpc.referrers", func(s *Set) map[string][]string {
		out := map[string][]string{}
		add := func(vpc, who string) { out[vpc] = append(out[vpc], who) }
		for _, a := range s.All("VPCAttachment") {
			vpc, _, _ := strings.Cut(strAt(a.Spec(), "subnet"), "/")
			add(vpc, fmt.Sprintf("VPCAttachment %q", a.Name))
		}
		for _, p := range s.All("VPCPeering") {
			for _, vpc := range vpcPeeringVPCs(p) {
				add(vpc, fmt.Sprintf("VPCPeering %q", p.Name))
			}
		}
		for _, p := range s.All("ExternalPeering") {
			add(strAt(mapAt(mapAt(p.Spec(), "permit"), "vpc"), "name"), fmt.Sprintf("ExternalPeering %q", p.Name))
		}
		for _, c := range s.All("Connection") {
			if vpc := strAt(mapAt(c.Spec(), "staticExternal"), "withinVPC"); vpc != "" {
				add(vpc, fmt.Sprintf("Connection %q", c.Name))
			}
		}
		return out
	})
}

// vpcDeleted is VPC-31.
func vpcDeleted(o *Object, s *Set) []Finding {
	var fs []Finding
	for _, who := range vpcReferrers(s)[o.Name] {
		fs = append(fs, Finding{Rule: "VPC-31", Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("VPC %q is still referenced by %s; Hedgehog refuses to delete it", o.Name, who)})
	}
	return fs
}
