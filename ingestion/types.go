package ingestion

import (
	"fmt"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// The folders and files of an FGD, relative to the fabric folder.
const (
	RawDir       = "raw"
	ManagedDir   = "managed"
	UnmanagedDir = "unmanaged"
	ManifestPath = ".hnp/manifest.yaml"
	ReadmePath   = "README.md"
)

// Default limits (docs/contract.md); both can be configured.
const (
	DefaultMaxFileBytes = 5 << 20
	DefaultMaxDocuments = 100_000
	DefaultMaxRawBytes  = 64 << 20
	DefaultNamespace    = "default"
)

// Issue is one error or warning, in the sync record's shape.
type Issue struct {
	Code fgderr.Code `json:"code"`
	File string      `json:"file,omitempty"`
	Line int         `json:"line,omitempty"`
	Path string      `json:"path,omitempty"`
	// Rule is the Hedgehog rule broken (VPC-12, …; docs/hedgehog-rules.md),
	// when the issue comes from one; the message ends with it in brackets.
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

func (i Issue) String() string {
	loc := i.File
	if i.Line > 0 {
		loc = fmt.Sprintf("%s:%d", i.File, i.Line)
	}
	if i.Path != "" {
		return fmt.Sprintf("%s: %s %s: %s", loc, i.Code, i.Path, i.Message)
	}
	return fmt.Sprintf("%s: %s %s", loc, i.Code, i.Message)
}

// Options configure one ingestion.
type Options struct {
	Bundle       *Bundle // required
	Namespace    string  // the fabric namespace; DefaultNamespace when empty
	MaxFileBytes int64   // DefaultMaxFileBytes when zero
	MaxDocuments int     // DefaultMaxDocuments when zero
	MaxRawBytes  int64   // bytes of raw/ one sync reads; DefaultMaxRawBytes when zero
	Workers      int     // files parsed at once; runtime.GOMAXPROCS when zero
	// FabricConfig, when set, is used instead of the FGD's .hnp/fabric.yaml
	// (fgdctl validate --fabric-config). With neither, the rules that need
	// fabric-wide settings are skipped.
	FabricConfig *rules.FabricConfig

	// lean plans only to report, a folder without managed/
	// (ValidateFiles): every finding, count and source as Ingest gives
	// them, but no writes and no resources, so that each document is
	// dropped once checked and only what the checks across documents need
	// is kept of it. With managed/ files its counts would be wrong: their
	// content is compared with the resources' YAML, which lean never writes.
	lean bool
}

// WriteKind says why a file is written.
type WriteKind string

// The kinds of write.
const (
	WriteCreate    WriteKind = "create"    // a new managed resource
	WriteUpdate    WriteKind = "update"    // a managed resource whose file changes
	WriteUnmanaged WriteKind = "unmanaged" // documents that are not Hedgehog resources
	WriteStructure WriteKind = "structure" // the FGD skeleton (init)
)

// FileWrite is one file to write, relative to the fabric folder.
type FileWrite struct {
	Path    string    `json:"path"`
	Kind    WriteKind `json:"kind"`
	Content []byte    `json:"-"`
}

// Counts are the sync record's counts.
type Counts struct {
	FilesProcessed     int `json:"files_processed"`
	ResourcesCreated   int `json:"resources_created"`
	ResourcesUpdated   int `json:"resources_updated"`
	ResourcesUnchanged int `json:"resources_unchanged"`
	FilesUnmanaged     int `json:"files_unmanaged"`
	FilesRejected      int `json:"files_rejected"`
}

// Resource is one managed resource as it will be after the plan is applied.
type Resource struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Namespace  string         `json:"namespace"`
	Name       string         `json:"name"`
	Path       string         `json:"path"`
	Object     map[string]any `json:"object"`
}

// Outcome says what became of a source file.
type Outcome string

// The outcomes.
const (
	OutcomeIngested Outcome = "ingested" // everything landed; the file is removed
	OutcomeRejected Outcome = "rejected" // the file stays byte for byte
	OutcomeKept     Outcome = "kept"     // not YAML, or a symlink: left where it is
)

// SourceFile accounts for one file of raw/: how many documents it held and
// where each went. Every document is in exactly one place.
type SourceFile struct {
	Path      string   `json:"path"`
	Outcome   Outcome  `json:"outcome"`
	Documents int      `json:"documents"`
	Hedgehog  int      `json:"hedgehog,omitempty"`  // documents that went to managed/ (a List is one)
	Managed   []string `json:"managed,omitempty"`   // one entry per Hedgehog resource
	Unmanaged string   `json:"unmanaged,omitempty"` // where its other documents went
	Foreign   int      `json:"foreign,omitempty"`   // how many documents went to Unmanaged
}

// Plan is what ingestion decided. Applying it (writes, then removes) turns
// the fabric folder into its normalized form.
type Plan struct {
	Writes    []FileWrite  `json:"writes"`
	Removes   []string     `json:"removes"`
	Rejected  []string     `json:"rejected"`
	Errors    []Issue      `json:"errors"`
	Warnings  []Issue      `json:"warnings"`
	Counts    Counts       `json:"counts"`
	Resources []Resource   `json:"-"`
	Sources   []SourceFile `json:"sources"`

	set *rules.Set // Resources as Hedgehog's rules see them
}

// Empty reports whether applying the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Writes) == 0 && len(p.Removes) == 0 }

// SyncState is the sync-record state this plan leads to: succeeded with no
// error, partial when some files were rejected but others landed or stand,
// failed when nothing could be ingested.
func (p *Plan) SyncState() string {
	switch {
	case len(p.Errors) == 0:
		return "succeeded"
	case p.Counts.FilesProcessed > p.Counts.FilesRejected || !p.Empty():
		return "partial"
	default:
		return "failed"
	}
}
