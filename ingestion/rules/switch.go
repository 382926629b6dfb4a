package rules

import (
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Switch (wiring.githedgehog.com): SW-1..SW-20. SW-15..SW-19 are
// Hedgehog's hydration checks; they run only with a fabric config.

var leafRoles = map[string]bool{"server-leaf": true, "border-leaf": true, "mixed-leaf": true}

func switchDefaults(o *Object) {
	spec := wiringSpec(o)
	for _, key := range []string{"portGroupSpeeds", "portSpeeds"} {
		if m, ok := spec[key].(map[string]any); ok {
			for k, v := range m {
				if s, ok := v.(string); ok {
					m[k] = strings.TrimPrefix(s, "SPEED_")
				}
			}
		}
	}
	if len(listAt(spec, "vlanNamespaces")) == 0 {
		spec["vlanNamespaces"] = []any{"default"}
	}
	if g := strAt(mapAt(spec, "redundancy"), "group"); g != "" {
		groups := listAt(spec, "groups")
		found := false
		for _, v := range groups {
			found = found || v == g
		}
		if !found {
			spec["groups"] = append(groups, g)
		}
	}
	if lf, ok := spec["linkFlapErrDisable"].(map[string]any); ok {
		for key, def := range map[string]int64{"flapThreshold": 3, "samplingInterval": 30, "recoveryInterval": 300} {
			if intAt(lf, key) == 0 {
				lf[key] = def
			}
		}
	}
	for _, key := range []string{"groups", "vlanNamespaces"} {
		if l := listAt(spec, key); l != nil {
			sort.SliceStable(l, func(i, j int) bool {
				a, _ := l[i].(string)
				b, _ := l[j].(string)
				return a < b
			})
		}
	}
}

func switchLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "SW-1")
	spec := o.Spec()
	if len(listAt(spec, "vlanNamespaces")) == 0 {
		fs = append(fs, Finding{Rule: "SW-2", Path: []string{"spec", "vlanNamespaces"},
			Message: "a switch needs at least one VLAN namespace, such as default"})
	}
	if intAt(spec, "asn") == 0 {
		fs = append(fs, Finding{Rule: "SW-3", Path: []string{"spec", "asn"}, Message: "asn is required and must not be 0"})
	}
	for _, key := range []string{"ip", "protocolIP"} {
		if strAt(spec, key) == "" {
			fs = append(fs, Finding{Rule: "SW-3", Path: []string{"spec", key},
				Message: key + " is required, such as 172.30.8.2/32 (protocolIP) or 172.30.0.8/21 (ip)"})
		}
	}
	role, vtep := strAt(spec, "role"), strAt(spec, "vtepIP")
	if role == "spine" && vtep != "" {
		fs = append(fs, Finding{Rule: "SW-4", Path: []string{"spec", "vtepIP"},
			Message: fmt.Sprintf("a spine has no VTEP; remove vtepIP %q", vtep)})
	}
	if leafRoles[role] && vtep == "" && cfg != nil && cfg.FabricMode == "spine-leaf" {
		fs = append(fs, Finding{Rule: "SW-4", Path: []string{"spec", "vtepIP"},
			Message: fmt.Sprintf("a %s in a spine-leaf fabric needs vtepIP, such as 172.30.12.0/32", role)})
	}
	if strAt(spec, "profile") == "" {
		fs = append(fs, Finding{Rule: "SW-5", Path: []string{"spec", "profile"},
			Message: "profile is required: name the SwitchProfile of this switch model"})
	}
	red := mapAt(spec, "redundancy")
	g, t := strAt(red, "group"), strAt(red, "type")
	if t != "" && t != "mclag" && t != "eslag" {
		fs = append(fs, Finding{Rule: "SW-6", Path: []string{"spec", "redundancy", "type"},
			Message: fmt.Sprintf("redundancy type %q is not one of mclag, eslag (or empty)", t)})
	}
	if (g == "") != (t == "") {
		fs = append(fs, Finding{Rule: "SW-6", Path: []string{"spec", "redundancy"},
			Message: fmt.Sprintf("redundancy group %q and type %q must be both set or both empty", g, t)})
	}
	if lf, ok := spec["linkFlapErrDisable"].(map[string]any); ok {
		for _, b := range []struct {
			key      string
			min, max int64
		}{{"flapThreshold", 1, 50}, {"samplingInterval", 1, 65535}, {"recoveryInterval", 0, 65534}} {
			v, ok := toInt64(lf[b.key])
			if !ok || v < b.min || v > b.max {
				fs = append(fs, Finding{Rule: "SW-7", Path: []string{"spec", "linkFlapErrDisable", b.key},
					Message: fmt.Sprintf("%s %v must be in %d..%d", b.key, lf[b.key], b.min, b.max)})
			}
		}
	}
	return fs
}

