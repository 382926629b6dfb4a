package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SwitchProfile (wiring.githedgehog.com): SWP-1..SWP-10 in full.
//
// SWP-11 compares a profile with Hedgehog's built-in catalog (only built-in
// names may be created unless allowExtraSwitchProfiles is true; a built-in
// profile must equal its definition; built-ins cannot be deleted). The
// catalog ships inside Hedgehog's controller and is not available here, so
// SWP-11 cannot decide; with a fabric config that does not allow extra
// profiles it reports a warning that says what Hedgehog will require.

var nosTypes = map[string]bool{"sonic-bcm-base": true, "sonic-bcm-campus": true, "sonic-bcm-vs": true,
	"sonic-cls-plus-broadcom": true, "sonic-cls-plus-marvell": true, "sonic-cls-plus-vs": true, "cumulus-vx": true, "cumulus-mlx": true}

var portSpeeds = map[string]bool{"1G": true, "2.5G": true, "5G": true, "10G": true, "20G": true, "25G": true,
	"40G": true, "50G": true, "100G": true, "200G": true, "400G": true, "800G": true}

// swpNumbered reports whether s is prefix followed by an integer >= min.
func swpNumbered(s, prefix string, min int) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && n >= min
}

func switchProfileLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "SWP-1")
	spec := o.Spec()
	if strAt(spec, "displayName") == "" {
		fs = append(fs, Finding{Rule: "SWP-2", Path: []string{"spec", "displayName"}, Message: "displayName is required, such as \"Dell S5248F-ON\""})
	}
	other := listAt(spec, "otherNames")
	if len(other) > 5 {
		fs = append(fs, Finding{Rule: "SWP-2", Path: []string{"spec", "otherNames"}, Message: fmt.Sprintf("otherNames has %d entries; at most 5 are allowed", len(other))})
	}
	seenName := map[string]bool{}
	for i, v := range other {
		s, _ := v.(string)
		switch {
		case s == "":
			fs = append(fs, Finding{Rule: "SWP-2", Path: wiringPath("spec", "otherNames", i), Message: "otherNames entries must not be empty"})
		case seenName[s]:
			fs = append(fs, Finding{Rule: "SWP-2", Path: wiringPath("spec", "otherNames", i), Message: fmt.Sprintf("otherNames lists %q twice", s)})
		}
		seenName[s] = true
	}
	for _, key := range []string{"switchSilicon", "platform"} {
		if strAt(spec, key) == "" {
			fs = append(fs, Finding{Rule: "SWP-3", Path: []string{"spec", key}, Message: key + " is required"})
		}
	}
	if t := strAt(spec, "nosType"); !nosTypes[t] {
		fs = append(fs, Finding{Rule: "SWP-3", Path: []string{"spec", "nosType"},
			Message: fmt.Sprintf("nosType %q is not one of %s", t, strings.Join(sortedKeys(nosTypes), ", "))})
	}
	fs = append(fs, swpPorts(spec)...)
	fs = append(fs, swpGroupsAndProfiles(spec)...)
	pipes := mapAt(spec, "pipelines")
	for _, name := range sortedKeys(pipes) {
		if name == "" {
			fs = append(fs, Finding{Rule: "SWP-10", Path: []string{"spec", "pipelines", name}, Message: "pipeline names must not be empty"})
		}
		if intAt(asMap(pipes[name]), "maxPorts") <= 0 {
			fs = append(fs, Finding{Rule: "SWP-10", Path: []string{"spec", "pipelines", name, "maxPorts"}, Message: fmt.Sprintf("pipeline %q needs maxPorts > 0", name)})
		}
	}
	if cfg != nil && !cfg.AllowExtraSwitchProfiles {
		fs = append(fs, Finding{Rule: "SWP-11", Path: []string{"metadata", "name"}, Severity: Warning,
			Message: fmt.Sprintf("Hedgehog admits SwitchProfile %q only if it is one of its built-in profiles with exactly the built-in spec, unless the fabric config sets allowExtraSwitchProfiles: true; this FGD cannot check the built-in catalog", o.Name)})
	}
	return fs
}

