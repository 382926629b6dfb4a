// Package rules holds Hedgehog's own validation rules, the ones its fabric
// controller enforces beyond the CRD schemas (docs/hedgehog-rules.md). It is
// pure: objects in, findings out. Every rule has an id such as VPC-12, and
// every finding names it, so a person can look the rule up.
package rules

import (
	"sort"
	"strings"
	"sync"
)

// Severity says whether a finding rejects its document.
type Severity int

// The severities.
const (
	Error Severity = iota
	Warning
)

// Finding is one broken rule on one object.
type Finding struct {
	Rule     string   // the rule id, such as "VPC-12"
	Path     []string // the field path inside the object, such as spec, subnets, a, subnet
	Message  string   // for a person: what is wrong and what would be right
	Severity Severity
	Cross    bool // found by a cross-resource rule (integrity), not by the document alone
}

// Object is one Hedgehog resource. Obj is the whole document as decoded from
// JSON (numbers are json.Number or float64/int64; use the num helpers);
// Default rewrites it in place, so callers pass a copy they may change.
type Object struct {
	Kind      string
	Name      string
	Namespace string
	Obj       map[string]any

	spec map[string]any // the spec of a SpecObject, whose Obj is nil
}

// Spec returns the object's spec, or an empty map.
func (o *Object) Spec() map[string]any {
	if o.spec != nil {
		return o.spec
	}
	return mapAt(o.Obj, "spec")
}

// SpecObject returns an object known only by its kind, name, namespace
// and spec, as CrossView keeps it, for the cross-resource rules. It holds
// no map around the spec: a fabric's worth of them is held at once.
func SpecObject(kind, name, namespace string, spec map[string]any) *Object {
	if spec == nil {
		spec = map[string]any{}
	}
	return &Object{Kind: kind, Name: name, Namespace: namespace, spec: spec}
}

// CrossView returns o as the cross-resource rules (Cross, Update, Deleted)
// see it: its kind, name, namespace and spec, without the rest of the
// document (metadata, annotations, status). Those rules read nothing else,
// so a caller that keeps every object of a fabric for them, and checks
// each document's local rules before, keeps only this much of each. A rule
// that reads more of an object across resources must keep it here.
func (o *Object) CrossView() *Object {
	v := &Object{Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, Obj: map[string]any{}}
	if spec, ok := o.Obj["spec"]; ok {
		v.Obj["spec"] = spec
	}
	return v
}

// FabricConfig holds the fabric-wide settings that [cfg] rules need, under
// Hedgehog's fabric config keys. A nil *FabricConfig skips every [cfg] rule.
type FabricConfig struct {
	FabricMode               string      `json:"fabricMode,omitempty"`
	FabricMTU                int64       `json:"fabricMTU,omitempty"`
	ServerFacingMTUOffset    int64       `json:"serverFacingMTUOffset,omitempty"`
	FabricSubnet             string      `json:"fabricSubnet,omitempty"`
	ReservedSubnets          []string    `json:"reservedSubnets,omitempty"`
	VPCIRBVLANRanges         []VLANRange `json:"vpcIRBVLANRange,omitempty"`
	TH5WorkaroundVLANRanges  []VLANRange `json:"th5WorkaroundVLANRange,omitempty"`
	VPCPeeringDisabled       bool        `json:"vpcPeeringDisabled,omitempty"`
	SpineASN                 int64       `json:"spineASN,omitempty"`
	LeafASNStart             int64       `json:"leafASNStart,omitempty"`
	LeafASNEnd               int64       `json:"leafASNEnd,omitempty"`
	ProtocolSubnet           string      `json:"protocolSubnet,omitempty"`
	VTEPSubnet               string      `json:"vtepSubnet,omitempty"`
	ManagementSubnet         string      `json:"managementSubnet,omitempty"`
	ManagementDHCPStart      string      `json:"managementDHCPStart,omitempty"`
	ControlVIP               string      `json:"controlVIP,omitempty"`
	EnableGateway            bool        `json:"enableGateway,omitempty"`
	AllowExtraSwitchProfiles bool        `json:"allowExtraSwitchProfiles,omitempty"`
}

// VLANRange is an inclusive range of VLANs; a zero To means To = From.
type VLANRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to,omitempty"`
}

// kindRules are the rules of one kind.
type kindRules struct {
	// defaults applies Hedgehog's defaults to o in place (META defaults are
	// applied before it by Default).
	defaults func(o *Object)
	// local checks o alone; cfg may be nil.
	local func(o *Object, cfg *FabricConfig) []Finding
	// cross checks o against the set; cfg may be nil.
	cross func(o *Object, s *Set, cfg *FabricConfig) []Finding
	// update checks a change of an object that already exists ([webhook, update] rules); may be nil.
	update func(old, new *Object, s *Set) []Finding
	// deleted reports, as warnings, what still refers to an object that is removed ([webhook, delete]); may be nil.
	deleted func(o *Object, s *Set) []Finding
}

// Default applies Hedgehog's defaults for o's kind in place: the META
// defaults, then the kind's own.
func Default(o *Object) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if r, ok := byKind(o.Kind); ok && r.defaults != nil {
		r.defaults(o)
	}
}