func switchCross(o *Object, s *Set, cfg *FabricConfig) []Finding {
	var fs []Finding
	spec := o.Spec()
	var ranges []VLANRange
	for i, v := range listAt(spec, "vlanNamespaces") {
		name, _ := v.(string)
		ns, f := s.Resolve("VLANNamespace", name, "SW-8", wiringPath("spec", "vlanNamespaces", i))
		if f != nil {
			fs = append(fs, *f)
			continue
		}
		ranges = append(ranges, vlanRangesOf(listAt(ns.Spec(), "ranges"))...)
	}
	if a, b, overlap := firstVLANOverlap(ranges); overlap {
		fs = append(fs, Finding{Rule: "SW-8", Path: []string{"spec", "vlanNamespaces"},
			Message: fmt.Sprintf("the VLAN namespaces' ranges %d-%d and %d-%d overlap (touching counts); a switch's namespaces must not share VLANs", a.From, a.To, b.From, b.To)})
	}
	for i, v := range listAt(spec, "groups") {
		name, _ := v.(string)
		path := wiringPath("spec", "groups", i)
		if name == "" {
			fs = append(fs, Finding{Rule: "SW-9", Path: path, Message: "group names must not be empty"})
			continue
		}
		if _, f := s.Resolve("SwitchGroup", name, "SW-9", path); f != nil {
			fs = append(fs, *f)
		}
	}
	if name := strAt(spec, "profile"); name != "" {
		prof, f := s.Resolve("SwitchProfile", name, "SW-10", []string{"spec", "profile"})
		if f != nil {
			fs = append(fs, *f)
		} else {
			fs = append(fs, switchAgainstProfile(spec, prof.Spec(), name, switchProfilePortsCached(s, prof))...)
		}
	}
	if cfg != nil {
		fs = append(fs, switchHydration(o, s, cfg)...)
	}
	return fs
}

// switchProfilePort is one data or management port of a SwitchProfile,
// with its port profile resolved.
type switchProfilePort struct {
	name       string
	management bool
	pp         map[string]any // the port profile, nil for group and management ports
	group      string
	pipeline   string
}

func switchProfilePorts(prof map[string]any) []switchProfilePort {
	pps := mapAt(prof, "portProfiles")
	ports := mapAt(prof, "ports")
	out := make([]switchProfilePort, 0, len(ports))
	for _, name := range sortedKeys(ports) {
		p := asMap(ports[name])
		sp := switchProfilePort{name: name, management: boolAt(p, "management"), group: strAt(p, "group"), pipeline: strAt(p, "pipeline")}
		if pn := strAt(p, "profile"); pn != "" {
			sp.pp, _ = pps[pn].(map[string]any)
		}
		out = append(out, sp)
	}
	return out
}

// profilePortsCache holds switchProfilePorts per SwitchProfile, filled as
// the rules ask, on several goroutines.
type profilePortsCache struct {
	mu    sync.Mutex
	ports map[*Object][]switchProfilePort
}

// switchProfilePortsCached returns switchProfilePorts of prof, computed
// once per set.
func switchProfilePortsCached(s *Set, prof *Object) []switchProfilePort {
	cache := Index(s, "wiringProfilePorts", func(*Set) *profilePortsCache {
		return &profilePortsCache{ports: map[*Object][]switchProfilePort{}}
	})
	cache.mu.Lock()
	defer cache.mu.Unlock()
	ports, ok := cache.ports[prof]
	if !ok {
		ports = switchProfilePorts(prof.Spec())
		cache.ports[prof] = ports
	}
	return ports
}

