package rules

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
)

// Connection (wiring.githedgehog.com): CONN-1..CONN-16.

// connTypes are the connection types in the order Hedgehog looks for them:
// the first one present supplies the endpoints (CONN-4).
var connTypes = []string{"unbundled", "bundled", "eslag", "fabric", "mesh", "gateway", "vpcLoopback", "external", "staticExternal"}

// connShape says where a type keeps its links and what each side is.
type connShape struct {
	lists  []string // list fields of links; "" for a single "link"
	sides  []string // the side keys of a link, in order
	roles  []string // the role of each side: switch, server or gateway
	hasIPs bool     // fabric-link IPs (CONN-14)
}

var connShapes = map[string]connShape{
	"unbundled":      {lists: []string{""}, sides: []string{"server", "switch"}, roles: []string{"server", "switch"}},
	"bundled":        {lists: []string{"links"}, sides: []string{"server", "switch"}, roles: []string{"server", "switch"}},
	"eslag":          {lists: []string{"links"}, sides: []string{"server", "switch"}, roles: []string{"server", "switch"}},
	"mclag":          {lists: []string{"links"}, sides: []string{"server", "switch"}, roles: []string{"server", "switch"}},
	"fabric":         {lists: []string{"links"}, sides: []string{"spine", "leaf"}, roles: []string{"switch", "switch"}, hasIPs: true},
	"mesh":           {lists: []string{"links"}, sides: []string{"leaf1", "leaf2"}, roles: []string{"switch", "switch"}, hasIPs: true},
	"gateway":        {lists: []string{"links"}, sides: []string{"switch", "gateway"}, roles: []string{"switch", "gateway"}, hasIPs: true},
	"vpcLoopback":    {lists: []string{"links"}, sides: []string{"switch1", "switch2"}, roles: []string{"switch", "switch"}},
	"external":       {lists: []string{""}, sides: []string{"switch"}, roles: []string{"switch"}},
	"staticExternal": {lists: []string{""}, sides: []string{"switch"}, roles: []string{"switch"}},
	"mclagDomain":    {lists: []string{"peerLinks", "sessionLinks"}, sides: []string{"switch1", "switch2"}, roles: []string{"switch", "switch"}},
}

// connEndpoint is one port reference of a connection.
type connEndpoint struct {
	ref, device, port string
	role              string // switch, server or gateway
	ip                string // fabric-link IP, may be empty
	// typ, list, link and side locate the endpoint: spec.<typ>.<list>.<link>.<side>,
	// or spec.<typ>.link.<side> when list is "".
	typ, list, side string
	link            int
}

// pathTo returns the field path of the endpoint's field (port or ip); it is
// built only for a finding.
func (ep connEndpoint) pathTo(field string) []string {
	if ep.list == "" {
		return []string{"spec", ep.typ, "link", ep.side, field}
	}
	return wiringPath("spec", ep.typ, ep.list, ep.link, ep.side, field)
}

// conn is a parsed Connection.
type conn struct {
	typ       string // the type that supplies the endpoints, "" for none
	endpoints []connEndpoint
}

// connTypesChecked is the order connType looks in: mclag and mclagDomain
// first (they end validation early), then connTypes.
var connTypesChecked = append([]string{"mclag", "mclagDomain"}, connTypes...)

// connType returns the type that Hedgehog acts on.
func connType(spec map[string]any) string {
	for _, t := range connTypesChecked {
		if _, ok := spec[t].(map[string]any); ok {
			return t
		}
	}
	return ""
}

func connDeprecated(t string) bool { return t == "mclag" || t == "mclagDomain" }

// parseConn extracts the endpoints of spec's type.
func parseConn(spec map[string]any) conn {
	c := conn{typ: connType(spec)}
	if c.typ == "" {
		return c
	}
	shape := connShapes[c.typ]
	block := mapAt(spec, c.typ)
	add := func(link map[string]any, list string, idx int) {
		for i, side := range shape.sides {
			end := mapAt(link, side)
			ep := connEndpoint{ref: strAt(end, "port"), role: shape.roles[i], ip: strAt(end, "ip"), typ: c.typ, list: list, side: side, link: idx}
			ep.device, ep.port, _ = strings.Cut(ep.ref, "/")
			c.endpoints = append(c.endpoints, ep)
		}
	}
	for _, list := range shape.lists {
		if list == "" {
			add(mapAt(block, "link"), "", 0)
			continue
		}
		for i, l := range listAt(block, list) {
			add(asMap(l), list, i)
		}
	}
	return c
}