// swpPorts: SWP-4..SWP-7.
func swpPorts(spec map[string]any) []Finding {
	var fs []Finding
	ports := mapAt(spec, "ports")
	pps := mapAt(spec, "portProfiles")
	groups := mapAt(spec, "portGroups")
	pipes := mapAt(spec, "pipelines")
	nosSeen, baseSeen, labelSeen := map[string]string{}, map[string]string{}, map[string]string{}
	for _, name := range sortedKeys(ports) {
		p := asMap(ports[name])
		path := func(k string) []string { return []string{"spec", "ports", name, k} }
		nos, base := strAt(p, "nos"), strAt(p, "baseNOSName")
		if nos == "" {
			fs = append(fs, Finding{Rule: "SWP-4", Path: path("nos"), Message: fmt.Sprintf("port %q needs its NOS name in nos", name)})
		} else if prev, dup := nosSeen[nos]; dup {
			fs = append(fs, Finding{Rule: "SWP-4", Path: path("nos"), Message: fmt.Sprintf("NOS name %q is also used by port %q", nos, prev)})
		} else {
			nosSeen[nos] = name
		}
		if len(name) < 2 {
			fs = append(fs, Finding{Rule: "SWP-4", Path: []string{"spec", "ports", name}, Message: fmt.Sprintf("port name %q needs at least 2 characters, such as E1/1 or M1", name)})
		}
		if base != "" {
			if prev, dup := baseSeen[base]; dup {
				fs = append(fs, Finding{Rule: "SWP-4", Path: path("baseNOSName"), Message: fmt.Sprintf("baseNOSName %q is also used by port %q", base, prev)})
			} else {
				baseSeen[base] = name
			}
		}
		if boolAt(p, "management") {
			if !swpNumbered(name, "M", 1) {
				fs = append(fs, Finding{Rule: "SWP-5", Path: []string{"spec", "ports", name}, Message: fmt.Sprintf("management port %q must be named M<n> with n >= 1, such as M1", name)})
			}
			if nos != "" && !swpNumbered(nos, "Management", 0) {
				fs = append(fs, Finding{Rule: "SWP-5", Path: path("nos"), Message: fmt.Sprintf("management port NOS name %q must be Management<n>, such as Management0", nos)})
			}
			if o := strAt(p, "oniePortName"); !swpNumbered(o, "eth", 0) {
				fs = append(fs, Finding{Rule: "SWP-5", Path: path("oniePortName"), Message: fmt.Sprintf("management port oniePortName %q must be eth<n>, such as eth0", o)})
			}
			for _, k := range []string{"group", "profile", "baseNOSName"} {
				if strAt(p, k) != "" {
					fs = append(fs, Finding{Rule: "SWP-5", Path: path(k), Message: fmt.Sprintf("management port %q must not have %s", name, k)})
				}
			}
			continue
		}
		asic, port, ok := strings.Cut(strings.TrimPrefix(name, "E"), "/")
		if !strings.HasPrefix(name, "E") || !ok || !swpNumbered(asic, "", 1) || !swpNumbered(port, "", 1) {
			fs = append(fs, Finding{Rule: "SWP-6", Path: []string{"spec", "ports", name}, Message: fmt.Sprintf("data port %q must be named E<a>/<p> with positive integers, such as E1/1", name)})
		}
		if l := strAt(p, "label"); l == "" {
			fs = append(fs, Finding{Rule: "SWP-6", Path: path("label"), Message: fmt.Sprintf("data port %q needs a label, the name printed on the switch", name)})
		} else if prev, dup := labelSeen[l]; dup {
			fs = append(fs, Finding{Rule: "SWP-6", Path: path("label"), Message: fmt.Sprintf("label %q is also used by port %q", l, prev)})
		} else {
			labelSeen[l] = name
		}
		prof, grp := strAt(p, "profile"), strAt(p, "group")
		breakout := false
		switch {
		case prof == "" && grp == "", prof != "" && grp != "":
			fs = append(fs, Finding{Rule: "SWP-6", Path: []string{"spec", "ports", name}, Message: fmt.Sprintf("data port %q needs exactly one of profile or group", name)})
		case prof != "":
			pp, ok := pps[prof].(map[string]any)
			if !ok {
				fs = append(fs, Finding{Rule: "SWP-6", Path: path("profile"), Message: fmt.Sprintf("port profile %q is not defined in portProfiles", prof)})
			}
			_, breakout = pp["breakout"].(map[string]any)
		default:
			if _, ok := groups[grp].(map[string]any); !ok {
				fs = append(fs, Finding{Rule: "SWP-6", Path: path("group"), Message: fmt.Sprintf("port group %q is not defined in portGroups", grp)})
			}
		}
		if breakout {
			if nos != "" && !swpNumbered(nos, "1/", 0) {
				fs = append(fs, Finding{Rule: "SWP-7", Path: path("nos"), Message: fmt.Sprintf("breakout port %q needs nos 1/<n>, not %q", name, nos)})
			}
			if !swpNumbered(base, "Ethernet", 0) {
				fs = append(fs, Finding{Rule: "SWP-7", Path: path("baseNOSName"), Message: fmt.Sprintf("breakout port %q needs baseNOSName Ethernet<n>, not %q", name, base)})
			}
		} else if nos != "" && !swpNumbered(nos, "Ethernet", 0) {
			fs = append(fs, Finding{Rule: "SWP-7", Path: path("nos"), Message: fmt.Sprintf("data port %q needs nos Ethernet<n>, not %q", name, nos)})
		}
		if pl := strAt(p, "pipeline"); pl != "" {
			if !breakout {
				fs = append(fs, Finding{Rule: "SWP-7", Path: path("pipeline"), Message: fmt.Sprintf("pipeline is only allowed on breakout ports; port %q is not one", name)})
			} else if _, ok := pipes[pl]; !ok {
				fs = append(fs, Finding{Rule: "SWP-7", Path: path("pipeline"), Message: fmt.Sprintf("pipeline %q is not defined in pipelines", pl)})
			}
		}
	}
	return fs
}