func (p switchProfilePort) breakout() map[string]any {
	b, _ := p.pp["breakout"].(map[string]any)
	return b
}

func (p switchProfilePort) speed() map[string]any {
	sp, _ := p.pp["speed"].(map[string]any)
	return sp
}

// lanes returns the sub-ports of a breakout port in the switch's mode (or
// the profile default), 0 when the mode is not supported.
func (p switchProfilePort) lanes(sw map[string]any) int {
	b := p.breakout()
	mode := strAt(mapAt(sw, "portBreakouts"), p.name)
	if mode == "" {
		mode = strAt(b, "default")
	}
	m, ok := mapAt(b, "supported")[mode].(map[string]any)
	if !ok {
		return 0
	}
	return len(listAt(m, "offsets"))
}

// switchAPIPorts returns the ports a Connection may name on a switch
// (CONN-10): management ports, plain data ports, and for breakout ports
// the port itself and its sub-ports in the switch's breakout mode.
func switchAPIPorts(ports []switchProfilePort, sw map[string]any) map[string]bool {
	api := make(map[string]bool, len(ports))
	for _, p := range ports {
		api[p.name] = true
		if p.breakout() != nil {
			for k := 1; k <= p.lanes(sw); k++ {
				api[fmt.Sprintf("%s/%d", p.name, k)] = true
			}
		}
	}
	return api
}

