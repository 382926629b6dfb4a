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
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/fgderr"
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
	object     map[string]any
	content    []byte // normalized YAML
	path       string // canonical managed path
	file       string // the file it came from
	line       int
}

func (r *resource) identity() string { return r.crd.Kind + "/" + r.namespace + "/" + r.name }

// parser turns chunks into documents. It is used by one goroutine at a time.
type parser struct {
	bundle    *Bundle
	namespace string
	printer   *message.Printer
}

func newParser(b *Bundle, namespace string) *parser {
	return &parser{bundle: b, namespace: namespace, printer: message.NewPrinter(language.English)}
}

var (
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	dns1123Label     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	yamlErrLine      = regexp.MustCompile(`line (\d+)`)
)

// serverFields are the metadata fields that the API server sets; they never
// belong in a desired-state file.
var serverFields = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
	"deletionTimestamp", "deletionGracePeriodSeconds"}

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// parse parses one chunk of file.
func (p *parser) parse(file string, c chunk) *document {
	d := &document{line: c.line, raw: c.bytes}
	js, err := yaml.YAMLToJSONStrict(c.bytes)
	if err != nil {
		d.class = docInvalid
		d.issues = []Issue{{Code: fgderr.InvalidYAML, File: file, Line: c.line + yamlErrorLine(err) - 1, Message: cleanYAMLError(err)}}
		return d
	}
	var obj any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		d.class = docInvalid
		d.issues = []Issue{{Code: fgderr.InvalidYAML, File: file, Line: c.line, Message: err.Error()}}
		return d
	}
	if obj == nil {
		d.class = docEmpty
		return d
	}
	m, ok := obj.(map[string]any)
	if !ok {
		d.class = docForeign
		return d
	}
	group, version, kind := typeOf(m)
	if !p.bundle.HasGroup(group) {
		if strings.HasSuffix(group, "githedgehog.com") {
			d.warnings = append(d.warnings, Issue{Code: fgderr.UnsupportedResource, File: file, Line: c.line, Path: "apiVersion",
				Message: fmt.Sprintf("group %q is not in the Hedgehog CRD bundle; the document is kept in unmanaged/", group)})
		}
		if group == "" && version == "v1" && kind == "List" {
			return p.parseList(d, file, c, m)
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
	for _, it := range items {
		im, ok := it.(map[string]any)
		if !ok {
			d.class = docForeign
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
		}
	}
	if len(d.issues) > 0 {
		d.class, d.resources = docInvalid, nil
		return d
	}
	d.class = docHedgehog
	return d
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
		return fail(fgderr.VersionMismatch, []string{"apiVersion"}, "%s is not served as %q; the bundle serves %s/%s",
			kindName, m["apiVersion"], group, strings.Join(crd.ServedVersions(), ", "))
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
	case len(name) > 253 || !dns1123Subdomain.MatchString(name):
		return fail(fgderr.SchemaValidation, []string{"metadata", "name"}, "metadata.name %q is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)", name)
	}
	namespace := p.namespace
	if v, present := meta["namespace"]; present && v != nil && v != "" {
		ns, _ := v.(string)
		if strings.Contains(ns, "/") || strings.Contains(ns, "..") {
			return fail(fgderr.PathEscape, []string{"metadata", "namespace"}, "metadata.namespace %q would place the file outside its folder", ns)
		}
		if len(ns) > 63 || !dns1123Label.MatchString(ns) {
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
	if err := schema.Validate(m); err != nil {
		return nil, p.schemaIssues(file, err, at)
	}
	content, err := yamlv2.Marshal(m)
	if err != nil {
		return fail(fgderr.InvalidYAML, nil, "cannot serialize the normalized document: %v", err)
	}
	line := c.line + firstContentLine(c.bytes) - 1 // a List item's line is set by parseList
	return &resource{crd: crd, apiVersion: m["apiVersion"].(string), namespace: namespace, name: name, object: m,
		content: content, path: crd.ManagedPath(p.namespace, namespace, name), file: file, line: line}, nil
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

// schemaIssues turns a validation error into one issue per field path.
func (p *parser) schemaIssues(file string, err error, at func([]string) (int, string)) []Issue {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		line, _ := at(nil)
		return []Issue{{Code: fgderr.SchemaValidation, File: file, Line: line, Message: err.Error()}}
	}
	type entry struct {
		path []string
		msgs []string
	}
	byPath := map[string]*entry{}
	var order []string
	add := func(path []string, msg string) {
		k := strings.Join(path, "\x00")
		e, ok := byPath[k]
		if !ok {
			e = &entry{path: path}
			byPath[k] = e
			order = append(order, k)
		}
		for _, m := range e.msgs {
			if m == msg {
				return
			}
		}
		e.msgs = append(e.msgs, msg)
	}
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		loc := append([]string(nil), v.InstanceLocation...)
		switch k := v.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, prop := range k.Properties {
				add(append(loc[:len(loc):len(loc)], prop), "unknown field")
			}
		case *kind.Required:
			for _, prop := range k.Missing {
				add(append(loc[:len(loc):len(loc)], prop), "required field is missing")
			}
		default:
			add(loc, v.ErrorKind.LocalizedString(p.printer))
		}
	}
	walk(ve)
	const maxIssues = 20
	var issues []Issue
	for _, k := range order {
		e := byPath[k]
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
