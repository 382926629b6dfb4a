package rules

import (
	"os"
	"regexp"
	"testing"
)

// TestRuleCoverage: every rule id of docs/hedgehog-rules.md has at least one
// passing and one failing case in the tables of this package. The page is
// read, not copied, so a rule added there without a test fails here.
func TestRuleCoverage(t *testing.T) {
	page, err := os.ReadFile("../../docs/hedgehog-rules.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`\*\*([A-Z]+-[0-9]+)\*\*`).FindAllStringSubmatch(string(page), -1)
	if len(ids) < 150 {
		t.Fatalf("found %d rule ids in the page, want its 150 and more", len(ids))
	}
	pass, fail := map[string]bool{}, map[string]bool{}
	for _, cases := range [][]vpcRuleCase{ipv4NamespaceCases(), vlanNamespaceCases(), vpcLocalCases(), vpcCrossCases(),
		vpcAttachmentCases(), vpcPeeringCases()} {
		for _, c := range cases {
			if c.fail {
				fail[c.rule] = true
			} else {
				pass[c.rule] = true
			}
		}
	}
	for _, cases := range [][]wiringCase{externalCases, externalAttachmentCases, aclCases, externalPeeringCases,
		connectionCases, switchCases, switchProfileCases, switchGroupServerCases} {
		for _, c := range cases {
			if c.fails {
				fail[c.rule] = true
			} else {
				pass[c.rule] = true
			}
		}
	}
	for _, c := range wiringWebhookCases {
		if c.fails {
			fail[c.rule] = true
		} else {
			pass[c.rule] = true
		}
	}
	// Rules checked under another id or by a test of their own.
	covered := map[string]string{
		"META-1": "reported as each kind's -1 rule (VPC-1, CONN-1, …)",
		"META-2": "reported as each kind's -1 rule, as a warning",
		"VLR-1":  "TestVLR1RangeBounds",
		"VLR-2":  "TestVLR2OverlapInsideListAllowed",
		"VLR-3":  "TestVLR3OverlapCheck",
		"EA-6":   "broken through ACL-1..ACL-8, which report their own ids",
	}
	for _, m := range ids {
		id := m[1]
		if _, ok := covered[id]; ok {
			continue
		}
		if !pass[id] || !fail[id] {
			t.Errorf("%s: passing case %v, failing case %v", id, pass[id], fail[id])
		}
	}
}