// switchAgainstProfile: SW-11..SW-14.
func switchAgainstProfile(spec, prof map[string]any, profName string, portList []switchProfilePort) []Finding {
	var fs []Finding
	ports := make(map[string]switchProfilePort, len(portList))
	for _, p := range portList {
		ports[p.name] = p
	}
	supports := func(l []any, v string) bool {
		for _, x := range l {
			if x == v {
				return true
			}
		}
		return false
	}
	groups := mapAt(prof, "portGroups")
	pps := mapAt(prof, "portProfiles")
	gs := mapAt(spec, "portGroupSpeeds")
	for _, g := range sortedKeys(gs) {
		v, _ := gs[g].(string)
		grp, ok := groups[g].(map[string]any)
		speed := mapAt(asMap(pps[strAt(grp, "profile")]), "speed")
		switch {
		case !ok || len(speed) == 0:
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portGroupSpeeds", g},
				Message: fmt.Sprintf("SwitchProfile %q has no port group %q with configurable speeds", profName, g)})
		case !supports(listAt(speed, "supported"), v):
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portGroupSpeeds", g},
				Message: fmt.Sprintf("speed %q is not supported by port group %q; supported: %v", v, g, stringsOf(listAt(speed, "supported")))})
		}
	}
	ps := mapAt(spec, "portSpeeds")
	for _, name := range sortedKeys(ps) {
		v, _ := ps[name].(string)
		speed := ports[name].speed()
		switch {
		case len(speed) == 0:
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portSpeeds", name},
				Message: fmt.Sprintf("SwitchProfile %q has no port %q with configurable speed", profName, name)})
		case !supports(listAt(speed, "supported"), v):
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portSpeeds", name},
				Message: fmt.Sprintf("speed %q is not supported by port %q; supported: %v", v, name, stringsOf(listAt(speed, "supported")))})
		}
	}
	pb := mapAt(spec, "portBreakouts")
	for _, name := range sortedKeys(pb) {
		v, _ := pb[name].(string)
		b := ports[name].breakout()
		switch {
		case b == nil:
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portBreakouts", name},
				Message: fmt.Sprintf("SwitchProfile %q has no breakout port %q", profName, name)})
		case mapAt(b, "supported")[v] == nil:
			fs = append(fs, Finding{Rule: "SW-11", Path: []string{"spec", "portBreakouts", name},
				Message: fmt.Sprintf("breakout mode %q is not supported by port %q; supported: %v", v, name, sortedKeys(mapAt(b, "supported")))})
		}
	}
	an, fecs := mapAt(spec, "portAutoNegs"), mapAt(spec, "portFECs")
	autoNeg, fec := map[string]bool{}, map[string]bool{}
	for _, p := range portList {
		if len(an) == 0 && len(fecs) == 0 {
			break
		}
		switch {
		case p.speed() != nil:
			autoNeg[p.name] = boolAt(p.pp, "autoNegAllowed")
			fec[p.name] = true
		case p.breakout() != nil:
			n := p.lanes(spec)
			for k := 1; k <= n; k++ {
				sub := fmt.Sprintf("%s/%d", p.name, k)
				autoNeg[sub] = boolAt(p.pp, "autoNegAllowed")
				fec[sub] = true
			}
			if n == 1 {
				fec[p.name] = true
			}
		case p.group != "":
			fec[p.name] = true
		}
	}
	for _, name := range sortedKeys(an) {
		if !autoNeg[name] {
			fs = append(fs, Finding{Rule: "SW-12", Path: []string{"spec", "portAutoNegs", name},
				Message: fmt.Sprintf("port %q of SwitchProfile %q does not allow auto-negotiation; remove it from portAutoNegs", name, profName)})
		}
	}
	for _, name := range sortedKeys(fecs) {
		if !fec[name] {
			fs = append(fs, Finding{Rule: "SW-12", Path: []string{"spec", "portFECs", name},
				Message: fmt.Sprintf("port %q cannot take a FEC setting on SwitchProfile %q with these breakouts; a broken-out port takes its sub-port names (E1/n/k)", name, profName)})
		}
	}
	feat := mapAt(prof, "features")
	if boolAt(spec, "roce") && !boolAt(feat, "roce") {
		fs = append(fs, Finding{Rule: "SW-13", Path: []string{"spec", "roce"},
			Message: fmt.Sprintf("SwitchProfile %q does not support RoCE; remove roce: true", profName)})
	}
	if boolAt(mapAt(spec, "ecmp"), "roceQPN") && !boolAt(feat, "ecmpRoCEQPN") {
		fs = append(fs, Finding{Rule: "SW-13", Path: []string{"spec", "ecmp", "roceQPN"},
			Message: fmt.Sprintf("SwitchProfile %q does not support ECMP RoCE QPN hashing; remove ecmp.roceQPN", profName)})
	}
	switch strAt(mapAt(spec, "redundancy"), "type") {
	case "eslag":
		if !boolAt(feat, "eslag") {
			fs = append(fs, Finding{Rule: "SW-13", Path: []string{"spec", "redundancy", "type"},
				Message: fmt.Sprintf("SwitchProfile %q does not support ESLAG", profName)})
		}
	case "mclag":
		fs = append(fs, Finding{Rule: "SW-13", Path: []string{"spec", "redundancy", "type"}, Severity: Warning,
			Message: "MCLAG redundancy is deprecated in Hedgehog; use eslag"})
	}
	total, perPipeline := 0, map[string]int{}
	for _, p := range portList {
		if p.management {
			continue
		}
		n := 1
		if p.breakout() != nil {
			n = p.lanes(spec)
		}
		total += n
		if p.pipeline != "" {
			perPipeline[p.pipeline] += n
		}
	}
	if maxPorts := intAt(prof, "maxPorts"); maxPorts > 0 && int64(total) > maxPorts {
		fs = append(fs, Finding{Rule: "SW-14", Path: []string{"spec", "portBreakouts"},
			Message: fmt.Sprintf("the breakouts give %d data ports; SwitchProfile %q allows at most %d", total, profName, maxPorts)})
	}
	pipes := mapAt(prof, "pipelines")
	for _, name := range sortedKeys(pipes) {
		if maxPorts := intAt(asMap(pipes[name]), "maxPorts"); maxPorts > 0 && int64(perPipeline[name]) > maxPorts {
			fs = append(fs, Finding{Rule: "SW-14", Path: []string{"spec", "portBreakouts"},
				Message: fmt.Sprintf("the breakouts give %d data ports on pipeline %q; SwitchProfile %q allows at most %d there", perPipeline[name], name, profName, maxPorts)})
		}
	}
	return fs
}

// switchIndex holds what hydration compares across switches and gateways.
type switchIndex struct {
	mgmt, protocol, vtep, leafASN map[string][]string // value → switch names
	gwProtocol, gwVTEP            map[string][]string // value → gateway names
}

