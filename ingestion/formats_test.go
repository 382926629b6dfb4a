package ingestion

import (
	"encoding/json"
	"testing"
)

// TestAPIServerFormats: the formats of the CRDs, with the API server's
// rules.
func TestAPIServerFormats(t *testing.T) {
	formats := map[string]func(any) error{}
	for _, f := range apiServerFormats() {
		formats[f.Name] = f.Validate
	}
	tests := []struct {
		format string
		value  any
		ok     bool
	}{
		{"int32", json.Number("2147483647"), true},
		{"int32", json.Number("-2147483648"), true},
		{"int32", json.Number("2147483648"), false},
		{"int32", json.Number("-2147483649"), false},
		{"int32", json.Number("1e10"), false},
		{"int32", int64(65100), true},
		{"int32", "not a number", true}, // the type keyword reports it
		{"int64", json.Number("9223372036854775807"), true},
		{"int64", json.Number("9223372036854775808"), false},
		{"int64", float64(1e19), false},
		{"date-time", "2026-01-02T03:04:05Z", true},
		{"date-time", "2026-01-02t03:04:05.123+01:00", true},
		{"date-time", "2026-01-02T24:00:00Z", false},
		{"date-time", "2026-01-02T03:04:05", false}, // kube-openapi wants a zone
		{"date-time", "2026-13-02T03:04:05Z", false},
		{"date-time", "yesterday", false},
		{"date-time", int64(3), true},
	}
	for _, tc := range tests {
		err := formats[tc.format](tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s %v: error %v, want ok=%v", tc.format, tc.value, err, tc.ok)
		}
	}
}
