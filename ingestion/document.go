package ingestion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	yamlv2 "go.yaml.in/yaml/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// docClass is where a document goes.
type docClass int

const (
	docEmpty    docClass = iota // empty or only comments: counts as nothing
	docHedgehog                 // one or more Hedgehog resources (more for a List)
	docForeign                  // parses as YAML but is not a Hedgehog resource
	docInvalid                  // rejects its whole file
)

// document is one parsed chunk of a file.
type document struct {
	class     docClass
	line      int
	raw       []byte
	resources []*resource
	issues    []Issue // errors when docInvalid
	warnings  []Issue
}

// resource is one validated, normalized Hedgehog resource.
type resource struct {
	crd        *CRD
	apiVersion string
	namespace  string
	name       string
	object     map[string]any // nil from a lean parser
	content    []byte         // normalized YAML; from a lean parser, nil until fingerprint takes its SHA-256 (only compared)
	path       string         // canonical managed path
	file       string         // the file it came from
	line       int
	id         string // identity()

	rules *rules.Object // the defaulted copy that Hedgehog's rules and the schema see
	// crossSpec is, from a lean parser, the defaulted spec encoded
	// (appendValue) until materialize decodes it for the rules.
	crossSpec []byte
	warnings  []Issue  // from the local rules
	src       []byte   // the document's text, for the line of a later finding
	srcLine   int      // the line of src in its file
	prefix    []string // the resource's place inside the document (a List item)
}

// identity is kind/namespace/name, built once: the plan's checks look
// every resource up by it several times.
func (r *resource) identity() string { return r.id }

// parser turns chunks into documents. It is used by one goroutine at a time.
type parser struct {
	bundle    *Bundle
	namespace string
	cfg       *rules.FabricConfig // nil: the [cfg] rules are skipped
	printer   *message.Printer
	// lean keeps of each resource only what the plan's checks need (see
	// Options.lean and summary.go), for a plan that is never applied.
	lean bool
	buf  []byte // the cross view's scratch encoding, reused
}

func newParser(b *Bundle, namespace string, cfg *rules.FabricConfig, lean bool) *parser {
	return &parser{bundle: b, namespace: namespace, cfg: cfg, printer: message.NewPrinter(language.English), lean: lean}
}

var (
	yamlErrLine = regexp.MustCompile(`line (\d+)`)
)

// serverFields are the metadata fields that the API server sets; they never
// belong in a desired-state file.
var serverFields = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
	"deletionTimestamp", "deletionGracePeriodSeconds"}

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// parse parses one chunk of file.
func (p *parser) parse(file string, c chunk) *document {
	d := &document{line: c.line, raw: c.bytes}
	obj, err := decodeYAML(c.bytes)
	if err != nil {
		d.class = docInvalid
		d.issues = []Issue{{Code: fgderr.InvalidYAML, File: file, Line: c.line + yamlErrorLine(err) - 1, Message: cleanYAMLError(err)}}
		return d
	}
	if obj == nil {
		d.class = docEmpty
		return d
	}
	m, ok := obj.(map[string]any)
	if !ok {
		d.class = docInvalid
		d.issues = []Issue{{Code: fgderr.SchemaValidation, File: file, Line: c.line + firstContentLine(c.bytes) - 1,
			Message: "a document must be a Kubernetes object: a map with apiVersion, kind and metadata"}}
		return d
	}
	if issue := p.checkType(file, c, m, nil); issue != nil {
		d.class, d.issues = docInvalid, []Issue{*issue}
		return d
	}
	group, version, kind := typeOf(m)
	if !p.bundle.HasGroup(group) {
		if group == "" && version == "v1" && kind == "List" {
			return p.parseList(d, file, c, m)
		}
		if crd, ok := p.bundle.KindNamed(kind); ok && !strings.HasSuffix(group, "k8s.io") {
			d.warnings = append(d.warnings, Issue{Code: fgderr.UnsupportedResource, File: file, Line: c.line + lineOf(c.bytes, []string{"apiVersion"}) - 1, Path: "apiVersion",
				Message: fmt.Sprintf("%s has the name of a Hedgehog kind, but group %q is not Hedgehog's: the document is kept in unmanaged/; for Hedgehog, write apiVersion: %s",
					kind, group, crd.APIVersions()[0])})
		}
		d.class = docForeign
		return d
	}
	if _, isList := p.bundle.listKind(group, kind); isList {
		return p.parseList(d, file, c, m)
	}
	r, issues := p.resource(file, c, m, nil)
	if len(issues) > 0 {
		d.class, d.issues = docInvalid, issues
		return d
	}
	d.class, d.resources = docHedgehog, []*resource{r}
	d.warnings = append(d.warnings, r.warnings...)
	return d
}