// swpGroupsAndProfiles: SWP-8, SWP-9.
func swpGroupsAndProfiles(spec map[string]any) []Finding {
	var fs []Finding
	ports, groups, pps := mapAt(spec, "ports"), mapAt(spec, "portGroups"), mapAt(spec, "portProfiles")
	usedGroup, usedProfile := map[string]bool{}, map[string]bool{}
	for _, p := range ports {
		m := asMap(p)
		usedGroup[strAt(m, "group")] = true
		usedProfile[strAt(m, "profile")] = true
	}
	for _, name := range sortedKeys(groups) {
		g := asMap(groups[name])
		path := func(k string) []string { return []string{"spec", "portGroups", name, k} }
		usedProfile[strAt(g, "profile")] = true
		if !usedGroup[name] {
			fs = append(fs, Finding{Rule: "SWP-8", Path: []string{"spec", "portGroups", name}, Message: fmt.Sprintf("port group %q is not used by any port; remove it", name)})
		}
		if !swpNumbered(strAt(g, "nos"), "", 1) {
			fs = append(fs, Finding{Rule: "SWP-8", Path: path("nos"), Message: fmt.Sprintf("port group %q needs nos, a positive integer, not %q", name, strAt(g, "nos"))})
		}
		prof := strAt(g, "profile")
		pp, ok := pps[prof].(map[string]any)
		switch {
		case prof == "":
			fs = append(fs, Finding{Rule: "SWP-8", Path: path("profile"), Message: fmt.Sprintf("port group %q needs a profile", name)})
		case !ok:
			fs = append(fs, Finding{Rule: "SWP-8", Path: path("profile"), Message: fmt.Sprintf("port profile %q is not defined in portProfiles", prof)})
		case pp["speed"] == nil:
			fs = append(fs, Finding{Rule: "SWP-8", Path: path("profile"), Message: fmt.Sprintf("port group %q needs a speed profile; %q is not one", name, prof)})
		case boolAt(pp, "autoNegAllowed"):
			fs = append(fs, Finding{Rule: "SWP-8", Path: path("profile"), Message: fmt.Sprintf("port group %q cannot use profile %q, which allows auto-negotiation", name, prof)})
		}
	}
	for _, name := range sortedKeys(pps) {
		pp := asMap(pps[name])
		base := []string{"spec", "portProfiles", name}
		bad := func(msg string, sub ...string) {
			fs = append(fs, Finding{Rule: "SWP-9", Path: wiringPath(base, sub), Message: fmt.Sprintf("port profile %q: %s", name, msg)})
		}
		if !usedProfile[name] {
			bad("not used by any port or group; remove it")
		}
		speed, hasSpeed := pp["speed"].(map[string]any)
		brk, hasBreakout := pp["breakout"].(map[string]any)
		if hasSpeed == hasBreakout {
			bad("needs exactly one of speed and breakout")
		}
		if boolAt(pp, "autoNegDefault") && !boolAt(pp, "autoNegAllowed") {
			bad("autoNegDefault needs autoNegAllowed", "autoNegDefault")
		}
		if hasSpeed {
			sup := stringsOf(listAt(speed, "supported"))
			def := strAt(speed, "default")
			if len(sup) == 0 {
				bad("speed.supported must list the supported speeds", "speed", "supported")
			} else if !slices.Contains(sup, def) {
				bad(fmt.Sprintf("speed.default %q must be one of speed.supported %v", def, sup), "speed", "default")
			}
			for i, s := range sup {
				if !portSpeeds[s] {
					bad(fmt.Sprintf("speed %q is not one of %s", s, strings.Join(sortedKeys(portSpeeds), ", ")), "speed", "supported", strconv.Itoa(i))
				}
			}
		}
		if hasBreakout {
			sup := mapAt(brk, "supported")
			if def := strAt(brk, "default"); sup[def] == nil {
				bad(fmt.Sprintf("breakout.default %q must be one of breakout.supported %v", def, sortedKeys(sup)), "breakout", "default")
			}
			for _, mode := range sortedKeys(sup) {
				n, sp, ok := strings.Cut(mode, "x")
				if !ok || (n != "1" && n != "2" && n != "4" && n != "8") || !portSpeeds[sp] {
					bad(fmt.Sprintf("breakout mode %q must be <n>x<speed> with n in 1, 2, 4, 8, such as 4x25G", mode), "breakout", "supported", mode)
				}
				if len(listAt(asMap(sup[mode]), "offsets")) == 0 {
					bad(fmt.Sprintf("breakout mode %q needs offsets", mode), "breakout", "supported", mode, "offsets")
				}
			}
		}
	}
	return fs
}
