package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// VLANNamespace rules (VLANNS-*). All are implemented, with two choices:
//   - Hedgehog's defaults replace invalid ranges with an empty list, which
//     would admit the namespace; like Hedgehog's tests, invalid ranges are
//     reported here (VLANNS-2).
//   - VLANNS-5: Hedgehog's webhook finds the VPCs through the IPv4 namespace
//     label by mistake; this finds them by spec.vlanNamespace, as meant.
//
// The defaults sort the ranges, so findings point at spec.ranges and name
// the range in the message.

// vlanNamespaceDefaults sorts spec.ranges by from and fills each missing to
// with from.
func vlanNamespaceDefaults(o *Object) {
	spec, ok := o.Obj["spec"].(map[string]any)
	if !ok {
		return
	}
	l := listAt(spec, "ranges")
	for _, v := range l {
		if m, ok := v.(map[string]any); ok && intAt(m, "to") == 0 {
			if from, ok := toInt64(m["from"]); ok {
				m["to"] = json.Number(strconv.FormatInt(from, 10))
			}
		}
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, _ := l[i].(map[string]any)
		b, _ := l[j].(map[string]any)
		return intAt(a, "from") < intAt(b, "from")
	})
}

func vlanRangeText(r VLANRange) string {
	if r.To == 0 || r.To == r.From {
		return strconv.FormatInt(r.From, 10)
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}

func vlanNamespaceLocal(o *Object, cfg *FabricConfig) []Finding {
	fs := metaRules(o, "VLANNS-1")
	path := []string{"spec", "ranges"}
	ranges := vlanRangesOf(listAt(o.Spec(), "ranges"))
	valid := true
	for _, r := range ranges {
		if why := checkVLANRange(r); why != "" {
			valid = false
			fs = append(fs, Finding{Rule: "VLANNS-2", Path: path,
				Message: fmt.Sprintf("VLAN range %s: %s; ranges need 1 <= from <= to <= 4094", vlanRangeText(r), why)})
		}
	}
	if cfg == nil || !valid {
		return fs
	}
	if a, b, ok := firstVLANOverlap(ranges); ok {
		fs = append(fs, Finding{Rule: "VLANNS-3", Path: path,
			Message: fmt.Sprintf("VLAN ranges %s and %s overlap or touch; merge them into one range", vlanRangeText(a), vlanRangeText(b))})
	}
	fs = append(fs, vlanNamespaceAgainst(ranges, cfg.VPCIRBVLANRanges, "VLANNS-3", "vpcIRBVLANRange")...)
	fs = append(fs, vlanNamespaceAgainst(ranges, cfg.TH5WorkaroundVLANRanges, "VLANNS-4", "th5WorkaroundVLANRange")...)
	return fs
}

// vlanNamespaceAgainst reports each of the namespace's ranges that overlaps
// or touches one of the fabric's reserved ranges (VLR-3).
func vlanNamespaceAgainst(own, reserved []VLANRange, rule, key string) []Finding {
	var fs []Finding
	for _, a := range own {
		for _, b := range reserved {
			if vlanRangesOverlap(a, b) {
				fs = append(fs, Finding{Rule: rule, Path: []string{"spec", "ranges"},
					Message: fmt.Sprintf("VLAN range %s overlaps the fabric's %s %s; choose VLANs outside it", vlanRangeText(a), key, vlanRangeText(b))})
			}
		}
	}
	return fs
}

// vlanRangesOverlap is VLR-3 for two ranges: they share a VLAN (ranges
// that touch share their end).
func vlanRangesOverlap(a, b VLANRange) bool {
	aTo, bTo := a.To, b.To
	if aTo == 0 {
		aTo = a.From
	}
	if bTo == 0 {
		bTo = b.From
	}
	return a.From <= bTo && b.From <= aTo
}

// vlanInRanges reports whether vlan lies in one of ranges (inclusive).
func vlanInRanges(vlan int64, ranges []VLANRange) bool {
	for _, r := range ranges {
		to := r.To
		if to == 0 {
			to = r.From
		}
		if r.From <= vlan && vlan <= to {
			return true
		}
	}
	return false
}

// vlanNamespaceUpdate is VLANNS-5: the VLANs of the VPCs in the namespace
// must stay inside the new ranges.
func vlanNamespaceUpdate(_, o *Object, s *Set) []Finding {
	ranges := vlanRangesOf(listAt(o.Spec(), "ranges"))
	var fs []Finding
	for _, vpc := range vpcIndexByVLANNamespace(s)[o.Name] {
		for _, sn := range vpcSubnetsOf(vpc) {
			if sn.hostBGP || sn.vlan == 0 || vlanInRanges(sn.vlan, ranges) {
				continue
			}
			fs = append(fs, Finding{Rule: "VLANNS-5", Path: []string{"spec", "ranges"},
				Message: fmt.Sprintf("VPC %q subnet %q uses VLAN %d, which the new ranges leave out; keep it in a range or change the VPC first", vpc.Name, sn.name, sn.vlan)})
		}
	}
	return fs
}

// vlanNamespaceDeleted is VLANNS-6: Switches and VPCs that use the namespace.
func vlanNamespaceDeleted(o *Object, s *Set) []Finding {
	var fs []Finding
	for _, sw := range s.All("Switch") {
		for _, ns := range vpcSwitchVLANNamespaces(sw) {
			if ns == o.Name {
				fs = append(fs, Finding{Rule: "VLANNS-6", Path: []string{"metadata", "name"},
					Message: fmt.Sprintf("VLANNamespace %q is still listed by Switch %q; Hedgehog refuses to delete it", o.Name, sw.Name)})
				break
			}
		}
	}
	for _, vpc := range vpcIndexByVLANNamespace(s)[o.Name] {
		fs = append(fs, Finding{Rule: "VLANNS-6", Path: []string{"metadata", "name"},
			Message: fmt.Sprintf("VLANNamespace %q is still used by VPC %q; Hedgehog refuses to delete it", o.Name, vpc.Name)})
	}
	return fs
}

// vpcSwitchVLANNamespaces returns a Switch's spec.vlanNamespaces; an empty
// list means ["default"], as Hedgehog's defaults store it.
func vpcSwitchVLANNamespaces(sw *Object) []string {
	l := stringsOf(listAt(sw.Spec(), "vlanNamespaces"))
	if len(l) == 0 {
		return []string{"default"}
	}
	return l
}
