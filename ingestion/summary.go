package ingestion

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"

	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// A lean parser (ValidateFiles) drops each document once it is checked. Of
// a resource it keeps what the plan's checks across documents need:
//   - a fingerprint of its normalized content, for telling two definitions
//     of one resource apart (rejectConflicts), taken from its text again
//     when another document defines the same resource;
//   - its spec as Hedgehog's defaults leave it, for the cross-resource
//     rules (rules.Object.CrossView), encoded as bytes until they run:
//     a decoded document is many small maps, several times the size of its
//     encoding, and holding all of them at once is what made validate's
//     memory grow with its input.

// The tags of the value encoding. Each Go type a decoded or defaulted
// document holds has its own, so that decoding gives back the same types.
const (
	tagNil    = 'z'
	tagTrue   = 't'
	tagFalse  = 'f'
	tagString = 's'
	tagNumber = 'n' // json.Number
	tagInt    = 'i'
	tagInt64  = 'I'
	tagFloat  = 'F'
	tagMap    = 'm'
	tagList   = 'l'
)

// appendValue appends an encoding of v: type-tagged, length-prefixed, map
// keys sorted, so that two values have equal encodings exactly when they
// are equal. ok is false for a type that documents never hold.
func appendValue(b []byte, v any) (_ []byte, ok bool) {
	str := func(b []byte, tag byte, s string) []byte {
		b = append(b, tag)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	switch x := v.(type) {
	case nil:
		return append(b, tagNil), true
	case bool:
		if x {
			return append(b, tagTrue), true
		}
		return append(b, tagFalse), true
	case string:
		return str(b, tagString, x), true
	case json.Number:
		return str(b, tagNumber, string(x)), true
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(x)), true
	case int64:
		return binary.AppendVarint(append(b, tagInt64), x), true
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(keys)))
		for _, k := range keys {
			b = str(b, tagString, k)
			if b, ok = appendValue(b, x[k]); !ok {
				return b, false
			}
		}
		return b, true
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(x)))
		for _, e := range x {
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

var errBadEncoding = errors.New("ingestion: bad value encoding")

// decodeValue reads one value that appendValue wrote, and returns the rest.
func decodeValue(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errBadEncoding
	}
	tag, b := b[0], b[1:]
	str := func(b []byte) (string, []byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", nil, errBadEncoding
		}
		return string(b[k : k+int(n)]), b[k+int(n):], nil
	}
	switch tag {
	case tagNil:
		return nil, b, nil
	case tagTrue:
		return true, b, nil
	case tagFalse:
		return false, b, nil
	case tagString:
		return str(b)
	case tagNumber:
		s, rest, err := str(b)
		return json.Number(s), rest, err
	case tagInt, tagInt64:
		n, k := binary.Varint(b)
		if k <= 0 {
			return nil, nil, errBadEncoding
		}
		if tag == tagInt {
			return int(n), b[k:], nil
		}
		return n, b[k:], nil
	case tagFloat:
		if len(b) < 8 {
			return nil, nil, errBadEncoding
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], nil
	case tagMap:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return nil, nil, errBadEncoding
		}
		b = b[k:]
		m := make(map[string]any, n)
		for range n {
			if len(b) == 0 || b[0] != tagString {
				return nil, nil, errBadEncoding
			}
			key, rest, err := str(b[1:])
			if err != nil {
				return nil, nil, err
			}
			if m[key], b, err = decodeValue(rest); err != nil {
				return nil, nil, err
			}
		}
		return m, b, nil
	case tagList:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return nil, nil, errBadEncoding
		}
		b = b[k:]
		l := make([]any, n)
		for i := range l {
			var err error
			if l[i], b, err = decodeValue(b); err != nil {
				return nil, nil, err
			}
		}
		return l, b, nil
	}
	return nil, nil, errBadEncoding
}

// fingerprint is what tells two definitions of r apart: its normalized
// YAML from a full parser; from a lean one, a SHA-256 of its normalized
// document encoded. A lean parser takes it only when asked, by decoding
// the document's text again: only a resource that several documents
// define is compared, and the benchmark corpus, like most FGDs, has none,
// so validate spends nothing on it. Decoding the same text gives the same
// document, which was valid a moment before: failing is a bug, not input.
func (r *resource) fingerprint() []byte {
	if r.content != nil {
		return r.content
	}
	v, err := decodeYAML(r.src)
	m, ok := v.(map[string]any)
	for i := 0; err == nil && ok && i+1 < len(r.prefix); i += 2 { // a List item: items, n
		var n int
		items, isList := m[r.prefix[i]].([]any)
		n, err = strconv.Atoi(r.prefix[i+1])
		if ok = isList && err == nil && n >= 0 && n < len(items); ok {
			m, ok = items[n].(map[string]any)
		}
	}
	if err != nil || !ok {
		panic(fmt.Sprintf("ingestion: %s does not decode again: %v", r.identity(), errors.Join(err, errBadEncoding)))
	}
	normalize(m, r.namespace)
	if enc, ok := appendValue(nil, m); ok {
		sum := sha256.Sum256(enc)
		r.content = sum[:]
	} else if r.content, ok = marshalFingerprint(m); !ok {
		panic(fmt.Sprintf("ingestion: %s has no fingerprint", r.identity()))
	}
	return r.content
}

// marshalFingerprint is the fingerprint of a value appendValue cannot
// encode: the SHA-256 of its YAML, as the full parser writes it.
func marshalFingerprint(m map[string]any) ([]byte, bool) {
	content, err := yamlv2.Marshal(m)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256(content)
	return sum[:], true
}

// keepCrossView keeps, of r's rules object that a lean parser has
// checked, what the cross-resource rules read (rules.Object.CrossView):
// its kind, name and namespace, and its spec encoded in r.crossSpec until
// materialize decodes it. buf is scratch space.
func (r *resource) keepCrossView(buf *[]byte) {
	view := r.rules.CrossView()
	enc, ok := appendValue((*buf)[:0], view.Spec())
	*buf = enc
	if !ok {
		r.rules = view // a type documents never hold: kept decoded
		return
	}
	r.crossSpec = bytes.Clone(enc)
	view.Obj = nil
	r.rules = view
}

// materialize decodes the spec that keepCrossView encoded, for the
// cross-resource rules. Spec() reads an absent spec as an empty one, so
// the rules see what they would have seen. The encoding was written by
// this process a moment before: failing to read it is a bug, not input.
func (r *resource) materialize() {
	if r.crossSpec == nil {
		return
	}
	v, rest, err := decodeValue(r.crossSpec)
	spec, isMap := v.(map[string]any)
	if err != nil || len(rest) > 0 || !isMap {
		panic(fmt.Sprintf("ingestion: the cross view of %s does not decode: %v", r.identity(), errors.Join(err, errBadEncoding)))
	}
	r.rules = rules.SpecObject(r.rules.Kind, r.rules.Name, r.rules.Namespace, spec)
	r.crossSpec = nil
}