// devices returns the distinct devices of a role, in order of appearance.
func (c conn) devices(role string) []string {
	var out []string
	seen := map[string]bool{}
	for _, ep := range c.endpoints {
		if ep.role == role && ep.device != "" && !seen[ep.device] {
			seen[ep.device] = true
			out = append(out, ep.device)
		}
	}
	return out
}

func connectionLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "CONN-1")
	spec := o.Spec()
	c := parseConn(spec)
	if connDeprecated(c.typ) {
		return append(fs, Finding{Rule: "CONN-2", Path: []string{"spec", c.typ}, Severity: Warning,
			Message: c.typ + " connections are deprecated in Hedgehog; they are accepted and not checked further. Use eslag instead"})
	}
	if c.typ == "" {
		return append(fs, Finding{Rule: "CONN-4", Path: []string{"spec"},
			Message: "no connection type is set; set one of " + strings.Join(connTypes, ", ")})
	}
	if cfg != nil && (c.typ == "unbundled" || c.typ == "bundled") {
		if mtu := intAt(mapAt(spec, c.typ), "mtu"); mtu != 0 && mtu > cfg.FabricMTU-cfg.ServerFacingMTUOffset {
			fs = append(fs, Finding{Rule: "CONN-3", Path: []string{"spec", c.typ, "mtu"},
				Message: fmt.Sprintf("mtu %d exceeds the server-facing limit %d (fabricMTU %d − serverFacingMTUOffset %d); lower it or leave it unset",
					mtu, cfg.FabricMTU-cfg.ServerFacingMTUOffset, cfg.FabricMTU, cfg.ServerFacingMTUOffset)})
		}
	}
	refsOK := true
	for _, ep := range c.endpoints {
		if ep.device == "" || ep.port == "" {
			refsOK = false
			fs = append(fs, Finding{Rule: "CONN-5", Path: ep.pathTo("port"),
				Message: fmt.Sprintf("port %q must be <device>/<port> with both parts non-empty, such as leaf-01/E1/1", ep.ref)})
		}
	}
	if refsOK {
		fs = append(fs, connShapeRules(c)...)
	}
	if static, ok := spec["staticExternal"].(map[string]any); ok {
		fs = append(fs, connStaticExternal(static, cfg)...)
	}
	if cfg != nil && cfg.FabricMode != "spine-leaf" {
		for _, t := range []string{"eslag", "gateway"} {
			if _, ok := spec[t].(map[string]any); ok {
				fs = append(fs, Finding{Rule: "CONN-8", Path: []string{"spec", t},
					Message: fmt.Sprintf("%s connections need fabricMode spine-leaf, but the fabric config has fabricMode %q", t, cfg.FabricMode)})
			}
		}
	}
	return fs
}

// connShapeRules: CONN-6, the number of switches, servers and ports per type.
func connShapeRules(c conn) []Finding {
	var fs []Finding
	base := []string{"spec", c.typ}
	bad := func(msg string) {
		fs = append(fs, Finding{Rule: "CONN-6", Path: base, Message: c.typ + " connection: " + msg})
	}
	seen := map[string]bool{}
	for _, ep := range c.endpoints {
		if seen[ep.ref] {
			fs = append(fs, Finding{Rule: "CONN-6", Path: ep.pathTo("port"),
				Message: fmt.Sprintf("port %q is used twice in this connection; every port must be distinct", ep.ref)})
		}
		seen[ep.ref] = true
	}
	switches, servers := len(c.devices("switch")), len(c.devices("server"))
	switch c.typ {
	case "unbundled", "bundled":
		if switches != 1 || servers != 1 {
			bad(fmt.Sprintf("needs exactly 1 switch and 1 server, has %d switches and %d servers", switches, servers))
		}
	case "eslag":
		if switches < 1 || switches > 4 || servers != 1 {
			bad(fmt.Sprintf("needs 1 to 4 switches and exactly 1 server, has %d switches and %d servers", switches, servers))
		}
	case "fabric", "mesh":
		if switches != 2 {
			bad(fmt.Sprintf("needs exactly 2 switches, has %d", switches))
		}
	case "gateway", "vpcLoopback", "external", "staticExternal":
		if switches != 1 {
			bad(fmt.Sprintf("needs exactly 1 switch, has %d", switches))
		}
	}
	return fs
}

