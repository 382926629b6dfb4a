package rules

import (
	"fmt"
	"net/netip"
	"strings"
)

// VPCAttachment rules (VA-*). All are implemented. The Connection, Switch
// and SwitchProfile fields the cross rules need are read from those
// objects' documents here, so this file does not depend on the wiring
// kinds' code.

const vpcAttachmentP2PLink = "fabric.githedgehog.com/p2p-link"

// vpcAttachmentDefaults turns a spec.subnet without "/" into <vpc>/default.
func vpcAttachmentDefaults(o *Object) {
	spec, ok := o.Obj["spec"].(map[string]any)
	if !ok {
		return
	}
	if sub := strAt(spec, "subnet"); sub != "" && !strings.Contains(sub, "/") {
		spec["subnet"] = sub + "/default"
	}
}

// vpcAttachmentTarget splits spec.subnet into its VPC and subnet names.
func vpcAttachmentTarget(o *Object) (vpc, subnet string) {
	vpc, subnet, _ = strings.Cut(strAt(o.Spec(), "subnet"), "/")
	return vpc, subnet
}

func vpcAttachmentLocal(o *Object, _ *FabricConfig) []Finding {
	fs := metaRules(o, "VA-1")
	spec := o.Spec()
	sub := strAt(spec, "subnet")
	vpc, _ := vpcAttachmentTarget(o)
	switch {
	case sub == "":
		fs = append(fs, Finding{Rule: "VA-2", Path: []string{"spec", "subnet"}, Message: "subnet is required, as <vpc>/<subnet> or <vpc> for its default subnet"})
	case vpc == "":
		fs = append(fs, Finding{Rule: "VA-2", Path: []string{"spec", "subnet"},
			Message: fmt.Sprintf("subnet %q has no VPC name before the \"/\"; write <vpc>/<subnet>", sub)})
	}
	if strAt(spec, "connection") == "" {
		fs = append(fs, Finding{Rule: "VA-3", Path: []string{"spec", "connection"}, Message: "connection is required: the name of the server Connection to attach"})
	}
	annotations := mapAt(mapAt(o.Obj, "metadata"), "annotations")
	if v, present := annotations[vpcAttachmentP2PLink]; present {
		s, _ := v.(string)
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() || p.Bits() != 31 {
			fs = append(fs, Finding{Rule: "VA-4", Path: []string{"metadata", "annotations", vpcAttachmentP2PLink},
				Message: fmt.Sprintf("annotation value %q must be an IPv4 /31 prefix, such as 10.0.0.0/31", s)})
		}
	}
	return fs
}

// vpcConnectionTypes are the Connection types, in the order Hedgehog looks
// for them; the first one set is the connection's type.
var vpcConnectionTypes = []string{"unbundled", "bundled", "eslag", "fabric", "mesh", "gateway", "vpcLoopback", "external", "staticExternal", "mclag", "mclagDomain"}

// vpcConnectionType returns the type of a Connection document, or "".
func vpcConnectionType(conn *Object) string {
	spec := conn.Spec()
	for _, t := range vpcConnectionTypes {
		if v, ok := spec[t]; ok && v != nil {
			return t
		}
	}
	return ""
}