// Local returns the findings of every local rule of o's kind. o must have
// been defaulted.
func Local(o *Object, cfg *FabricConfig) []Finding {
	r, ok := byKind(o.Kind)
	if !ok || r.local == nil {
		return nil
	}
	return sorted(r.local(o, cfg))
}

// Cross returns the findings of every cross-resource rule of o's kind
// against the set. o and the set's objects must have been defaulted.
func (s *Set) Cross(o *Object, cfg *FabricConfig) []Finding {
	r, ok := byKind(o.Kind)
	if !ok || r.cross == nil {
		return nil
	}
	fs := r.cross(o, s, cfg)
	for i := range fs {
		fs[i].Cross = true
	}
	return sorted(fs)
}

// Update returns the findings of the [webhook, update] rules when old becomes new.
func Update(old, new *Object, s *Set) []Finding {
	r, ok := byKind(new.Kind)
	if !ok || r.update == nil {
		return nil
	}
	fs := r.update(old, new, s)
	for i := range fs {
		fs[i].Cross = true
	}
	return sorted(fs)
}

// Deleted returns warnings for the objects that still refer to o, which is being removed.
func Deleted(o *Object, s *Set) []Finding {
	r, ok := byKind(o.Kind)
	if !ok || r.deleted == nil {
		return nil
	}
	fs := r.deleted(o, s)
	for i := range fs {
		fs[i].Cross = true
		fs[i].Severity = Warning
	}
	return sorted(fs)
}

func sorted(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool { return strings.Join(fs[i].Path, ".") < strings.Join(fs[j].Path, ".") })
	return fs
}

// Set is every object of a fabric, indexed by kind and name, so that
// references resolve through a map lookup rather than pairwise. Rules that
// need other indexes (subnets per IPv4Namespace, ports per switch, …) build
// them once through Index. A Set is safe for concurrent use: the rules of
// a fabric's objects run on several goroutines over one Set.
type Set struct {
	objects map[string]map[string]*Object // kind → name → object

	mu      sync.Mutex // guards indexes
	indexes map[string]*setIndex
}

// setIndex is one index of a Set, built once by the first rule that needs
// it; the others wait for it.
type setIndex struct {
	once sync.Once
	v    any
}

// NewSet indexes objs. Objects of another namespace than default are indexed
// under their name all the same: Hedgehog's references carry no namespace.
func NewSet(objs []*Object) *Set {
	s := &Set{objects: map[string]map[string]*Object{}, indexes: map[string]*setIndex{}}
	for _, o := range objs {
		m := s.objects[o.Kind]
		if m == nil {
			m = map[string]*Object{}
			s.objects[o.Kind] = m
		}
		m[o.Name] = o
	}
	return s
}

// Get returns the object of kind with name.
func (s *Set) Get(kind, name string) (*Object, bool) {
	o, ok := s.objects[kind][name]
	return o, ok
}

// HasKind reports whether the set holds any object of kind.
func (s *Set) HasKind(kind string) bool { return len(s.objects[kind]) > 0 }

// All returns the objects of kind, sorted by name.
func (s *Set) All(kind string) []*Object {
	m := s.objects[kind]
	out := make([]*Object, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Index returns the index named key, building it with build on first use.
// An index is read only once built: build must return a value that no
// rule changes (or that guards its own changes).
func Index[T any](s *Set, key string, build func(*Set) T) T {
	s.mu.Lock()
	ix, ok := s.indexes[key]
	if !ok {
		ix = &setIndex{}
		s.indexes[key] = ix
	}
	s.mu.Unlock()
	ix.once.Do(func() { ix.v = build(s) })
	return ix.v.(T)
}

// installerKinds are the kinds whose objects Hedgehog's installer creates, so
// an FGD often references them without holding them.
var installerKinds = map[string]bool{"IPv4Namespace": true, "VLANNamespace": true, "SwitchProfile": true}

// Resolve looks up a reference from a rule, by the FGD's reference policy:
//   - found: the object, and no finding;
//   - the FGD holds objects of kind but not this one: an error finding
//     (integrity), unless kind is an installer kind;
//   - the FGD holds no object of kind, or kind is an installer kind: a
//     warning finding; the caller skips the rules that need the object's
//     content.
//
// rule and path name the referencing field.
func (s *Set) Resolve(kind, name, rule string, path []string) (*Object, *Finding) {
	if o, ok := s.Get(kind, name); ok {
		return o, nil
	}
	if !s.HasKind(kind) || installerKinds[kind] {
		return nil, &Finding{Rule: rule, Path: path, Severity: Warning,
			Message: kind + " " + quote(name) + " is not in this FGD; it must exist on the fabric (checks that need its content were skipped)"}
	}
	return nil, &Finding{Rule: rule, Path: path, Severity: Error,
		Message: kind + " " + quote(name) + " does not exist in this FGD"}
}

func quote(s string) string { return `"` + s + `"` }

// mapAt returns m[key] as a map, or an empty map.
func mapAt(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	return map[string]any{}
}