// connStaticExternal: CONN-7.
func connStaticExternal(static map[string]any, cfg *FabricConfig) []Finding {
	var fs []Finding
	sw := mapAt(mapAt(static, "link"), "switch")
	base := []string{"spec", "staticExternal", "link", "switch"}
	ipStr := strAt(sw, "ip")
	ip, err := netip.ParsePrefix(ipStr)
	if err != nil {
		fs = append(fs, Finding{Rule: "CONN-7", Path: wiringPath(base, "ip"),
			Message: fmt.Sprintf("ip %q must be the switch address in CIDR form, such as 172.31.255.1/24", ipStr)})
	} else {
		nh := strAt(sw, "nextHop")
		addr, err := netip.ParseAddr(nh)
		if err != nil || !ip.Masked().Contains(addr) {
			fs = append(fs, Finding{Rule: "CONN-7", Path: wiringPath(base, "nextHop"),
				Message: fmt.Sprintf("nextHop %q must be an IP address inside %s", nh, ip.Masked())})
		}
	}
	subnets := listAt(sw, "subnets")
	type item struct {
		i int
		p netip.Prefix
	}
	var good []item
	for i, v := range subnets {
		s, _ := v.(string)
		p, err := netip.ParsePrefix(s)
		path := wiringPath(base, "subnets", i)
		switch {
		case err != nil:
			fs = append(fs, Finding{Rule: "CONN-7", Path: path, Message: fmt.Sprintf("subnet %q is not a CIDR prefix", s)})
			continue
		case p.Bits() == 0 && p.Addr().Is4() && p.Addr().IsUnspecified():
			if len(subnets) > 1 {
				fs = append(fs, Finding{Rule: "CONN-7", Path: path, Message: "0.0.0.0/0 must be the only subnet when it is given; remove the others or it"})
			}
			continue
		case p != p.Masked():
			fs = append(fs, Finding{Rule: "CONN-7", Path: path,
				Message: fmt.Sprintf("subnet %q has host bits set; write %s", s, p.Masked())})
			continue
		}
		for _, g := range good {
			if overlaps(p, g.p) {
				fs = append(fs, Finding{Rule: "CONN-7", Path: path,
					Message: fmt.Sprintf("subnet %s overlaps subnet %s (item %d); the subnets must not overlap", p, g.p, g.i)})
				break
			}
		}
		if cfg != nil {
			for _, r := range cfg.ReservedSubnets {
				if rp, ok := parsePrefix(r); ok && overlaps(p, rp) {
					fs = append(fs, Finding{Rule: "CONN-7", Path: path,
						Message: fmt.Sprintf("subnet %s overlaps reserved subnet %s of the fabric config", p, rp)})
					break
				}
			}
		}
		good = append(good, item{i, p})
	}
	return fs
}

// connNormalPort folds a first sub-port into its port (sw/E1/n/1 is
// sw/E1/n) for CONN-13.
func connNormalPort(device, port string) string {
	if strings.Count(port, "/") == 2 && strings.HasSuffix(port, "/1") {
		port = strings.TrimSuffix(port, "/1")
	}
	return device + "/" + port
}

// connIndex is what the cross rules need about all Connections, built once.
type connIndex struct {
	ports map[string][]string // normalized port → connections using it (not mclag)
	ips   map[string][]string // fabric-link address → connections using it
	// bySwitch, byServer: device → connections naming it (every type).
	bySwitch, byServer map[string][]string
	parsed             map[*Object]conn
	// apiPorts caches switchAPIPorts per switch name, filled on first use
	// by the rules running on several goroutines.
	apiPortsMu sync.Mutex
	apiPorts   map[string]map[string]bool
}

// switchAPIPorts is switchAPIPorts of switch sw with profile prof, cached
// per switch name.
func (ix *connIndex) switchAPIPorts(s *Set, name string, sw, prof *Object) map[string]bool {
	ix.apiPortsMu.Lock()
	defer ix.apiPortsMu.Unlock()
	api, ok := ix.apiPorts[name]
	if !ok {
		api = switchAPIPorts(switchProfilePortsCached(s, prof), sw.Spec())
		ix.apiPorts[name] = api
	}
	return api
}

func connectionIndex(s *Set) *connIndex {
	return Index(s, "wiringConnections", func(s *Set) *connIndex {
		ix := &connIndex{ports: map[string][]string{}, ips: map[string][]string{}, bySwitch: map[string][]string{}, byServer: map[string][]string{},
			parsed: map[*Object]conn{}, apiPorts: map[string]map[string]bool{}}
		for _, o := range s.All("Connection") {
			c := parseConn(o.Spec())
			ix.parsed[o] = c
			for _, ep := range c.endpoints {
				if ep.device == "" {
					continue
				}
				switch ep.role {
				case "switch":
					ix.bySwitch[ep.device] = wiringAppendOnce(ix.bySwitch[ep.device], o.Name)
				case "server":
					ix.byServer[ep.device] = wiringAppendOnce(ix.byServer[ep.device], o.Name)
				}
				if connDeprecated(c.typ) {
					continue
				}
				if ep.port != "" {
					k := connNormalPort(ep.device, ep.port)
					ix.ports[k] = wiringAppendOnce(ix.ports[k], o.Name)
				}
				if connShapes[c.typ].hasIPs {
					if p, err := netip.ParsePrefix(ep.ip); err == nil {
						k := p.Addr().String()
						ix.ips[k] = append(ix.ips[k], o.Name)
					}
				}
			}
		}
		return ix
	})
}

