// Package benchcorpus generates the ingestion benchmark's corpus: the real
// nvidia-air-demo include.yaml (166 Hedgehog documents: Connections,
// VPCAttachments, Switches with annotations, …) repeated as the tenants of
// one big fabric.
//
// Every copy is a valid part of that fabric under every Hedgehog rule, with
// the fabric config of FabricConfigYAML, so that the benchmark measures the
// checks and not rejections:
//   - every name, and every reference to it, gets the copy's suffix;
//   - each copy has its own IPv4Namespace and VLANNamespace (default-cNN),
//     which its VPCs name, so its subnets and VLANs may repeat another
//     copy's;
//   - what must be unique across the fabric is renumbered per copy: switch
//     management IPs, protocol and VTEP IPs, leaf ASNs, and the /31s of the
//     fabric links.
package benchcorpus

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

//go:embed include.yaml
var template []byte

// DocumentsPerCopy is how many documents one copy of the template holds.
const DocumentsPerCopy = 166

// Copies gives the corpus: 61 × 166 = 10,126 documents.
const Copies = 61

// What one copy of the template uses, and so how far the next copy moves.
const (
	leavesPerCopy      = 8   // leaf ASNs and VTEP IPs
	switchesPerCopy    = 10  // protocol IPs
	fabricIPsPerCopy   = 128 // 172.30.128.0-127: the fabric links' /31s
	firstLeafASN       = 65101
	spineASN           = 65100
	vlanNamespaceLabel = "default"
)

var (
	metadataName  = regexp.MustCompile(`^  name: (\S+)$`)
	portRef       = regexp.MustCompile(`^(\s+port: )([^/\s]+)(/\S+)$`)
	connectionRef = regexp.MustCompile(`^(  connection: )(\S+)$`)
	subnetRef     = regexp.MustCompile(`^(  subnet: )([^/\s]+)(/\S+)$`)
	vlanNSRef     = regexp.MustCompile(`^(  vlanNamespace: )(\S+)$`)
	vlanNSItem    = regexp.MustCompile(`^(  - )` + vlanNamespaceLabel + `$`)
	leafASN       = regexp.MustCompile(`^(  asn: )(\d+)$`)
	mgmtIP        = regexp.MustCompile(`^(  ip: 192\.168\.)200(\.\d+/24)$`)
	slash32       = regexp.MustCompile(`^(  (?:protocolIP|vtepIP): )(\S+)/32$`)
	fabricIP      = regexp.MustCompile(`^(\s+ip: )(172\.30\.\d+\.\d+)/31$`)
)

// Files returns copies of the template as raw/copy-NN.yaml.
func Files(copies int) map[string][]byte {
	out := make(map[string][]byte, copies)
	for i := 0; i < copies; i++ {
		out[fmt.Sprintf("raw/copy-%02d.yaml", i)] = renumber(i)
	}
	return out
}

// renumber writes copy c of the template.
func renumber(c int) []byte {
	suffix := fmt.Sprintf("-c%02d", c)
	var buf bytes.Buffer
	buf.Grow(len(template) + len(template)/8)
	for _, line := range bytes.SplitAfter(template, []byte("\n")) {
		text := string(bytes.TrimRight(line, "\n"))
		eol := line[len(text):]
		switch {
		case metadataName.MatchString(text):
			text += suffix
		case portRef.MatchString(text):
			text = portRef.ReplaceAllString(text, "${1}${2}"+suffix+"${3}")
		case connectionRef.MatchString(text):
			text += suffix
		case subnetRef.MatchString(text):
			text = subnetRef.ReplaceAllString(text, "${1}${2}"+suffix+"${3}")
		case vlanNSRef.MatchString(text):
			// The VPC names its copy's namespaces; the template leaves the
			// IPv4Namespace to the default.
			text = vlanNSRef.ReplaceAllString(text, "${1}${2}"+suffix) + "\n  ipv4Namespace: " + vlanNamespaceLabel + suffix
		case vlanNSItem.MatchString(text):
			text += suffix
		case leafASN.MatchString(text):
			if asn, _ := strconv.Atoi(leafASN.FindStringSubmatch(text)[2]); asn != spineASN {
				text = fmt.Sprintf("  asn: %d", asn+c*leavesPerCopy)
			}
		case mgmtIP.MatchString(text):
			text = mgmtIP.ReplaceAllString(text, "${1}"+strconv.Itoa(c)+"${2}")
		case slash32.MatchString(text):
			m := slash32.FindStringSubmatch(text)
			step := switchesPerCopy
			if m[1] == "  vtepIP: " {
				step = leavesPerCopy
			}
			text = m[1] + shift(m[2], c*step) + "/32"
		case fabricIP.MatchString(text):
			m := fabricIP.FindStringSubmatch(text)
			text = m[1] + shift(m[2], c*fabricIPsPerCopy) + "/31"
		}
		buf.WriteString(text)
		buf.Write(eol)
	}
	return buf.Bytes()
}

// shift adds n to an IPv4 address.
func shift(addr string, n int) string {
	a := netip.MustParseAddr(addr).As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// FabricConfigYAML is the .hnp/fabric.yaml under which every copy is
// valid: Hedgehog's installer defaults, with the leaf ASN range and the
// management subnet widened to hold the copies' switches.
func FabricConfigYAML(copies int) []byte {
	return []byte(fmt.Sprintf(`fabricMode: spine-leaf
fabricMTU: 9100
serverFacingMTUOffset: 64
fabricSubnet: 172.30.128.0/17
reservedSubnets: [172.30.0.0/16, 192.168.0.0/16]
vpcIRBVLANRange: [{from: 3000, to: 3899}]
th5WorkaroundVLANRange: [{from: 3900, to: 3999}]
spineASN: %d
leafASNStart: %d
leafASNEnd: %d
protocolSubnet: 172.30.8.0/22
vtepSubnet: 172.30.12.0/22
managementSubnet: 192.168.0.0/16
managementDHCPStart: 192.168.250.0
controlVIP: 192.168.255.1/32
`, spineASN, firstLeafASN, firstLeafASN+max(copies, 1)*leavesPerCopy-1))
}

// Write writes the corpus into dir/raw, and its fabric config into
// dir/.hnp/fabric.yaml.
func Write(dir string, copies int) error {
	files := Files(copies)
	files[".hnp/fabric.yaml"] = FabricConfigYAML(copies)
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
