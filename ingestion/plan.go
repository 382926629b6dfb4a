package ingestion

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// sourceEntry is a file found under raw/ or managed/.
type sourceEntry struct {
	path string
	size int64
}

// parsedFile is one file after reading and parsing.
type parsedFile struct {
	entry    sourceEntry
	data     []byte
	docs     []*document
	errors   []Issue // any error rejects the whole file
	warnings []Issue
	count    int // documents that count (not empty)

	unmanagedUpToDate bool // unmanaged/<rel> already holds exactly what this file leaves there
}

func (f *parsedFile) rejected() bool { return len(f.errors) > 0 }

// Ingest reads raw/ and managed/ of the fabric folder fsys and plans the
// normalized tree. It reads only through fsys and writes nothing. The error
// is for a folder that cannot be listed at all; every problem with a file
// is an Issue in the plan.
func Ingest(fsys fs.FS, opts Options) (*Plan, error) {
	if opts.Bundle == nil {
		return nil, errors.New("ingestion: Options.Bundle is required")
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxDocuments <= 0 {
		opts.MaxDocuments = DefaultMaxDocuments
	}
	if opts.MaxRawBytes <= 0 {
		opts.MaxRawBytes = DefaultMaxRawBytes
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	plan := &Plan{Writes: []FileWrite{}, Removes: []string{}, Rejected: []string{}, Errors: []Issue{}, Warnings: []Issue{}, Sources: []SourceFile{}}

	rawEntries, err := listYAML(fsys, RawDir, plan)
	if err != nil {
		return nil, err
	}
	managedEntries, err := listYAML(fsys, ManagedDir, plan)
	if err != nil {
		return nil, err
	}
	cfg := loadFabricConfig(fsys, opts, plan)
	rawEntries, untouched := withinRawBudget(rawEntries, opts)
	raw := append(parseAll(fsys, rawEntries, opts, cfg), untouched...)
	managed := parseAll(fsys, managedEntries, opts, cfg)

	enforceDocumentLimit(raw, opts.MaxDocuments)
	for _, f := range raw {
		checkUnmanagedTarget(fsys, f)
	}
	for _, f := range managed {
		requireOnlyResources(f)
	}

	b := &builder{opts: opts, cfg: cfg, plan: plan, raw: raw, managed: managed, existing: map[string]*parsedFile{}}
	for _, f := range managed {
		b.existing[f.entry.path] = f
	}
	b.rejectConflicts()
	b.checkIntegrity()
	b.planResources()
	b.planSources()
	b.finish()
	return plan, nil
}

// listYAML walks dir and returns its *.yaml and *.yml files, sorted. Symlinks
// are reported as errors and never followed; other files as warnings.
func listYAML(fsys fs.FS, dir string, plan *Plan) ([]sourceEntry, error) {
	info, err := lstat(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingestion: %s: %w", dir, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.Symlink, File: dir, Message: dir + "/ is a symlink; fgd-sync never follows symlinks: make it a real folder"})
		return nil, nil
	}
	if !info.IsDir() {
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: dir, Message: dir + " must be a folder"})
		return nil, nil
	}
	var out []sourceEntry
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: p, Message: "cannot be read: " + err.Error()})
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			plan.Errors = append(plan.Errors, Issue{Code: fgderr.Symlink, File: p, Message: "is a symlink; symlinks are never followed, so it is left as it is: replace it with the file itself"})
			if dir == RawDir {
				plan.Sources = append(plan.Sources, SourceFile{Path: p, Outcome: OutcomeKept})
				plan.Rejected = append(plan.Rejected, p)
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		base := path.Base(p)
		if !d.Type().IsRegular() {
			plan.Warnings = append(plan.Warnings, Issue{Code: fgderr.InvalidStructure, File: p, Message: "is not a regular file; left as it is"})
			return nil
		}
		if ext := strings.ToLower(path.Ext(base)); ext != ".yaml" && ext != ".yml" {
			if base != ".gitkeep" && base != ".keep" {
				plan.Warnings = append(plan.Warnings, Issue{Code: fgderr.UnsupportedResource, File: p, Message: "is not a .yaml or .yml file; left as it is"})
				if dir == RawDir {
					plan.Sources = append(plan.Sources, SourceFile{Path: p, Outcome: OutcomeKept})
				}
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: p, Message: "cannot be read: " + err.Error()})
			return nil
		}
		out = append(out, sourceEntry{path: p, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ingestion: walk %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// withinRawBudget keeps, in path order, the raw files whose sizes add up to
// at most opts.MaxRawBytes; from the first one that does not fit on, the
// files are not read but rejected with FGD_1006 and left for a later sync.
// Files above MaxFileBytes are refused unread, so they do not count.
func withinRawBudget(entries []sourceEntry, opts Options) ([]sourceEntry, []*parsedFile) {
	var total int64
	for i, e := range entries {
		if e.size > opts.MaxFileBytes {
			continue
		}
		if total+e.size <= opts.MaxRawBytes {
			total += e.size
			continue
		}
		rest := make([]*parsedFile, 0, len(entries)-i)
		for _, e := range entries[i:] {
			rest = append(rest, &parsedFile{entry: e, errors: []Issue{{Code: fgderr.LimitExceeded, File: e.path,
				Message: fmt.Sprintf("raw/ holds more than %d bytes (HEDGEHOG_FGD_MAX_RAW_BYTES); this file was not read and is left for a later sync", opts.MaxRawBytes)}}})
		}
		return entries[:i], rest
	}
	return entries, nil
}

// lstat uses fs.Lstat where the FS can tell symlinks apart, else Stat.
func lstat(fsys fs.FS, name string) (fs.FileInfo, error) {
	if _, ok := fsys.(fs.ReadLinkFS); ok {
		return fs.Lstat(fsys, name)
	}
	return fs.Stat(fsys, name)
}

// parseAll reads and parses files on opts.Workers goroutines. The files are
// read and split first; then their documents are parsed one by one on the
// workers, so that one large file keeps every core busy, and gathered back
// into their files in order.
func parseAll(fsys fs.FS, entries []sourceEntry, opts Options, cfg *rules.FabricConfig) []*parsedFile {
	out := make([]*parsedFile, len(entries))
	chunks := make([][]chunk, len(entries))
	inParallel(opts.Workers, len(entries), func() func(int) {
		return func(i int) { out[i], chunks[i] = readFile(fsys, entries[i], opts.MaxFileBytes) }
	})
	type docRef struct{ file, chunk int }
	var refs []docRef
	docs := make([][]*document, len(entries))
	for i, cs := range chunks {
		docs[i] = make([]*document, len(cs))
		for j := range cs {
			refs = append(refs, docRef{i, j})
		}
	}
	inParallel(opts.Workers, len(refs), func() func(int) {
		p := newParser(opts.Bundle, opts.Namespace, cfg, opts.lean)
		return func(k int) {
			r := refs[k]
			docs[r.file][r.chunk] = p.parse(entries[r.file].path, chunks[r.file][r.chunk])
		}
	})
	for i, f := range out {
		for _, d := range docs[i] {
			f.add(d)
		}
	}
	return out
}

// inParallel calls do(0..n-1) on up to workers goroutines; newWorker gives
// each goroutine its do, with state of its own.
func inParallel(workers, n int, newWorker func() func(int)) {
	workers = min(workers, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do := newWorker()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		}()
	}
	wg.Wait()
}

// readFile reads and splits one file, refusing an oversized one before
// reading it. A file it rejects has no chunks.
func readFile(fsys fs.FS, e sourceEntry, maxBytes int64) (*parsedFile, []chunk) {
	f := &parsedFile{entry: e}
	tooBig := func(size string) {
		f.errors = append(f.errors, Issue{Code: fgderr.LimitExceeded, File: e.path,
			Message: fmt.Sprintf("the file is %s; the limit is %d bytes: split it into smaller files", size, maxBytes)})
	}
	if e.size > maxBytes {
		tooBig(fmt.Sprintf("%d bytes", e.size))
		return f, nil
	}
	data, err := readBytes(fsys, e, maxBytes)
	if err != nil {
		f.errors = append(f.errors, Issue{Code: fgderr.InvalidStructure, File: e.path, Message: "cannot be read: " + err.Error()})
		return f, nil
	}
	if int64(len(data)) > maxBytes {
		tooBig("larger than the limit")
		return f, nil
	}
	f.data = data
	if !utf8.Valid(data) {
		f.errors = append(f.errors, Issue{Code: fgderr.InvalidYAML, File: e.path, Line: firstInvalidUTF8Line(data),
			Message: "the file is not UTF-8; save it as UTF-8"})
		return f, nil
	}
	chunks, err := splitDocuments(data)
	if err != nil {
		var se *splitError
		errors.As(err, &se)
		f.errors = append(f.errors, Issue{Code: fgderr.InvalidYAML, File: e.path, Line: se.line, Message: se.msg})
		return f, nil
	}
	return f, chunks
}

// readBytes reads at most maxBytes+1 bytes of the file: the bytes the FS
// holds when it is a memFS, else into a buffer of the size the listing
// gave, so that a large file is read without the copies of a growing one.
func readBytes(fsys fs.FS, e sourceEntry, maxBytes int64) ([]byte, error) {
	if m, ok := fsys.(memFS); ok {
		if data, ok := m.fileBytes(e.path); ok {
			return data[:min(int64(len(data)), maxBytes+1)], nil
		}
	}
	r, err := fsys.Open(e.path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := bytes.NewBuffer(make([]byte, 0, min(e.size, maxBytes)+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(r, maxBytes+1))
	return buf.Bytes(), err
}

// add appends one parsed document of the file, in file order.
func (f *parsedFile) add(d *document) {
	f.docs = append(f.docs, d)
	f.warnings = append(f.warnings, d.warnings...)
	switch d.class {
	case docEmpty:
		return
	case docInvalid:
		f.errors = append(f.errors, d.issues...)
	}
	f.count++
}

func firstInvalidUTF8Line(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}

// enforceDocumentLimit rejects, in path order, the files that would take the
// sync past the document limit.
func enforceDocumentLimit(raw []*parsedFile, limit int) {
	total := 0
	for _, f := range raw {
		if f.rejected() {
			continue
		}
		if total+f.count > limit {
			f.errors = append(f.errors, Issue{Code: fgderr.LimitExceeded, File: f.entry.path,
				Message: fmt.Sprintf("this file would take the sync past %d documents; it is left for a later sync", limit)})
			continue
		}
		total += f.count
	}
}

// unmanagedContent is what a raw file leaves in unmanaged/: the whole file
// when none of it is Hedgehog, else its other documents verbatim.
func (f *parsedFile) unmanagedContent() ([]byte, int) {
	foreign, hedgehog := 0, 0
	for _, d := range f.docs {
		switch d.class {
		case docForeign:
			foreign++
		case docHedgehog:
			hedgehog++
		}
	}
	if hedgehog == 0 {
		return f.data, foreign
	}
	if foreign == 0 {
		return nil, 0
	}
	var buf bytes.Buffer
	for _, d := range f.docs {
		if d.class != docForeign {
			continue
		}
		if buf.Len() > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(d.raw)
		if len(d.raw) > 0 && d.raw[len(d.raw)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), foreign
}

// unmanagedPath mirrors raw/<rel> as unmanaged/<rel>.
func unmanagedPath(rawPath string) string {
	return path.Join(UnmanagedDir, strings.TrimPrefix(rawPath, RawDir+"/"))
}

// checkUnmanagedTarget rejects a raw file whose unmanaged counterpart
// already exists with other content: overwriting it would lose text.
func checkUnmanagedTarget(fsys fs.FS, f *parsedFile) {
	if f.rejected() {
		return
	}
	content, n := f.unmanagedContent()
	if content == nil && n == 0 {
		return
	}
	target := unmanagedPath(f.entry.path)
	existing, err := fs.ReadFile(fsys, target)
	if err == nil && bytes.Equal(existing, content) {
		f.unmanagedUpToDate = true
	}
	if err == nil && !bytes.Equal(existing, content) {
		f.errors = append(f.errors, Issue{Code: fgderr.DuplicateResource, File: f.entry.path,
			Message: fmt.Sprintf("%s already exists with other content; rename %s or move the existing file away", target, f.entry.path)})
	}
}

// requireOnlyResources marks a managed file that holds anything but valid
// Hedgehog resources: it is reported and left untouched.
func requireOnlyResources(f *parsedFile) {
	if f.rejected() {
		return
	}
	for _, d := range f.docs {
		if d.class == docForeign {
			f.errors = append(f.errors, Issue{Code: fgderr.InvalidStructure, File: f.entry.path, Line: d.line,
				Message: "managed/ holds a document that is not a Hedgehog resource; move it to raw/ or unmanaged/"})
		}
	}
}

// builder turns parsed files into the plan.
type builder struct {
	opts     Options
	cfg      *rules.FabricConfig
	plan     *Plan
	raw      []*parsedFile
	managed  []*parsedFile
	existing map[string]*parsedFile // managed files by path

	desired map[string]*resource // identity → the resource that will be managed

	integrityErrors   []Issue // cross-resource errors of managed files, which stay as they are
	integrityWarnings []Issue
	resourceSet       *rules.Set // the fabric after the plan, for DeletionWarnings
}

type claim struct {
	res  *resource
	file *parsedFile
}

// claims groups every valid resource by identity: from raw files, and from
// managed files that are not broken.
func (b *builder) claims(includeRejectedRaw bool) (map[string][]claim, map[string][]claim) {
	n := 0
	for _, f := range b.raw {
		for _, d := range f.docs {
			n += len(d.resources)
		}
	}
	raw, managed := make(map[string][]claim, n), map[string][]claim{}
	for _, f := range b.raw {
		if f.rejected() && !includeRejectedRaw {
			continue
		}
		for _, d := range f.docs {
			for _, r := range d.resources {
				id := r.identity()
				raw[id] = append(raw[id], claim{r, f})
			}
		}
	}
	for _, f := range b.managed {
		if f.rejected() {
			continue
		}
		for _, d := range f.docs {
			for _, r := range d.resources {
				id := r.identity()
				managed[id] = append(managed[id], claim{r, f})
			}
		}
	}
	return raw, managed
}

// rejectConflicts rejects every file that defines a resource differently
// from another file. Valid documents of files rejected for other reasons
// count too: two definitions of one resource need a person either way.
func (b *builder) rejectConflicts() {
	raw, managed := b.claims(true)
	for _, id := range sortedKeys(raw) {
		if cs := raw[id]; differ(cs) {
			markConflict(cs)
		}
	}
	for _, id := range sortedKeys(managed) {
		cs := managed[id]
		if !differ(cs) {
			continue
		}
		markConflict(cs)
		for _, c := range raw[id] {
			c.file.errors = append(c.file.errors, Issue{Code: fgderr.DuplicateResource, File: c.file.entry.path, Line: c.res.line,
				Message: fmt.Sprintf("%s %s/%s is defined differently by several files in managed/; resolve that first", c.res.crd.Kind, c.res.namespace, c.res.name)})
		}
	}
	// A raw resource whose canonical file is a broken managed file with
	// several documents cannot replace it without losing the others.
	raw, _ = b.claims(false)
	for _, id := range sortedKeys(raw) {
		for _, c := range raw[id] {
			if m, ok := b.existing[c.res.path]; ok && m.rejected() && len(m.docs) != 1 {
				c.file.errors = append(c.file.errors, Issue{Code: fgderr.DuplicateResource, File: c.file.entry.path, Line: c.res.line,
					Message: fmt.Sprintf("%s is broken and may hold several documents; fix or remove it before it can be replaced", c.res.path)})
			}
		}
	}
}

func differ(cs []claim) bool {
	for _, c := range cs[1:] {
		if !bytes.Equal(c.res.fingerprint(), cs[0].res.fingerprint()) {
			return true
		}
	}
	return false
}

func markConflict(cs []claim) {
	for i, c := range cs {
		var others []string
		seen := map[string]bool{}
		for j, o := range cs {
			if j == i {
				continue
			}
			loc := fmt.Sprintf("%s:%d", o.file.entry.path, o.res.line)
			if !seen[loc] && !bytes.Equal(o.res.fingerprint(), c.res.fingerprint()) {
				seen[loc] = true
				others = append(others, loc)
			}
		}
		if len(others) == 0 {
			continue
		}
		c.file.errors = append(c.file.errors, Issue{Code: fgderr.DuplicateResource, File: c.file.entry.path, Line: c.res.line, Path: "metadata.name",
			Message: fmt.Sprintf("%s %s/%s is also defined, differently, at %s; keep one definition",
				c.res.crd.Kind, c.res.namespace, c.res.name, strings.Join(others, ", "))})
	}
}

// planResources decides the content of every managed file: raw wins over
// what managed/ holds, and each resource lives at its canonical path.
func (b *builder) planResources() {
	raw, managed := b.claims(false)
	b.desired = map[string]*resource{}
	for id, cs := range managed {
		b.desired[id] = cs[0].res
	}
	for id, cs := range raw {
		b.desired[id] = cs[0].res
	}
	replaced := map[string]bool{}
	for _, id := range sortedKeys(b.desired) {
		r := b.desired[id]
		existing, ok := b.existing[r.path]
		if ok && existing.rejected() {
			// rejectConflicts let this through: the broken file held at most
			// this one document, which the raw resource now replaces.
			replaced[r.path] = true
			b.plan.Warnings = append(b.plan.Warnings, Issue{Code: fgderr.InvalidStructure, File: r.path,
				Message: "was broken and is replaced by " + r.file})
		}
		switch {
		case !ok && b.opts.lean:
			b.plan.Counts.ResourcesCreated++
		case !ok:
			b.plan.Writes = append(b.plan.Writes, FileWrite{Path: r.path, Kind: WriteCreate, Content: r.content})
			b.plan.Counts.ResourcesCreated++
		case bytes.Equal(existing.data, r.content):
			b.plan.Counts.ResourcesUnchanged++
		default:
			b.plan.Writes = append(b.plan.Writes, FileWrite{Path: r.path, Kind: WriteUpdate, Content: r.content})
			b.plan.Counts.ResourcesUpdated++
		}
		if !b.opts.lean {
			b.plan.Resources = append(b.plan.Resources, Resource{APIVersion: r.apiVersion, Kind: r.crd.Kind,
				Namespace: r.namespace, Name: r.name, Path: r.path, Object: r.object})
		}
	}
	// A valid managed file at a path that is no resource's canonical path
	// has had all its resources placed elsewhere: remove it.
	canonical := map[string]bool{}
	for _, r := range b.desired {
		canonical[r.path] = true
	}
	for _, f := range b.managed {
		if f.rejected() || canonical[f.entry.path] {
			continue
		}
		if f.count == 0 {
			b.plan.Warnings = append(b.plan.Warnings, Issue{Code: fgderr.InvalidStructure, File: f.entry.path, Message: "holds no document; left as it is"})
			continue
		}
		b.plan.Removes = append(b.plan.Removes, f.entry.path)
	}
	for _, f := range b.managed {
		if f.rejected() && !replaced[f.entry.path] {
			b.plan.Errors = append(b.plan.Errors, f.errors...)
			b.plan.Rejected = append(b.plan.Rejected, f.entry.path)
			b.plan.Counts.FilesRejected++
		}
		b.plan.Warnings = append(b.plan.Warnings, f.warnings...)
	}
}

// planSources accounts for every raw file: removed with everything it held
// placed elsewhere, or rejected and left byte for byte.
func (b *builder) planSources() {
	for _, f := range b.raw {
		b.plan.Counts.FilesProcessed++
		b.plan.Warnings = append(b.plan.Warnings, f.warnings...)
		src := SourceFile{Path: f.entry.path, Documents: f.count}
		if f.rejected() {
			src.Outcome = OutcomeRejected
			b.plan.Errors = append(b.plan.Errors, f.errors...)
			b.plan.Rejected = append(b.plan.Rejected, f.entry.path)
			b.plan.Counts.FilesRejected++
			b.plan.Sources = append(b.plan.Sources, src)
			continue
		}
		for _, d := range f.docs {
			if d.class == docHedgehog {
				src.Hedgehog++
			}
			for _, r := range d.resources {
				src.Managed = append(src.Managed, r.path)
			}
		}
		if content, n := f.unmanagedContent(); content != nil || n > 0 {
			target := unmanagedPath(f.entry.path)
			src.Unmanaged, src.Foreign = target, n
			if !f.unmanagedUpToDate && !b.opts.lean {
				b.plan.Writes = append(b.plan.Writes, FileWrite{Path: target, Kind: WriteUnmanaged, Content: content})
			}
			b.plan.Counts.FilesUnmanaged++
		}
		src.Outcome = OutcomeIngested
		b.plan.Removes = append(b.plan.Removes, f.entry.path)
		b.plan.Sources = append(b.plan.Sources, src)
	}
}

func (b *builder) finish() {
	p := b.plan
	p.Errors = append(p.Errors, b.integrityErrors...)
	p.Warnings = append(p.Warnings, b.integrityWarnings...)
	p.set = b.resourceSet
	sort.Slice(p.Writes, func(i, j int) bool { return p.Writes[i].Path < p.Writes[j].Path })
	sort.Strings(p.Removes)
	sort.Strings(p.Rejected)
	sort.Slice(p.Sources, func(i, j int) bool { return p.Sources[i].Path < p.Sources[j].Path })
	sortIssues(p.Errors)
	sortIssues(p.Warnings)
}

func sortIssues(is []Issue) {
	sort.SliceStable(is, func(i, j int) bool {
		if is[i].File != is[j].File {
			return is[i].File < is[j].File
		}
		return is[i].Line < is[j].Line
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
