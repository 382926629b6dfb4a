package ingestion

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// The Hedgehog CRD bundle, Apache-2.0, from githedgehog/fabric; see
// crds/PROVENANCE.md.
//
//go:embed crds/*.yaml crds/PROVENANCE.md
var embeddedCRDs embed.FS

// CRD is one kind of the bundle.
type CRD struct {
	Group    string
	Kind     string
	ListKind string
	Plural   string
	// Versions maps each served version to its compiled openAPIV3Schema.
	Versions map[string]*jsonschema.Schema
}

// Bundle is the set of Hedgehog kinds that ingestion knows. Everything in it
// comes from the CRDs; nothing is listed by hand. It is read-only once
// loaded and safe for concurrent use.
type Bundle struct {
	byGroup map[string]map[string]*CRD // group → kind → CRD
	byKind  map[string]*CRD            // kind and list kind → CRD, for "did you mean"
	kinds   []*CRD                     // sorted by kind
}

// LoadBundle compiles the embedded CRD bundle.
func LoadBundle() (*Bundle, error) {
	sub, err := fs.Sub(embeddedCRDs, "crds")
	if err != nil {
		return nil, err
	}
	return LoadBundleFS(sub)
}

// crdFile is the part of a CustomResourceDefinition that ingestion reads.
type crdFile struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind     string `json:"kind"`
			ListKind string `json:"listKind"`
			Plural   string `json:"plural"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// LoadBundleFS compiles every *.yaml CRD in fsys.
func LoadBundleFS(fsys fs.FS) (*Bundle, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	// Each CRD is read and compiled on its own, on every core: the schemas
	// do not refer to one another, and the CLI pays for this at every
	// start. The errors are reported as one pass in name order would.
	loaded := make([]loadedCRD, len(names))
	inParallel(runtime.GOMAXPROCS(0), len(names), func() func(int) {
		return func(i int) { loaded[i] = loadCRD(fsys, names[i]) }
	})
	b := &Bundle{byGroup: map[string]map[string]*CRD{}, byKind: map[string]*CRD{}}
	for i, l := range loaded {
		if l.err != nil {
			return nil, l.err
		}
		crd, name := l.crd, names[i]
		if b.byGroup[crd.Group] == nil {
			b.byGroup[crd.Group] = map[string]*CRD{}
		}
		if _, dup := b.byGroup[crd.Group][crd.Kind]; dup {
			return nil, fmt.Errorf("CRD %s: kind %s of group %s is defined twice", name, crd.Kind, crd.Group)
		}
		b.byGroup[crd.Group][crd.Kind] = crd
		b.kinds = append(b.kinds, crd)
		for _, k := range []string{crd.Kind, crd.ListKind} {
			if other, dup := b.byKind[k]; dup {
				return nil, fmt.Errorf("CRD %s: kind %s is also a kind of group %s", name, k, other.Group)
			}
			b.byKind[k] = crd
		}
	}
	for _, l := range loaded {
		if l.compileErr != nil {
			return nil, l.compileErr
		}
	}
	sort.Slice(b.kinds, func(i, j int) bool { return b.kinds[i].Kind < b.kinds[j].Kind })
	seen := map[string]string{}
	for _, c := range b.kinds {
		if other, ok := seen[c.Plural]; ok {
			return nil, fmt.Errorf("kinds %s and %s share the folder %q", other, c.Kind, c.Plural)
		}
		seen[c.Plural] = c.Kind
	}
	return b, nil
}

// loadedCRD is one CRD file read and compiled, or why not: err for the
// file itself, compileErr for a schema that does not compile (reported
// after every file's own errors).
type loadedCRD struct {
	crd             *CRD
	err, compileErr error
}

// loadCRD reads and compiles the CRD file name of fsys, with a compiler of
// its own.
func loadCRD(fsys fs.FS, name string) loadedCRD {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return loadedCRD{err: err}
	}
	var f crdFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return loadedCRD{err: fmt.Errorf("CRD %s: %w", name, err)}
	}
	if f.Kind != "CustomResourceDefinition" || f.Spec.Group == "" || f.Spec.Names.Kind == "" || f.Spec.Names.Plural == "" {
		return loadedCRD{err: fmt.Errorf("CRD %s: not a CustomResourceDefinition with group, kind and plural", name)}
	}
	crd := &CRD{Group: f.Spec.Group, Kind: f.Spec.Names.Kind, ListKind: f.Spec.Names.ListKind, Plural: f.Spec.Names.Plural,
		Versions: map[string]*jsonschema.Schema{}}
	if crd.ListKind == "" {
		crd.ListKind = crd.Kind + "List"
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft4) // OpenAPI 3.0 schemas follow draft 4 (boolean exclusiveMinimum)
	for _, f := range apiServerFormats() {
		compiler.RegisterFormat(f)
	}
	var versions, urls []string
	for _, v := range f.Spec.Versions {
		if !v.Served {
			continue
		}
		schema := v.Schema.OpenAPIV3Schema
		if schema == nil {
			schema = map[string]any{"type": "object"}
		}
		url := fmt.Sprintf("crd://%s/%s/%s", crd.Group, v.Name, crd.Kind)
		// Round-trip through JSON so the compiler sees json.Number and
		// plain maps, as it does for documents.
		converted, err := roundTripJSON(toJSONSchema(schema, true))
		if err != nil {
			return loadedCRD{err: err}
		}
		if err := compiler.AddResource(url, converted); err != nil {
			return loadedCRD{err: fmt.Errorf("CRD %s version %s: %w", name, v.Name, err)}
		}
		versions, urls = append(versions, v.Name), append(urls, url)
	}
	for i, url := range urls {
		s, err := compiler.Compile(url)
		if err != nil {
			return loadedCRD{crd: crd, compileErr: fmt.Errorf("compile schema of %s %s: %w", crd.Kind, versions[i], err)}
		}
		crd.Versions[versions[i]] = s
	}
	return loadedCRD{crd: crd}
}

func roundTripJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
}

// toJSONSchema turns a structural OpenAPI v3 schema into JSON Schema with
// the meaning the API server gives it:
//   - nullable: true admits null;
//   - an object with properties is closed unless it says
//     x-kubernetes-preserve-unknown-fields, as kubectl's strict field
//     validation rejects unknown fields;
//   - descriptions and defaults are dropped: they validate nothing.
func toJSONSchema(s map[string]any, top bool) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		switch k {
		case "description", "default", "example", "externalDocs",
			"x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
			"x-kubernetes-validations", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string",
			"x-kubernetes-preserve-unknown-fields", "nullable":
			continue
		case "properties", "patternProperties", "definitions":
			m, _ := v.(map[string]any)
			props := make(map[string]any, len(m))
			for name, sub := range m {
				if subMap, ok := sub.(map[string]any); ok {
					props[name] = toJSONSchema(subMap, false)
				}
			}
			out[k] = props
		case "items", "additionalProperties", "not":
			if subMap, ok := v.(map[string]any); ok {
				out[k] = toJSONSchema(subMap, false)
			} else {
				out[k] = v
			}
		case "allOf", "anyOf", "oneOf":
			list, _ := v.([]any)
			conv := make([]any, 0, len(list))
			for _, sub := range list {
				if subMap, ok := sub.(map[string]any); ok {
					conv = append(conv, toJSONSchema(subMap, false))
				}
			}
			out[k] = conv
		default:
			out[k] = v
		}
	}
	if s["nullable"] == true {
		if t, ok := out["type"].(string); ok {
			out["type"] = []any{t, "null"}
		}
	}
	_, hasProps := s["properties"]
	_, hasAdditional := s["additionalProperties"]
	if hasProps && !hasAdditional && s["x-kubernetes-preserve-unknown-fields"] != true {
		out["additionalProperties"] = false
	}
	if top {
		// status is stripped before validation and server-set; metadata is
		// ObjectMeta, closed as kubectl's strict field validation closes it.
		if props, ok := out["properties"].(map[string]any); ok {
			delete(props, "status")
			props["metadata"] = objectMetaSchema()
		}
	}
	return out
}

// Lookup returns the CRD of a group and kind, if the bundle has it.
func (b *Bundle) Lookup(group, kind string) (*CRD, bool) {
	c, ok := b.byGroup[group][kind]
	return c, ok
}

// HasGroup reports whether the group is one of the bundle's.
func (b *Bundle) HasGroup(group string) bool {
	_, ok := b.byGroup[group]
	return ok
}

// listKind returns the CRD whose list kind this is, within a group.
func (b *Bundle) listKind(group, kind string) (*CRD, bool) {
	for _, c := range b.byGroup[group] {
		if c.ListKind == kind {
			return c, true
		}
	}
	return nil, false
}

// KindNamed returns the CRD whose kind or list kind is kind, in any group:
// what a document with a misspelled apiVersion most likely meant.
func (b *Bundle) KindNamed(kind string) (*CRD, bool) {
	c, ok := b.byKind[kind]
	return c, ok
}

// Groups returns the bundle's API groups, sorted.
func (b *Bundle) Groups() []string { return sortedKeys(b.byGroup) }

// Kinds returns every CRD of the bundle, sorted by kind.
func (b *Bundle) Kinds() []*CRD { return append([]*CRD(nil), b.kinds...) }

// kindsOfGroup lists the kinds of a group, for error messages.
func (b *Bundle) kindsOfGroup(group string) string {
	var ks []string
	for k := range b.byGroup[group] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// APIVersions lists the apiVersions that serve the kind, such as
// vpc.githedgehog.com/v1beta1.
func (c *CRD) APIVersions() []string {
	vs := c.ServedVersions()
	for i, v := range vs {
		vs[i] = c.Group + "/" + v
	}
	return vs
}

// ServedVersions lists a CRD's served versions, sorted.
func (c *CRD) ServedVersions() []string {
	vs := make([]string, 0, len(c.Versions))
	for v := range c.Versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

// ManagedPath is where a resource lives: managed/<plural>/<name>.yaml in the
// fabric namespace, managed/<plural>/<namespace>/<name>.yaml elsewhere. It
// depends on nothing but (kind, namespace, name).
func (c *CRD) ManagedPath(fabricNamespace, namespace, name string) string {
	if namespace == fabricNamespace {
		return path.Join(ManagedDir, c.Plural, name+".yaml")
	}
	return path.Join(ManagedDir, c.Plural, namespace, name+".yaml")
}