// vpcConnectionSwitches returns, in order and without repeats, the switches
// of a server-facing Connection (unbundled, bundled, eslag or mclag).
func vpcConnectionSwitches(conn *Object, typ string) []string {
	body := mapAt(conn.Spec(), typ)
	var links []any
	if typ == "unbundled" {
		links = []any{body["link"]}
	} else {
		links = listAt(body, "links")
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range links {
		m, _ := l.(map[string]any)
		port := strAt(mapAt(m, "switch"), "port")
		sw, _, ok := strings.Cut(port, "/")
		if !ok || sw == "" || seen[sw] {
			continue
		}
		seen[sw] = true
		out = append(out, sw)
	}
	return out
}

// vpcAttachmentsByConnection indexes VPCAttachments by spec.connection.
func vpcAttachmentsByConnection(s *Set) map[string][]*Object {
	return Index(s, "vpc.attachmentsByConnection", func(s *Set) map[string][]*Object {
		out := map[string][]*Object{}
		for _, a := range s.All("VPCAttachment") {
			c := strAt(a.Spec(), "connection")
			out[c] = append(out[c], a)
		}
		return out
	})
}

func vpcAttachmentCross(o *Object, s *Set, _ *FabricConfig) []Finding {
	spec := o.Spec()
	subnetPath := []string{"spec", "subnet"}
	connPath := []string{"spec", "connection"}
	var fs []Finding
	vpcName, subnetName := vpcAttachmentTarget(o)
	var vpc *Object
	var subnet *vpcSubnet
	if vpcName != "" {
		var f *Finding
		if vpc, f = s.Resolve("VPC", vpcName, "VA-5", subnetPath); f != nil {
			fs = append(fs, *f)
		} else {
			for _, sn := range vpcSubnetsOf(vpc) {
				if sn.name == subnetName {
					subnet = &sn
					break
				}
			}
			if subnet == nil {
				fs = append(fs, Finding{Rule: "VA-6", Path: subnetPath,
					Message: fmt.Sprintf("VPC %q has no subnet %q (it has: %s)", vpcName, subnetName, strings.Join(sortedKeys(mapAt(vpc.Spec(), "subnets")), ", "))})
			}
		}
	}
	connName := strAt(spec, "connection")
	fs = append(fs, vpcAttachmentSiblings(o, s)...)
	if connName == "" {
		return fs
	}
	conn, f := s.Resolve("Connection", connName, "VA-7", connPath)
	if f != nil {
		return append(fs, *f)
	}
	typ := vpcConnectionType(conn)
	switch typ {
	case "unbundled", "bundled", "eslag":
	default:
		return append(fs, Finding{Rule: "VA-8", Path: connPath,
			Message: fmt.Sprintf("Connection %q is of type %q; a VPC can only be attached through an unbundled, bundled or eslag connection", connName, typ)})
	}
	mode := ""
	if vpc != nil {
		mode = strAt(vpc.Spec(), "mode")
		if typ == "eslag" && mode != "" {
			fs = append(fs, Finding{Rule: "VA-8", Path: connPath,
				Message: fmt.Sprintf("Connection %q is eslag, which needs a VPC in L2VNI mode; VPC %q has mode %q", connName, vpcName, mode)})
		}
	}
	hostBGP := subnet != nil && subnet.hostBGP
	if hostBGP && typ != "unbundled" {
		fs = append(fs, Finding{Rule: "VA-8", Path: connPath,
			Message: fmt.Sprintf("subnet %q is hostBGP and can only be attached through an unbundled connection; Connection %q is %s", subnetName, connName, typ)})
	}
	if vpc == nil {
		return fs // the switch checks need the VPC's namespace and mode
	}
	vlanNS := vpcNameOrDefault(strAt(vpc.Spec(), "vlanNamespace"))
	for _, swName := range vpcConnectionSwitches(conn, typ) {
		sw, f := s.Resolve("Switch", swName, "VA-9", connPath)
		if f != nil {
			f.Message = fmt.Sprintf("Connection %q uses switch %q: %s", connName, swName, f.Message)
			fs = append(fs, *f)
			continue
		}
		if !vpcContains(vpcSwitchVLANNamespaces(sw), vlanNS) {
			fs = append(fs, Finding{Rule: "VA-9", Path: connPath,
				Message: fmt.Sprintf("switch %q of Connection %q does not list VLANNamespace %q of VPC %q in its vlanNamespaces; add it there", swName, connName, vlanNS, vpcName)})
		}
		if hostBGP {
			red := mapAt(sw.Spec(), "redundancy")
			if strAt(red, "type") == "mclag" && strAt(red, "group") != "" {
				fs = append(fs, Finding{Rule: "VA-11", Path: subnetPath,
					Message: fmt.Sprintf("hostBGP subnet %q cannot be attached to MCLAG switch %q", subnetName, swName)})
			}
		}
		profName := strAt(sw.Spec(), "profile")
		prof, f := s.Resolve("SwitchProfile", profName, "VA-10", connPath)
		if f != nil {
			f.Message = fmt.Sprintf("switch %q: %s", swName, f.Message)
			fs = append(fs, *f)
			continue
		}
		features := mapAt(prof.Spec(), "features")
		need := []string{"l3vni"}
		if mode == "" {
			need = []string{"l2vni", "l3vni"}
		}
		for _, feat := range need {
			if !boolAt(features, feat) {
				fs = append(fs, Finding{Rule: "VA-10", Path: connPath,
					Message: fmt.Sprintf("switch %q uses SwitchProfile %q, which lacks feature %s that VPC %q (mode %q) needs", swName, profName, feat, vpcName, mode)})
			}
		}
	}
	return fs
}

// vpcAttachmentSiblings is VA-12: the other attachments of the same
// Connection name other subnets, and at most one of them is native.
func vpcAttachmentSiblings(o *Object, s *Set) []Finding {
	spec := o.Spec()
	var fs []Finding
	sub, native := strAt(spec, "subnet"), boolAt(spec, "nativeVLAN")
	for _, other := range vpcAttachmentsByConnection(s)[strAt(spec, "connection")] {
		if other.Name == o.Name {
			continue
		}
		if strAt(other.Spec(), "subnet") == sub {
			fs = append(fs, Finding{Rule: "VA-12", Path: []string{"spec", "subnet"},
				Message: fmt.Sprintf("VPCAttachment %q already attaches %s to Connection %q", other.Name, sub, strAt(spec, "connection"))})
		}
		if native && boolAt(other.Spec(), "nativeVLAN") {
			fs = append(fs, Finding{Rule: "VA-12", Path: []string{"spec", "nativeVLAN"},
				Message: fmt.Sprintf("VPCAttachment %q already uses the native VLAN of Connection %q; only one attachment per connection may set nativeVLAN", other.Name, strAt(spec, "connection"))})
		}
	}
	return fs
}

func vpcContains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
