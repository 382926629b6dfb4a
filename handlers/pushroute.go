package handlers

import (
	"bytes"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/githedgehog/fgd-sync/fabrics"
)

// pushRoute is the part of go-github's PushEvent that routing reads. It is
// read from the payload with fastjson rather than decoded with
// encoding/json: a push is about 9 KB, of which routing needs a few fields,
// and encoding/json's decode was the largest cost of a delivery.
type pushRoute struct {
	Ref        string
	Before     string
	After      string
	Deleted    bool
	Size       *int
	Repository string // repository.full_name
	Commits    []commitFiles
}

// commitFiles are the files one commit of a push added, removed and
// modified.
type commitFiles struct {
	Added, Removed, Modified []string
}

// maxListedCommits is where GitHub may stop listing a push's commits; a list
// this long may be incomplete, so the push counts as touching every fabric.
const maxListedCommits = 20

// touches reports whether the push changed anything under the fabric path.
// An empty or possibly truncated commit list counts as touching: a missed
// sync costs more than a sync with nothing to do.
func (p *pushRoute) touches(f fabrics.Fabric) bool {
	if len(p.Commits) == 0 || len(p.Commits) >= maxListedCommits || (p.Size != nil && *p.Size > len(p.Commits)) {
		return true
	}
	for _, c := range p.Commits {
		for _, list := range [][]string{c.Added, c.Removed, c.Modified} {
			for _, file := range list {
				if f.Touches(file) {
					return true
				}
			}
		}
	}
	return false
}

// jsonParsers reuses fastjson's parsers, which keep their memory from one
// parse to the next. A parser that read a payload over pooledMax is
// dropped, as large buffers are.
type jsonParsers struct{ pool fastjson.ParserPool }

// pushRoute reads the routing fields of a push payload (valid JSON, checked
// before). It reads them as encoding/json would into go-github's
// PushEvent: names match regardless of case, the last of repeated names
// wins, null leaves a field empty, and a value of another type is an error.
func (j *jsonParsers) pushRoute(payload []byte) (pushRoute, error) {
	parser := j.pool.Get()
	if len(payload) <= pooledMax {
		defer j.pool.Put(parser)
	}
	v, err := parser.ParseBytes(payload)
	if err != nil {
		return pushRoute{}, err
	}
	var p pushRoute
	r := fieldReader{}
	r.object(v, "payload", func(key []byte, v *fastjson.Value) {
		switch {
		case named(key, "ref"):
			r.str(v, "ref", &p.Ref)
		case named(key, "before"):
			r.str(v, "before", &p.Before)
		case named(key, "after"):
			r.str(v, "after", &p.After)
		case named(key, "deleted"):
			r.boolean(v, "deleted", &p.Deleted)
		case named(key, "size"):
			r.integer(v, "size", &p.Size)
		case named(key, "repository"):
			r.object(v, "repository", func(key []byte, v *fastjson.Value) {
				if named(key, "full_name") {
					r.str(v, "repository.full_name", &p.Repository)
				}
			})
		case named(key, "commits"):
			p.Commits = nil
			r.array(v, "commits", func(v *fastjson.Value) {
				var c commitFiles
				r.object(v, "commits[]", func(key []byte, v *fastjson.Value) {
					switch {
					case named(key, "added"):
						r.strings(v, "commits[].added", &c.Added)
					case named(key, "removed"):
						r.strings(v, "commits[].removed", &c.Removed)
					case named(key, "modified"):
						r.strings(v, "commits[].modified", &c.Modified)
					}
				})
				p.Commits = append(p.Commits, c)
			})
		}
	})
	return p, r.err
}

// named matches a JSON name to a field name as encoding/json does.
func named(key []byte, field string) bool { return bytes.EqualFold(key, []byte(field)) }

// fieldReader reads typed values, keeping the first type error.
type fieldReader struct{ err error }

func (r *fieldReader) fail(field string, v *fastjson.Value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s is a %s, want %s", field, v.Type(), want)
	}
}

// object visits an object's members in order; null visits nothing.
func (r *fieldReader) object(v *fastjson.Value, field string, visit func(key []byte, v *fastjson.Value)) {
	if v.Type() == fastjson.TypeNull {
		return
	}
	o, err := v.Object()
	if err != nil {
		r.fail(field, v, "object")
		return
	}
	o.Visit(visit)
}

func (r *fieldReader) array(v *fastjson.Value, field string, each func(v *fastjson.Value)) {
	if v.Type() == fastjson.TypeNull {
		return
	}
	items, err := v.Array()
	if err != nil {
		r.fail(field, v, "array")
		return
	}
	for _, item := range items {
		each(item)
	}
}

func (r *fieldReader) str(v *fastjson.Value, field string, dst *string) {
	if v.Type() == fastjson.TypeNull {
		return
	}
	b, err := v.StringBytes()
	if err != nil {
		r.fail(field, v, "string")
		return
	}
	*dst = string(b)
}

func (r *fieldReader) boolean(v *fastjson.Value, field string, dst *bool) {
	switch v.Type() {
	case fastjson.TypeNull:
	case fastjson.TypeTrue:
		*dst = true
	case fastjson.TypeFalse:
		*dst = false
	default:
		r.fail(field, v, "boolean")
	}
}

func (r *fieldReader) integer(v *fastjson.Value, field string, dst **int) {
	if v.Type() == fastjson.TypeNull {
		*dst = nil
		return
	}
	n, err := v.Int()
	if err != nil {
		r.fail(field, v, "integer")
		return
	}
	*dst = &n
}

// strings reads an array of strings; null leaves it nil, and a null item
// is an empty string.
func (r *fieldReader) strings(v *fastjson.Value, field string, dst *[]string) {
	*dst = nil
	if v.Type() == fastjson.TypeNull {
		return
	}
	items, err := v.Array()
	if err != nil {
		r.fail(field, v, "array")
		return
	}
	*dst = make([]string, len(items))
	for i, item := range items {
		r.str(item, field+"[]", &(*dst)[i])
	}
}