// parseList expands a List (kind List, or a Hedgehog <Kind>List) whose
// items are all Hedgehog resources. A List with any other item is not a
// Hedgehog document and is kept whole in unmanaged/.
func (p *parser) parseList(d *document, file string, c chunk, m map[string]any) *document {
	items, ok := m["items"].([]any)
	if ok && len(items) == 0 {
		d.class = docForeign // nothing to expand: keep its text
		return d
	}
	if !ok {
		d.class = docInvalid
		d.issues = []Issue{{Code: fgderr.SchemaValidation, File: file, Line: c.line, Path: "items", Message: "a List must have an items array"}}
		return d
	}
	for i, it := range items {
		im, ok := it.(map[string]any)
		if !ok {
			d.class = docForeign
			return d
		}
		if issue := p.checkType(file, c, im, []string{"items", strconv.Itoa(i)}); issue != nil {
			d.class, d.issues = docInvalid, []Issue{*issue}
			return d
		}
		if g, _, _ := typeOf(im); !p.bundle.HasGroup(g) {
			d.class = docForeign
			return d
		}
	}
	itemLines := listItemLines(c.bytes, len(items))
	for i, it := range items {
		r, issues := p.resource(file, c, it.(map[string]any), []string{"items", strconv.Itoa(i)})
		if r != nil && itemLines[i] > 0 {
			r.line = c.line + itemLines[i] - 1
		}
		d.issues = append(d.issues, issues...)
		if r != nil {
			d.resources = append(d.resources, r)
			d.warnings = append(d.warnings, r.warnings...)
		}
	}
	if len(d.issues) > 0 {
		d.class, d.resources = docInvalid, nil
		return d
	}
	d.class = docHedgehog
	return d
}

// decodeYAML reads one document as kubectl does (sigs.k8s.io/yaml: YAML
// 1.1 through yaml.v2, strictly, then JSON), into the values encoding/json
// gives with UseNumber. It converts in one pass what sigs.k8s.io/yaml's
// YAMLToJSONStrict followed by a JSON decode would give, without writing and
// reading the JSON text: TestDecodeYAMLLikeKubectl holds the two equal.
//
// A document that is a map, the usual case, is first decoded as a
// yaml.MapSlice, which yaml.v2 builds without a map per mapping and without
// reflection on maps; a third of the decoding's time went there. That path
// checks nothing yaml.v2's strict mode checks, so anything it could
// decode differently falls back to the exact path: a merge key, a key
// given twice, a key that is a map or a list, and any error. A merge key
// is a plain << or a scalar tagged merge (!!merge, a verbatim tag, or one
// spelled with %-escapes or through a %TAG directive): a document with
// "<<", "merge" or "%" anywhere takes the exact path.
func decodeYAML(data []byte) (any, error) {
	if !bytes.Contains(data, []byte("<<")) && !bytes.Contains(data, []byte("merge")) && bytes.IndexByte(data, '%') < 0 {
		var ms yamlv2.MapSlice
		if err := yamlv2.UnmarshalStrict(data, &ms); err == nil && ms != nil {
			if v, ok := jsonMapSlice(ms); ok {
				return v, nil
			}
		}
	}
	var v any
	if err := yamlv2.UnmarshalStrict(data, &v); err != nil {
		return nil, err
	}
	return jsonValue(v)
}

// jsonMapSlice is jsonValue of the map ms would be, or false where
// decoding into a map could differ: a key given twice (strict mode's
// error), a key that is a map or a list (yaml.v2's invalid map key), or a
// value jsonValue refuses.
func jsonMapSlice(ms yamlv2.MapSlice) (map[string]any, bool) {
	out := make(map[string]any, len(ms))
	for i, it := range ms {
		switch it.Key.(type) {
		case yamlv2.MapSlice, []any, map[any]any:
			return nil, false
		}
		for _, prev := range ms[:i] {
			if prev.Key == it.Key { // keys as yaml.v2's map compares them
				return nil, false
			}
		}
		key, err := jsonKey(it.Key)
		if err != nil {
			return nil, false
		}
		v, ok := jsonSliceValue(it.Value)
		if !ok {
			return nil, false
		}
		out[key] = v
	}
	return out, true
}

