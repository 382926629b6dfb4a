package ingestion

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// apiServerFormats are the formats the CRDs use, checked as the API
// server's validator (k8s.io/kube-openapi) checks them: an integer of
// format int32 or int64 must fit in that many bits, and a date-time is what
// kube-openapi's strfmt accepts. The JSON Schema library's own date-time
// is stricter (RFC 3339 only), so it is replaced; formats the CRDs do not
// use are left to the library, which ignores unknown ones, as the API
// server does.
func apiServerFormats() []*jsonschema.Format {
	return []*jsonschema.Format{
		{Name: "int32", Validate: integerFits(math.MinInt32, math.MaxInt32)},
		{Name: "int64", Validate: integerFits(math.MinInt64, math.MaxInt64)},
		{Name: "date-time", Validate: kubeDateTime},
	}
}

// integerFits rejects a number outside [lo, hi]. Other types pass: the
// schema's type keyword reports them.
func integerFits(lo, hi int64) func(any) error {
	low, high := big.NewRat(lo, 1), big.NewRat(hi, 1)
	return func(v any) error {
		var r *big.Rat
		switch n := v.(type) {
		case json.Number:
			var ok bool
			if r, ok = new(big.Rat).SetString(string(n)); !ok {
				return nil
			}
		case float64:
			if math.IsInf(n, 0) || math.IsNaN(n) {
				return errors.New("not a finite number")
			}
			r = new(big.Rat).SetFloat64(n)
		case int64:
			r = big.NewRat(n, 1)
		case int:
			r = big.NewRat(int64(n), 1)
		default:
			return nil
		}
		if r.Cmp(low) < 0 || r.Cmp(high) > 0 {
			return fmt.Errorf("out of range %d..%d", lo, hi)
		}
		return nil
	}
}

// kubeTimeOfDay is the time part kube-openapi accepts after the date and
// the T: hh:mm:ss, optional fraction, then Z or an offset.
var kubeTimeOfDay = regexp.MustCompile(`^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$`)

// kubeDateTime is kube-openapi's date-time rule: a full date, a T (either
// case), and a time of day whose hour, minute and second are in range.
func kubeDateTime(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	bad := errors.New("not a date-time such as 2026-01-02T03:04:05Z")
	parts := strings.Split(strings.ToLower(s), "t")
	if len(s) < 4 || len(parts) < 2 {
		return bad
	}
	if _, err := time.Parse("2006-01-02", parts[0]); err != nil {
		return bad
	}
	m := kubeTimeOfDay.FindStringSubmatch(parts[1])
	if m == nil || m[1] > "23" || m[2] > "59" || m[3] > "59" {
		return bad
	}
	return nil
}

// objectMetaSchema is metadata as the API server knows it (ObjectMeta),
// closed: an unknown field is rejected, as kubectl's strict field
// validation rejects it. The fields the server sets are allowed here; they
// are stripped before validation anyway.
func objectMetaSchema() map[string]any {
	str := map[string]any{"type": "string"}
	stringMap := map[string]any{"type": "object", "additionalProperties": str}
	anything := map[string]any{}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name": str, "generateName": str, "namespace": str,
			"labels": stringMap, "annotations": stringMap,
			"finalizers": map[string]any{"type": "array", "items": str},
			"ownerReferences": map[string]any{"type": "array", "items": map[string]any{
				"type":     "object",
				"required": []any{"apiVersion", "kind", "name", "uid"},
				"properties": map[string]any{
					"apiVersion": str, "kind": str, "name": str, "uid": str,
					"controller": map[string]any{"type": "boolean"}, "blockOwnerDeletion": map[string]any{"type": "boolean"},
				},
				"additionalProperties": false,
			}},
			"uid": anything, "resourceVersion": anything, "generation": anything, "creationTimestamp": anything, "managedFields": anything,
			"selfLink": anything, "deletionTimestamp": anything, "deletionGracePeriodSeconds": anything,
		},
		"additionalProperties": false,
	}
}
