package rules

import "testing"

// aclBase is an ExternalAttachment with a valid inbound ACL; the cases
// replace its statement list.
const aclBase = externalAttachmentBase + `
  inboundACL:
    statements:
    - {seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: 10.0.0.0/8, portRangeBegin: 443, portRangeEnd: 443, tcpFilters: {syn: true, notAck: true}}
    - {seq: 20, action: deny, protocol: icmp, srcPrefix: 2001:db8::/32, dstPrefix: any, icmpType: 0, icmpCode: 0}
`

func aclPatch(stmts string) string { return "spec: {inboundACL: {statements: [" + stmts + "]}}" }

var aclCases = []wiringCase{
	{name: "seq 10", rule: "ACL-1"},
	{name: "seq 9 is reserved", rule: "ACL-1", fails: true, patch: aclPatch(`{seq: 9, action: permit, protocol: ip, srcPrefix: any, dstPrefix: any}`)},
	{name: "distinct seq", rule: "ACL-2"},
	{name: "repeated seq", rule: "ACL-2", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: ip, srcPrefix: any, dstPrefix: any}, {seq: 10, action: deny, protocol: ip, srcPrefix: any, dstPrefix: any}`)},
	{name: "transit action", rule: "ACL-3", patch: aclPatch(`{seq: 10, action: transit, protocol: ip, srcPrefix: any, dstPrefix: any}`)},
	{name: "unknown action", rule: "ACL-3", fails: true, patch: aclPatch(`{seq: 10, action: allow, protocol: ip, srcPrefix: any, dstPrefix: any}`)},
	{name: "udp protocol", rule: "ACL-4", patch: aclPatch(`{seq: 10, action: permit, protocol: udp, srcPrefix: any, dstPrefix: any}`)},
	{name: "unknown protocol", rule: "ACL-4", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: sctp, srcPrefix: any, dstPrefix: any}`)},
	{name: "IPv6 prefix", rule: "ACL-5"},
	{name: "bare address is no prefix", rule: "ACL-5", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: ip, srcPrefix: 10.0.0.1, dstPrefix: any}`)},
	{name: "missing dstPrefix", rule: "ACL-5", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: ip, srcPrefix: any}`)},
	{name: "established alone", rule: "ACL-6", patch: aclPatch(`{seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: any, tcpFilters: {established: true}}`)},
	{name: "tcpFilters on udp", rule: "ACL-6", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: udp, srcPrefix: any, dstPrefix: any, tcpFilters: {syn: true}}`)},
	{name: "established with syn", rule: "ACL-6", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: any, tcpFilters: {established: true, syn: true}}`)},
	{name: "fin with notFin", rule: "ACL-6", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: any, tcpFilters: {fin: true, notFin: true}}`)},
	{name: "icmp type 0 on icmp", rule: "ACL-7"},
	{name: "icmpType on tcp", rule: "ACL-7", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: tcp, srcPrefix: any, dstPrefix: any, icmpType: 8}`)},
	{name: "single port", rule: "ACL-8"},
	{name: "port range on icmp", rule: "ACL-8", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: icmp, srcPrefix: any, dstPrefix: any, portRangeBegin: 1, portRangeEnd: 2}`)},
	{name: "begin after end", rule: "ACL-8", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: udp, srcPrefix: any, dstPrefix: any, portRangeBegin: 53, portRangeEnd: 0}`)},
	{name: "begin 0 with end", rule: "ACL-8", fails: true, patch: aclPatch(`{seq: 10, action: permit, protocol: udp, srcPrefix: any, dstPrefix: any, portRangeEnd: 53}`)},
}

func TestACLRules(t *testing.T) { wiringRun(t, aclBase, wiringFixtures, aclCases) }