// jsonSliceValue is jsonValue for what decoding into a yaml.MapSlice
// gives: maps as MapSlices.
func jsonSliceValue(v any) (any, bool) {
	switch x := v.(type) {
	case yamlv2.MapSlice:
		return jsonMapSlice(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if out[i], ok = jsonSliceValue(e); !ok {
				return nil, false
			}
		}
		return out, true
	case map[any]any:
		return nil, false // not from a MapSlice decoding
	}
	out, err := jsonValue(v)
	return out, err == nil
}

// jsonValue turns a yaml.v2 value into its JSON form: string keys (as
// sigs.k8s.io/yaml writes them), json.Number for numbers.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			if out[key], err = jsonValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = jsonValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), nil
	default:
		// Floats and anything rarer: as encoding/json writes them.
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var out any
		err = dec.Decode(&out)
		return out, err
	}
}

// jsonKey is sigs.k8s.io/yaml's conversion of a YAML map key to a string.
func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		switch s := strconv.FormatFloat(x, 'g', -1, 32); s {
		case "+Inf":
			return ".inf", nil
		case "-Inf":
			return "-.inf", nil
		case "NaN":
			return ".nan", nil
		default:
			return s, nil
		}
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("unsupported map key of type: %T, key: %+#v", k, k)
}

// checkType rejects a document whose apiVersion or kind is missing, and one
// that is evidently meant for Hedgehog but names a group or version the
// bundle does not serve: such a document must not pass silently into
// unmanaged/. The error names the apiVersion it most likely meant.
func (p *parser) checkType(file string, c chunk, m map[string]any, prefix []string) *Issue {
	fail := func(code fgderr.Code, field, format string, args ...any) *Issue {
		full := append(append([]string(nil), prefix...), field)
		return &Issue{Code: code, File: file, Line: c.line + lineOf(c.bytes, full) - 1, Path: fieldPath(full), Message: fmt.Sprintf(format, args...)}
	}
	kind, _ := m["kind"].(string)
	if v, present := m["apiVersion"]; present && v != nil {
		if _, ok := v.(string); !ok {
			return fail(fgderr.SchemaValidation, "apiVersion", "apiVersion must be a string such as vpc.githedgehog.com/v1beta1")
		}
	}
	if av, _ := m["apiVersion"].(string); av == "" {
		if crd, ok := p.bundle.KindNamed(kind); ok {
			return fail(fgderr.SchemaValidation, "apiVersion", "apiVersion is missing; did you mean apiVersion: %s?", crd.APIVersions()[0])
		}
		return fail(fgderr.SchemaValidation, "apiVersion", "apiVersion is missing: every document must be a Kubernetes object with apiVersion and kind")
	}
	group, version, _ := typeOf(m)
	if kind == "" {
		if p.bundle.HasGroup(group) {
			return fail(fgderr.SchemaValidation, "kind", "kind is missing; group %s has kinds %s", group, p.bundle.kindsOfGroup(group))
		}
		return fail(fgderr.SchemaValidation, "kind", "kind is missing: every document must be a Kubernetes object with apiVersion and kind")
	}
	crd, hedgehogKind := p.bundle.KindNamed(kind)
	switch {
	case p.bundle.HasGroup(group):
		if _, ok := p.bundle.Lookup(group, kind); ok {
			return nil // the version is checked with the schema
		}
		if _, isList := p.bundle.listKind(group, kind); isList || !hedgehogKind {
			return nil // a list, or an unknown kind: FGD_1002 from resource
		}
		return fail(fgderr.VersionMismatch, "apiVersion", "%s is a kind of group %s, not %s; did you mean apiVersion: %s?",
			kind, crd.Group, group, crd.APIVersions()[0])
	case hedgehogKind && (group == "" || p.looksHedgehog(group)):
		return fail(fgderr.VersionMismatch, "apiVersion", "apiVersion %q is not served for %s; did you mean apiVersion: %s?",
			m["apiVersion"], kind, crd.APIVersions()[0])
	case p.looksHedgehog(group):
		closest := p.closestGroup(group)
		return fail(fgderr.VersionMismatch, "apiVersion", "group %q is not a Hedgehog API group (they are %s); did you mean %s/%s?",
			group, strings.Join(p.bundle.Groups(), ", "), closest, version)
	}
	return nil
}