func wiringAppendOnce(l []string, s string) []string {
	if len(l) > 0 && l[len(l)-1] == s {
		return l
	}
	return append(l, s)
}

func wiringOthers(names []string, self string) []string {
	var out []string
	for _, n := range names {
		if n != self {
			out = append(out, quote(n))
		}
	}
	return out
}

func connectionCross(o *Object, s *Set, cfg *FabricConfig) []Finding {
	spec := o.Spec()
	ix := connectionIndex(s)
	c, ok := ix.parsed[o]
	if !ok {
		c = parseConn(spec)
	}
	if c.typ == "" || connDeprecated(c.typ) {
		return nil
	}
	var fs []Finding
	first := map[string]connEndpoint{}
	for _, ep := range c.endpoints {
		if _, ok := first[ep.device]; !ok {
			first[ep.device] = ep
		}
	}
	// resolve looks a device up, building the field path only on a miss.
	resolve := func(kind, name, rule string) (*Object, *Finding) {
		if d, ok := s.Get(kind, name); ok {
			return d, nil
		}
		return s.Resolve(kind, name, rule, first[name].pathTo("port"))
	}
	switches := map[string]*Object{}
	for _, name := range c.devices("switch") {
		sw, f := resolve("Switch", name, "CONN-9")
		if f != nil {
			fs = append(fs, *f)
			continue
		}
		switches[name] = sw
		profName := strAt(sw.Spec(), "profile")
		if profName == "" {
			continue // SW-5 reports it on the Switch
		}
		prof, ok := s.Get("SwitchProfile", profName)
		if !ok {
			continue // SW-10 reports the missing profile on the Switch; the port check needs it
		}
		api := ix.switchAPIPorts(s, name, sw, prof)
		for _, ep := range c.endpoints {
			if ep.device == name && ep.role == "switch" && !api[ep.port] {
				fs = append(fs, Finding{Rule: "CONN-10", Path: ep.pathTo("port"),
					Message: fmt.Sprintf("port %q does not exist on switch %q with SwitchProfile %q and its breakouts; use one of the profile's ports (E1/n, or E1/n/k when broken out)", ep.port, name, profName)})
			}
		}
	}
	if c.typ == "eslag" {
		fs = append(fs, connESLAG(c, switches)...)
	}
	for _, name := range c.devices("server") {
		if _, f := resolve("Server", name, "CONN-12"); f != nil {
			fs = append(fs, *f)
		}
	}
	for _, ep := range c.endpoints {
		if ep.device == "" || ep.port == "" {
			continue
		}
		if others := wiringOthers(ix.ports[connNormalPort(ep.device, ep.port)], o.Name); len(others) > 0 {
			fs = append(fs, Finding{Rule: "CONN-13", Path: ep.pathTo("port"),
				Message: fmt.Sprintf("port %q is already used by Connection %s; a port belongs to one connection", ep.ref, strings.Join(others, ", "))})
		}
	}
	if cfg != nil {
		fs = append(fs, connFabricIPs(o, c, ix, cfg)...)
	}
	if static, ok := spec["staticExternal"].(map[string]any); ok {
		if vpc := strAt(static, "withinVPC"); vpc != "" {
			if _, f := s.Resolve("VPC", vpc, "CONN-15", []string{"spec", "staticExternal", "withinVPC"}); f != nil {
				fs = append(fs, *f)
			}
		}
	}
	return fs
}

// connESLAG: CONN-11.
func connESLAG(c conn, switches map[string]*Object) []Finding {
	var fs []Finding
	group := ""
	for _, name := range c.devices("switch") {
		sw, ok := switches[name]
		if !ok {
			continue
		}
		red := mapAt(sw.Spec(), "redundancy")
		g, t := strAt(red, "group"), strAt(red, "type")
		switch {
		case g == "" || t != "eslag":
			fs = append(fs, Finding{Rule: "CONN-11", Path: []string{"spec", "eslag"},
				Message: fmt.Sprintf("switch %q has redundancy type %q group %q; every switch of an eslag connection needs redundancy type eslag and a group", name, t, g)})
		case group == "":
			group = g
		case g != group:
			fs = append(fs, Finding{Rule: "CONN-11", Path: []string{"spec", "eslag"},
				Message: fmt.Sprintf("switch %q is in redundancy group %q but the others are in %q; all switches of an eslag connection share one group", name, g, group)})
		}
	}
	return fs
}

