package rules

import "testing"

func TestVLR1RangeBounds(t *testing.T) {
	cases := []struct {
		name string
		r    VLANRange
		ok   bool
	}{
		{"single, to omitted", VLANRange{From: 100}, true},
		{"full span", VLANRange{From: 1, To: 4094}, true},
		{"from 0", VLANRange{From: 0, To: 10}, false},
		{"to above 4094", VLANRange{From: 10, To: 4095}, false},
		{"from above 4094", VLANRange{From: 4095}, false},
		{"negative", VLANRange{From: -1, To: 10}, false},
		{"reversed", VLANRange{From: 200, To: 100}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if why := checkVLANRange(tc.r); (why == "") != tc.ok {
				t.Errorf("checkVLANRange(%+v) = %q, want ok=%v", tc.r, why, tc.ok)
			}
		})
	}
	// A missing or 0 to reads as to = from.
	rs := vlanRangesOf([]any{map[string]any{"from": int64(7)}, map[string]any{"from": int64(8), "to": int64(0)}})
	if rs[0].To != 7 || rs[1].To != 8 {
		t.Errorf("vlanRangesOf = %+v, want to = from", rs)
	}
}

// VLR-2: overlap inside one list is merged, not rejected: a VLANNamespace
// with overlapping ranges passes its range rule, and with no fabric config
// nothing else rejects it.
func TestVLR2OverlapInsideListAllowed(t *testing.T) {
	o := vpcTestObject(t, vpcTestVLANNamespace("default", "[{from: 100, to: 300}, {from: 150, to: 200}, {from: 250, to: 400}]"), false)
	if fs := Local(o, nil); len(fs) != 0 {
		t.Errorf("overlapping ranges without config: %+v, want none", fs)
	}
	o = vpcTestObject(t, vpcTestVLANNamespace("default", "[{from: 100, to: 300}, {from: 5000}]"), false)
	if fs := Local(o, nil); len(fs) != 1 || fs[0].Rule != "VLANNS-2" {
		t.Errorf("an invalid range among overlapping ones: %+v, want one VLANNS-2", fs)
	}
}

func TestVLR3OverlapCheck(t *testing.T) {
	cases := []struct {
		name   string
		ranges []VLANRange
		clash  bool
	}{
		{"disjoint", []VLANRange{{From: 100, To: 199}, {From: 200, To: 250}}, false},
		{"touching", []VLANRange{{From: 100, To: 200}, {From: 200, To: 250}}, true},
		{"nested", []VLANRange{{From: 100, To: 400}, {From: 200, To: 250}}, true},
		{"unsorted overlap", []VLANRange{{From: 300, To: 350}, {From: 10, To: 20}, {From: 340}}, true},
		{"single VLANs apart", []VLANRange{{From: 5}, {From: 6}}, false},
		{"same single VLAN", []VLANRange{{From: 5}, {From: 5}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, got := firstVLANOverlap(tc.ranges)
			if got != tc.clash {
				t.Errorf("firstVLANOverlap(%v) = %v, want %v", tc.ranges, got, tc.clash)
			}
			pairwise := false
			for i := range tc.ranges {
				for j := i + 1; j < len(tc.ranges); j++ {
					pairwise = pairwise || vlanRangesOverlap(tc.ranges[i], tc.ranges[j])
				}
			}
			if pairwise != tc.clash {
				t.Errorf("vlanRangesOverlap pairwise = %v, want %v", pairwise, tc.clash)
			}
		})
	}
}