// looksHedgehog reports whether a group the bundle does not know was
// evidently meant as a Hedgehog group: it ends in githedgehog.com, names
// hedgehog, or is a few typos away from one of the bundle's groups.
func (p *parser) looksHedgehog(group string) bool {
	g := strings.ToLower(group)
	if strings.HasSuffix(g, "githedgehog.com") || strings.Contains(g, "hedgehog") {
		return true
	}
	return editDistance(g, p.closestGroup(g)) <= 3
}

// closestGroup is the bundle's group nearest to group by edit distance.
func (p *parser) closestGroup(group string) string {
	best, bestD := "", -1
	for _, g := range p.bundle.Groups() {
		if d := editDistance(strings.ToLower(group), g); bestD < 0 || d < bestD {
			best, bestD = g, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func typeOf(m map[string]any) (group, version, kind string) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ = m["kind"].(string)
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		return "", apiVersion, kind
	}
	return group, version, kind
}

// resource validates and normalizes one object of a Hedgehog group. prefix
// is its location inside the document (for a List item).
func (p *parser) resource(file string, c chunk, m map[string]any, prefix []string) (*resource, []Issue) {
	group, version, kindName := typeOf(m)
	at := func(path []string) (int, string) {
		full := append(append([]string(nil), prefix...), path...)
		return c.line + lineOf(c.bytes, full) - 1, fieldPath(full)
	}
	fail := func(code fgderr.Code, path []string, format string, args ...any) (*resource, []Issue) {
		line, fp := at(path)
		return nil, []Issue{{Code: code, File: file, Line: line, Path: fp, Message: fmt.Sprintf(format, args...)}}
	}
	crd, ok := p.bundle.Lookup(group, kindName)
	if !ok {
		if kindName == "" {
			return fail(fgderr.UnsupportedResource, []string{"kind"}, "kind is missing; group %s has kinds %s", group, p.bundle.kindsOfGroup(group))
		}
		return fail(fgderr.UnsupportedResource, []string{"kind"}, "kind %q is not a kind of group %s (known: %s)", kindName, group, p.bundle.kindsOfGroup(group))
	}
	schema, ok := crd.Versions[version]
	if !ok {
		return fail(fgderr.VersionMismatch, []string{"apiVersion"}, "%s is not served as %q; did you mean apiVersion: %s?",
			kindName, m["apiVersion"], strings.Join(crd.APIVersions(), " or "))
	}
	meta, ok := m["metadata"].(map[string]any)
	if !ok {
		return fail(fgderr.SchemaValidation, []string{"metadata"}, "metadata must be an object with a name")
	}
	name, _ := meta["name"].(string)
	switch {
	case name == "":
		return fail(fgderr.SchemaValidation, []string{"metadata", "name"}, "metadata.name is required")
	case strings.Contains(name, "/") || strings.Contains(name, "..") || strings.Contains(name, `\`):
		return fail(fgderr.PathEscape, []string{"metadata", "name"}, "metadata.name %q would place the file outside its folder; use a DNS-1123 name such as %q", name, "my-vpc")
	case len(name) > 253 || !rules.IsDNS1123Subdomain(name):
		return fail(fgderr.SchemaValidation, []string{"metadata", "name"}, "metadata.name %q is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)", name)
	}
	namespace := p.namespace
	if v, present := meta["namespace"]; present && v != nil && v != "" {
		ns, _ := v.(string)
		if strings.Contains(ns, "/") || strings.Contains(ns, "..") {
			return fail(fgderr.PathEscape, []string{"metadata", "namespace"}, "metadata.namespace %q would place the file outside its folder", ns)
		}
		if len(ns) > 63 || !rules.IsDNS1123Label(ns) {
			return fail(fgderr.SchemaValidation, []string{"metadata", "namespace"}, "metadata.namespace %v is not a DNS-1123 label", v)
		}
		namespace = ns
	}
	for _, field := range []string{"labels", "annotations"} {
		v, present := meta[field]
		if !present || v == nil {
			continue
		}
		mm, ok := v.(map[string]any)
		if !ok {
			return fail(fgderr.SchemaValidation, []string{"metadata", field}, "metadata.%s must be a map of strings", field)
		}
		for k, val := range mm {
			if _, ok := val.(string); !ok {
				return fail(fgderr.SchemaValidation, []string{"metadata", field, k}, "metadata.%s[%q] must be a string (quote it)", field, k)
			}
		}
	}

	normalize(m, namespace)
	r := &resource{crd: crd, apiVersion: m["apiVersion"].(string), namespace: namespace, name: name, object: m,
		id:   crd.Kind + "/" + namespace + "/" + name,
		path: crd.ManagedPath(p.namespace, namespace, name), file: file,
		line: c.line + firstContentLine(c.bytes) - 1, // a List item's line is set by parseList
		src:  c.bytes, srcLine: c.line, prefix: prefix,
		rules: &rules.Object{Kind: kindName, Name: name, Namespace: namespace}}
	if p.lean {
		if issues := p.leanSchema(r, file, schema, at); len(issues) > 0 {
			return nil, issues
		}
	} else {
		// Hedgehog's defaults apply to a copy: the rules and the schema see the
		// document as the API server would, the managed file keeps it as written.
		r.rules.Obj = deepCopy(m)
		rules.Default(r.rules)
		if issues := p.validateSchema(file, schema, m, r.rules.Obj, at); len(issues) > 0 {
			return nil, issues
		}
	}
	var issues []Issue
	for _, f := range rules.Local(r.rules, p.cfg) {
		if f.Severity == rules.Warning {
			r.warnings = append(r.warnings, r.finding(fgderr.SchemaValidation, f))
			continue
		}
		issues = append(issues, r.finding(fgderr.SchemaValidation, f))
	}
	if len(issues) > 0 {
		return nil, issues
	}
	if p.lean {
		// Its content is taken only if another document defines it too
		// (fingerprint); the local rules have seen the whole object, the
		// rules across resources need only its spec, which is kept encoded
		// until they run.
		r.keepCrossView(&p.buf)
		return r, nil
	}
	content, err := yamlv2.Marshal(m)
	if err != nil {
		return fail(fgderr.InvalidYAML, nil, "cannot serialize the normalized document: %v", err)
	}
	r.content = content
	return r, nil
}

// leanSchema is the schema check of resource for a lean parser: the same
// findings as validateSchema, without holding the document twice. The
// content is only compared, never written: it is a fingerprint of the
// normalized document, taken only when another document defines the same
// resource (see fingerprint). A document that passes
// as written needs no defaulted copy for the schema: the defaults are
// applied to it in place, and it becomes the rules' object. Only a document
// that fails as written is copied, to judge the defaults' excuses exactly
// as validateSchema does.
func (p *parser) leanSchema(r *resource, file string, schema *jsonschema.Schema, at func([]string) (int, string)) []Issue {
	m := r.object
	r.object = nil
	if schema.Validate(m) == nil {
		r.rules.Obj = m
		rules.Default(r.rules)
		return nil
	}
	r.rules.Obj = deepCopy(m)
	rules.Default(r.rules)
	return p.validateSchema(file, schema, m, r.rules.Obj, at)
}

// finding turns a rule's finding on r into an issue at the finding's field,
// its message ending with the rule id.
func (r *resource) finding(code fgderr.Code, f rules.Finding) Issue {
	full := append(append([]string(nil), r.prefix...), f.Path...)
	return Issue{Code: code, File: r.file, Line: r.srcLine + lineOf(r.src, full) - 1, Path: fieldPath(full), Rule: f.Rule,
		Message: f.Message + " [" + f.Rule + "]"}
}

// deepCopy copies a decoded JSON value, so that defaults never touch the
// document that is written.
func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	default:
		return v
	}
}

// validateSchema checks a document against its CRD schema as the API server
// would. The server validates after the mutating webhook, so a field
// Hedgehog's defaults fill in (a required dhcp.options.leaseTimeSeconds,
// say) may be left out. What the defaults cannot excuse is checked on the
// document as written: a wrong type, an unknown field or a number out of
// range fails the server's decoding before any webhook runs.
func (p *parser) validateSchema(file string, schema *jsonschema.Schema, written, defaulted map[string]any, at func([]string) (int, string)) []Issue {
	errWritten := schema.Validate(written)
	if errWritten == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(errWritten, &ve) {
		line, _ := at(nil)
		return []Issue{{Code: fgderr.SchemaValidation, File: file, Line: line, Message: errWritten.Error()}}
	}
	var leaves schemaLeaves
	leaves.add(ve, p.printer, func(k jsonschema.ErrorKind) bool {
		switch k.(type) {
		case *kind.Required, *kind.MinItems, *kind.MinProperties:
			return false // judged on the defaulted copy
		}
		return true
	})
	if errDefaulted := schema.Validate(defaulted); errDefaulted != nil {
		if errors.As(errDefaulted, &ve) {
			leaves.add(ve, p.printer, func(jsonschema.ErrorKind) bool { return true })
		}
	}
	return leaves.issues(file, at)
}

// normalize removes what the server sets and makes the namespace explicit.
// Keys are sorted when the object is serialized.
func normalize(m map[string]any, namespace string) {
	delete(m, "status")
	meta := m["metadata"].(map[string]any)
	for _, f := range serverFields {
		delete(meta, f)
	}
	meta["namespace"] = namespace
	if ann, ok := meta["annotations"].(map[string]any); ok {
		delete(ann, lastAppliedAnnotation)
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
	for _, f := range []string{"labels", "annotations"} {
		if v, ok := meta[f]; ok && v == nil {
			delete(meta, f)
		}
	}
}

// schemaLeaves gathers the leaf errors of validations, one entry per field
// path with its messages, in the order found.
type schemaLeaves struct {
	byPath map[string]*schemaLeaf
	order  []string
}

type schemaLeaf struct {
	path []string
	msgs []string
}

func (l *schemaLeaves) put(path []string, msg string) {
	if l.byPath == nil {
		l.byPath = map[string]*schemaLeaf{}
	}
	k := strings.Join(path, "\x00")
	e, ok := l.byPath[k]
	if !ok {
		e = &schemaLeaf{path: path}
		l.byPath[k] = e
		l.order = append(l.order, k)
	}
	for _, m := range e.msgs {
		if m == msg {
			return
		}
	}
	e.msgs = append(e.msgs, msg)
}

// add walks a validation error to its leaves, keeping those keep accepts.
func (l *schemaLeaves) add(v *jsonschema.ValidationError, printer *message.Printer, keep func(jsonschema.ErrorKind) bool) {
	if len(v.Causes) > 0 {
		for _, c := range v.Causes {
			l.add(c, printer, keep)
		}
		return
	}
	if !keep(v.ErrorKind) {
		return
	}
	loc := append([]string(nil), v.InstanceLocation...)
	switch k := v.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, prop := range k.Properties {
			l.put(append(loc[:len(loc):len(loc)], prop), "unknown field")
		}
	case *kind.Required:
		for _, prop := range k.Missing {
			l.put(append(loc[:len(loc):len(loc)], prop), "required field is missing")
		}
	default:
		l.put(loc, v.ErrorKind.LocalizedString(printer))
	}
}

// issues turns the leaves into one issue per field path, at most 20.
func (l *schemaLeaves) issues(file string, at func([]string) (int, string)) []Issue {
	const maxIssues = 20
	var issues []Issue
	for _, k := range l.order {
		e := l.byPath[k]
		line, fp := at(e.path)
		issues = append(issues, Issue{Code: fgderr.SchemaValidation, File: file, Line: line, Path: fp, Message: strings.Join(e.msgs, "; ")})
		if len(issues) == maxIssues {
			break
		}
	}
	sort.SliceStable(issues, func(i, j int) bool { return issues[i].Line < issues[j].Line })
	return issues
}

// fieldPath writes a location as spec.subnets[0].vlan.
func fieldPath(path []string) string {
	var sb strings.Builder
	for _, seg := range path {
		if _, err := strconv.Atoi(seg); err == nil {
			sb.WriteString("[" + seg + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(seg)
	}
	return sb.String()
}

// yamlErrorLine extracts the 1-based line a YAML error names, or 1.
func yamlErrorLine(err error) int {
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > 0 {
			return n
		}
	}
	return 1
}

// cleanYAMLError drops the converter's prefixes and the relative line, which
// the issue's absolute Line replaces.
func cleanYAMLError(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error converting YAML to JSON: ", "yaml: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	msg = yamlErrLine.ReplaceAllString(msg, "")
	msg = strings.Join(strings.Fields(msg), " ") // one line, however the parser wrapped it
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	for strings.HasPrefix(strings.TrimSpace(msg), ":") {
		msg = strings.TrimPrefix(strings.TrimSpace(msg), ":")
	}
	msg = strings.TrimPrefix(strings.TrimSpace(msg), "yaml: ")
	if msg == "" {
		return "invalid YAML"
	}
	return msg
}
