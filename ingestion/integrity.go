package ingestion

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// checkIntegrity runs Hedgehog's cross-resource rules over the fabric as it
// will be: what managed/ holds, with this sync's raw resources in place.
// References resolve through the set's indexes (docs/contract.md, "References
// across resources"):
//   - a raw file holding a resource that breaks a rule is rejected whole
//     with FGD_1007, and the check runs again without it, until nothing
//     changes, so that what lands is always a consistent fabric;
//   - a managed resource that breaks a rule is reported and left as it is;
//   - a raw resource that replaces a managed one is also checked as an
//     update ([webhook, update] rules: a connection's type cannot change, …);
//   - warnings (a reference to an object the FGD does not manage) go to the
//     plan's warnings.
func (b *builder) checkIntegrity() {
	if b.opts.lean {
		// Every raw resource's spec is decoded before the rules run, one
		// resource per call, on every core.
		raw, _ := b.claims(false)
		var toDecode []*resource
		for _, cs := range raw {
			for _, c := range cs {
				toDecode = append(toDecode, c.res)
			}
		}
		inParallel(b.opts.Workers, len(toDecode), func() func(int) {
			return func(i int) { toDecode[i].materialize() }
		})
	}
	for {
		raw, managed := b.claims(false)
		current := currentClaims(raw, managed)
		ids := sortedKeys(current)
		objs := make([]*rules.Object, len(ids))
		for i, id := range ids {
			objs[i] = current[id][0].res.rules
		}
		set := rules.NewSet(objs)
		// The rules of each object read the set and nothing else: they run
		// on every core, and their findings are gathered in id order.
		cross := make([][]rules.Finding, len(ids))
		inParallel(b.opts.Workers, len(ids), func() func(int) {
			return func(i int) { cross[i] = set.Cross(objs[i], b.cfg) }
		})
		var managedErrors []Issue
		var warnings []refFinding
		rejected := false
		for i, id := range ids {
			cs := current[id]
			r := cs[0].res
			fs := cross[i]
			fromRaw := !strings.HasPrefix(cs[0].file.entry.path, ManagedDir+"/")
			if old, ok := managed[id]; ok && fromRaw && !bytes.Equal(old[0].res.fingerprint(), r.fingerprint()) {
				fs = append(fs, rules.Update(old[0].res.rules, r.rules, set)...)
			}
			for _, f := range fs {
				switch {
				case f.Severity == rules.Warning:
					warnings = append(warnings, refFinding{r, f})
				case fromRaw:
					// Every raw file that defines this resource (identically)
					// holds the broken document.
					for _, c := range cs {
						c.file.errors = append(c.file.errors, c.res.finding(fgderr.Integrity, f))
					}
					rejected = true
				default:
					managedErrors = append(managedErrors, r.finding(fgderr.Integrity, f))
				}
			}
		}
		if !rejected {
			b.integrityErrors, b.integrityWarnings = managedErrors, groupWarnings(warnings)
			b.resourceSet = set
			return
		}
	}
}

// refFinding is a warning of a cross-resource rule on a resource.
type refFinding struct {
	res *resource
	f   rules.Finding
}

// missingObjectRef finds the object a reference warning is about: the
// leftmost match of (\w+) "([^"]*)" is not in this FGD in msg, written
// out (TestMissingObjectRef holds it to that expression), as every
// reference to an object the FGD lacks is one warning that passes here.
func missingObjectRef(msg string) (kind, name string, ok bool) {
	const tail = `" is not in this FGD`
	isWord := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	// A match's start is that of the run of word characters before its
	// ` "`; runs and their ` "` come in the same order, so the first ` "`
	// that completes a match gives the leftmost one.
	for from := 0; ; {
		i := strings.Index(msg[from:], ` "`)
		if i < 0 {
			return "", "", false
		}
		end := from + i
		start := end
		for start > 0 && isWord(msg[start-1]) {
			start--
		}
		if start < end {
			rest := msg[end+2:]
			if q := strings.IndexByte(rest, '"'); q >= 0 && strings.HasPrefix(rest[q:], tail) {
				return msg[start:end], rest[:q], true
			}
		}
		from = end + 1
	}
}

// groupWarnings gives one warning per object that the FGD does not hold,
// at its first reference, counting the others: a fabric whose switches all
// name the installer's SwitchProfile gets one warning, not one per switch.
// Other warnings stay one per finding.
func groupWarnings(ws []refFinding) []Issue {
	slices.SortStableFunc(ws, func(x, y refFinding) int {
		a, b := x.res, y.res
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	groups := map[string][]refFinding{}
	var order []string
	for i, w := range ws {
		key := strconv.Itoa(i)
		if kind, name, ok := missingObjectRef(w.f.Message); ok {
			key = kind + "/" + name
		}
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], w)
	}
	out := make([]Issue, 0, len(order))
	for _, key := range order {
		g := groups[key]
		first := g[0].f
		if n := len(g) - 1; n > 0 {
			const shown = 3
			var at []string
			for _, w := range g[1:min(len(g), shown+1)] {
				is := w.res.finding(fgderr.Integrity, w.f)
				at = append(at, fmt.Sprintf("%s:%d", is.File, is.Line))
			}
			if n > shown {
				at = append(at, "…")
			}
			first.Message += fmt.Sprintf("; referenced %d more times, as at %s", n, strings.Join(at, ", "))
		}
		out = append(out, g[0].res.finding(fgderr.Integrity, first))
	}
	return out
}

// currentClaims is the fabric as the plan stands: each identity with the
// claims that define it, the raw ones (which win) when there are any, else
// the managed one.
func currentClaims(raw, managed map[string][]claim) map[string][]claim {
	out := make(map[string][]claim, len(raw)+len(managed))
	for id, cs := range managed {
		out[id] = cs[:1]
	}
	for id, cs := range raw {
		out[id] = cs
	}
	return out
}

// DeletionWarnings reports the resources of before (the inventory of the
// previous sync) that the plan no longer holds while resources of the plan
// still refer to them: Hedgehog refuses such a deletion until the
// references go, so the fabric keeps the object. They are warnings: the
// FGD may rightly delete first and fix the references next.
func DeletionWarnings(before []Resource, after *Plan) []Issue {
	remaining := map[string]bool{}
	for _, r := range after.Resources {
		remaining[r.Kind+"/"+r.Namespace+"/"+r.Name] = true
	}
	set := after.set
	if set == nil {
		objs := make([]*rules.Object, 0, len(after.Resources))
		for _, r := range after.Resources {
			objs = append(objs, defaultedObject(r))
		}
		set = rules.NewSet(objs)
	}
	var out []Issue
	for _, r := range before {
		if remaining[r.Kind+"/"+r.Namespace+"/"+r.Name] {
			continue
		}
		for _, f := range rules.Deleted(defaultedObject(r), set) {
			out = append(out, Issue{Code: fgderr.Integrity, File: r.Path, Path: fieldPath(f.Path), Rule: f.Rule,
				Message: f.Message + " [" + f.Rule + "]"})
		}
	}
	sortIssues(out)
	return out
}

// defaultedObject is a resource as Hedgehog's rules see it.
func defaultedObject(r Resource) *rules.Object {
	obj := map[string]any{}
	if r.Object != nil {
		obj = deepCopy(r.Object)
	}
	o := &rules.Object{Kind: r.Kind, Name: r.Name, Namespace: r.Namespace, Obj: obj}
	rules.Default(o)
	return o
}