func switchHydrationIndex(s *Set) *switchIndex {
	return Index(s, "wiringSwitchHydration", func(s *Set) *switchIndex {
		ix := &switchIndex{mgmt: map[string][]string{}, protocol: map[string][]string{}, vtep: map[string][]string{},
			leafASN: map[string][]string{}, gwProtocol: map[string][]string{}, gwVTEP: map[string][]string{}}
		for _, o := range s.All("Switch") {
			spec := o.Spec()
			if p, err := netip.ParsePrefix(strAt(spec, "ip")); err == nil {
				ix.mgmt[p.Addr().String()] = append(ix.mgmt[p.Addr().String()], o.Name)
			}
			if v := strAt(spec, "protocolIP"); v != "" {
				ix.protocol[v] = append(ix.protocol[v], o.Name)
			}
			if v := strAt(spec, "vtepIP"); v != "" {
				ix.vtep[v] = append(ix.vtep[v], o.Name)
			}
			if leafRoles[strAt(spec, "role")] {
				k := fmt.Sprint(intAt(spec, "asn"))
				ix.leafASN[k] = append(ix.leafASN[k], o.Name)
			}
		}
		for _, g := range s.All("Gateway") {
			if v := strAt(g.Spec(), "protocolIP"); v != "" {
				ix.gwProtocol[v] = append(ix.gwProtocol[v], g.Name)
			}
			if v := strAt(g.Spec(), "vtepIP"); v != "" {
				ix.gwVTEP[v] = append(ix.gwVTEP[v], g.Name)
			}
		}
		return ix
	})
}

// switchHydration: SW-15..SW-19.
func switchHydration(o *Object, s *Set, cfg *FabricConfig) []Finding {
	vtepNet, e1 := netip.ParsePrefix(cfg.VTEPSubnet)
	protoNet, e2 := netip.ParsePrefix(cfg.ProtocolSubnet)
	vip, e3 := netip.ParsePrefix(cfg.ControlVIP)
	mgmtNet, e4 := netip.ParsePrefix(cfg.ManagementSubnet)
	dhcpStart, e5 := netip.ParseAddr(cfg.ManagementDHCPStart)
	var missing []string
	for i, err := range []error{e1, e2, e3, e4, e5} {
		if err != nil {
			missing = append(missing, []string{"vtepSubnet", "protocolSubnet", "controlVIP (CIDR form)", "managementSubnet", "managementDHCPStart"}[i])
		}
	}
	if len(missing) > 0 {
		return []Finding{{Rule: "SW-15", Path: []string{"spec"},
			Message: "the fabric config lacks a valid " + strings.Join(missing, ", ") + "; Hedgehog cannot assign switch addresses and rejects every Switch until they are set"}}
	}
	vtepNet, protoNet, mgmtNet = vtepNet.Masked(), protoNet.Masked(), mgmtNet.Masked()
	var fs []Finding
	ix := switchHydrationIndex(s)
	spec := o.Spec()
	role := strAt(spec, "role")
	mclag := strAt(mapAt(spec, "redundancy"), "type") == "mclag"
	others := func(m map[string][]string, k string) string { return strings.Join(wiringOthers(m[k], o.Name), ", ") }
	if ip := strAt(spec, "ip"); ip != "" {
		path := []string{"spec", "ip"}
		p, err := netip.ParsePrefix(ip)
		switch {
		case err != nil:
			fs = append(fs, Finding{Rule: "SW-15", Path: path, Message: fmt.Sprintf("ip %q is not in CIDR form, such as 172.30.0.8/21", ip)})
		case !mgmtNet.Contains(p.Addr()):
			fs = append(fs, Finding{Rule: "SW-15", Path: path, Message: fmt.Sprintf("ip %s is outside managementSubnet %s", p.Addr(), mgmtNet)})
		case p.Addr().Compare(dhcpStart) >= 0:
			fs = append(fs, Finding{Rule: "SW-15", Path: path, Message: fmt.Sprintf("ip %s must be below managementDHCPStart %s, out of the DHCP pool", p.Addr(), dhcpStart)})
		case p.Addr() == vip.Addr():
			fs = append(fs, Finding{Rule: "SW-15", Path: path, Message: fmt.Sprintf("ip %s is the control VIP; pick another address", p.Addr())})
		case others(ix.mgmt, p.Addr().String()) != "":
			fs = append(fs, Finding{Rule: "SW-15", Path: path, Message: fmt.Sprintf("ip %s is already the management address of Switch %s", p.Addr(), others(ix.mgmt, p.Addr().String()))})
		}
	}
	fs = append(fs, switchSlash32(o, "SW-16", "protocolIP", protoNet, "protocolSubnet", ix.protocol, ix.gwProtocol, cfg.EnableGateway)...)
	asn := intAt(spec, "asn")
	switch {
	case leafRoles[role]:
		if d := others(ix.leafASN, fmt.Sprint(asn)); d != "" && !mclag {
			fs = append(fs, Finding{Rule: "SW-17", Path: []string{"spec", "asn"}, Message: fmt.Sprintf("leaf ASN %d is already used by Switch %s; each leaf needs its own ASN", asn, d)})
		}
		if asn < cfg.LeafASNStart || asn > cfg.LeafASNEnd {
			fs = append(fs, Finding{Rule: "SW-17", Path: []string{"spec", "asn"}, Message: fmt.Sprintf("leaf ASN %d is outside the fabric's leaf range %d..%d (leafASNStart..leafASNEnd)", asn, cfg.LeafASNStart, cfg.LeafASNEnd)})
		}
		if !mclag && strAt(spec, "vtepIP") != "" {
			fs = append(fs, switchSlash32(o, "SW-19", "vtepIP", vtepNet, "vtepSubnet", ix.vtep, ix.gwVTEP, cfg.EnableGateway)...)
		}
	case role == "spine":
		if asn != cfg.SpineASN {
			fs = append(fs, Finding{Rule: "SW-18", Path: []string{"spec", "asn"}, Message: fmt.Sprintf("spine ASN %d must equal the fabric's spineASN %d", asn, cfg.SpineASN)})
		}
	}
	return fs
}