// connFabricIPs: CONN-14.
func connFabricIPs(o *Object, c conn, ix *connIndex, cfg *FabricConfig) []Finding {
	fabric, err := netip.ParsePrefix(cfg.FabricSubnet)
	if err != nil {
		return []Finding{{Rule: "CONN-14", Path: []string{"spec"},
			Message: fmt.Sprintf("the fabric config's fabricSubnet %q is empty or not a CIDR prefix; Hedgehog rejects every Connection until it is set, such as 172.30.128.0/17", cfg.FabricSubnet)}}
	}
	fabric = fabric.Masked()
	if !connShapes[c.typ].hasIPs {
		return nil
	}
	var fs []Finding
	ownSeen := map[string]int{}
	byLink := map[int][]connEndpoint{}
	var links []int
	for _, ep := range c.endpoints {
		if _, ok := byLink[ep.link]; !ok {
			links = append(links, ep.link)
		}
		byLink[ep.link] = append(byLink[ep.link], ep)
	}
	sort.Ints(links)
	for _, l := range links {
		eps := byLink[l]
		if len(eps) != 2 || eps[0].ip == "" || eps[1].ip == "" {
			continue
		}
		var nets []netip.Prefix
		for _, ep := range eps {
			path := ep.pathTo("ip")
			p, err := netip.ParsePrefix(ep.ip)
			if err != nil || p.Bits() != 31 || !fabric.Contains(p.Addr()) {
				fs = append(fs, Finding{Rule: "CONN-14", Path: path,
					Message: fmt.Sprintf("ip %q must be a /31 inside fabricSubnet %s", ep.ip, fabric)})
				continue
			}
			nets = append(nets, p.Masked())
			addr := p.Addr().String()
			if j, dup := ownSeen[addr]; dup {
				fs = append(fs, Finding{Rule: "CONN-14", Path: path,
					Message: fmt.Sprintf("address %s is already used by link %d of this connection", addr, j)})
			} else if others := wiringOthers(ix.ips[addr], o.Name); len(others) > 0 {
				fs = append(fs, Finding{Rule: "CONN-14", Path: path,
					Message: fmt.Sprintf("address %s is already used by Connection %s", addr, strings.Join(others, ", "))})
			}
			ownSeen[addr] = l
		}
		if len(nets) == 2 && nets[0] != nets[1] {
			fs = append(fs, Finding{Rule: "CONN-14", Path: eps[1].pathTo("ip"),
				Message: fmt.Sprintf("the two ends %s and %s are not in the same /31", eps[0].ip, eps[1].ip)})
		}
	}
	return fs
}

// connectionUpdate: CONN-16, the type and withinVPC are fixed.
func connectionUpdate(old, new *Object, _ *Set) []Finding {
	var fs []Finding
	ot, nt := connType(old.Spec()), connType(new.Spec())
	if ot != nt {
		fs = append(fs, Finding{Rule: "CONN-16", Path: []string{"spec"},
			Message: fmt.Sprintf("the connection type cannot change (was %s, now %s); delete the Connection and create a new one", ot, nt)})
	}
	ov := strAt(mapAt(old.Spec(), "staticExternal"), "withinVPC")
	nv := strAt(mapAt(new.Spec(), "staticExternal"), "withinVPC")
	if ot == nt && ov != nv {
		fs = append(fs, Finding{Rule: "CONN-16", Path: []string{"spec", "staticExternal", "withinVPC"},
			Message: fmt.Sprintf("withinVPC cannot change (was %q, now %q); delete the Connection and create a new one", ov, nv)})
	}
	return fs
}

// connectionDeleted: CONN-16, attachments still using the connection.
func connectionDeleted(o *Object, s *Set) []Finding {
	refs := Index(s, "wiringConnectionReferrers", func(s *Set) map[string][]string {
		m := map[string][]string{}
		for _, kind := range []string{"VPCAttachment", "ExternalAttachment"} {
			for _, a := range s.All(kind) {
				if c := strAt(a.Spec(), "connection"); c != "" {
					m[c] = append(m[c], kind+" "+quote(a.Name))
				}
			}
		}
		return m
	})
	return wiringStillReferenced(o, "CONN-16", refs[o.Name])
}