// switchSlash32 checks a /32 address field inside a fabric subnet, unique
// among switches and, with gateways enabled, among Gateways (SW-16, SW-19).
func switchSlash32(o *Object, rule, key string, within netip.Prefix, cfgKey string, switches, gateways map[string][]string, withGateways bool) []Finding {
	v := strAt(o.Spec(), key)
	if v == "" {
		return nil // SW-3 or SW-4 report a missing address
	}
	path := []string{"spec", key}
	p, err := netip.ParsePrefix(v)
	if err != nil || p.Bits() != 32 || !within.Contains(p.Addr()) {
		return []Finding{{Rule: rule, Path: path, Message: fmt.Sprintf("%s %q must be a /32 inside %s %s", key, v, cfgKey, within)}}
	}
	if d := wiringOthers(switches[v], o.Name); len(d) > 0 {
		return []Finding{{Rule: rule, Path: path, Message: fmt.Sprintf("%s %s is already used by Switch %s", key, v, strings.Join(d, ", "))}}
	}
	if withGateways && len(gateways[v]) > 0 {
		return []Finding{{Rule: rule, Path: path, Message: fmt.Sprintf("%s %s is already used by Gateway %s", key, v, strings.Join(wiringOthers(gateways[v], ""), ", "))}}
	}
	return nil
}

// switchUpdate: SW-20, breakouts are fixed while RoCE is on.
func switchUpdate(old, new *Object, _ *Set) []Finding {
	if !boolAt(old.Spec(), "roce") && !boolAt(new.Spec(), "roce") {
		return nil
	}
	ob, nb := mapAt(old.Spec(), "portBreakouts"), mapAt(new.Spec(), "portBreakouts")
	if len(ob) == 0 && len(nb) == 0 || reflect.DeepEqual(ob, nb) {
		return nil
	}
	return []Finding{{Rule: "SW-20", Path: []string{"spec", "portBreakouts"},
		Message: "portBreakouts cannot change while RoCE is (or was) enabled on the switch; disable roce in one change, then change the breakouts"}}
}

// switchDeleted: SW-20, connections still using the switch.
func switchDeleted(o *Object, s *Set) []Finding {
	return wiringStillReferenced(o, "SW-20", wiringQuoted("Connection", connectionIndex(s).bySwitch[o.Name]))
}

func wiringQuoted(kind string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = kind + " " + quote(n)
	}
	return out
}
