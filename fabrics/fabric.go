// Package fabrics defines a fabric (one FGD folder of one branch of a GitHub
// repository), its validation, the fabrics file format (docs/contract.md), and
// lookup of the fabrics a push concerns.
package fabrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// Write modes.
const (
	WriteModePush        = "push"
	WriteModePullRequest = "pull-request"
)

// Defaults applied by Normalize.
const (
	DefaultBranch       = "main"
	DefaultPath         = "."
	DefaultNamespace    = "default"
	DefaultSyncInterval = 5 * time.Minute
)

// Fabric is one registered fabric, in the shape of one entry of the fabrics file.
type Fabric struct {
	Name         string   `json:"name"`
	Repository   string   `json:"repository"`
	CloneURL     string   `json:"clone_url,omitempty"`
	Branch       string   `json:"branch,omitempty"`
	Path         string   `json:"path,omitempty"`
	Namespace    string   `json:"namespace,omitempty"`
	SyncInterval Duration `json:"sync_interval"`
	WriteMode    string   `json:"write_mode,omitempty"`
}

// Duration is a time.Duration written as "5m" in YAML and JSON.
type Duration struct {
	time.Duration
	set bool
}

// NewDuration returns a Duration that counts as explicitly set.
func NewDuration(d time.Duration) Duration { return Duration{Duration: d, set: true} }

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads "5m", "0" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return errors.New("sync_interval must be a duration such as 5m")
		}
		d.Duration, d.set = time.Duration(n*float64(time.Second)), true
		return nil
	}
	if s == "0" {
		d.Duration, d.set = 0, true
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("sync_interval %q is not a duration such as 5m", s)
	}
	d.Duration, d.set = v, true
	return nil
}

// FieldError is a validation failure of one field of a fabric.
type FieldError struct {
	Fabric string
	Field  string
	Code   fgderr.Code
	Msg    string
}

func (e *FieldError) Error() string {
	if e.Fabric != "" {
		return fmt.Sprintf("%s: fabric %q: %s: %s", e.Code, e.Fabric, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Msg)
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	repoOwner    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`)
	repoName     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	errNoFabrics = errors.New("the file has no fabrics: list")
)

// Normalize fills in the defaults: branch main, path ".", namespace default,
// sync_interval 5m when absent, write_mode push.
func (f *Fabric) Normalize() {
	if f.Branch == "" {
		f.Branch = DefaultBranch
	}
	if f.Path == "" {
		f.Path = DefaultPath
	}
	f.Path = path.Clean(f.Path)
	if f.Namespace == "" {
		f.Namespace = DefaultNamespace
	}
	if !f.SyncInterval.set {
		f.SyncInterval = NewDuration(DefaultSyncInterval)
	}
	if f.WriteMode == "" {
		f.WriteMode = WriteModePush
	}
}

// Validate checks every field. Call Normalize first.
func (f Fabric) Validate() error {
	fail := func(field string, code fgderr.Code, format string, args ...any) error {
		return &FieldError{Fabric: f.Name, Field: field, Code: code, Msg: fmt.Sprintf(format, args...)}
	}
	if !dnsLabel.MatchString(f.Name) {
		return fail("name", fgderr.InvalidStructure, "%q is not a DNS label (lowercase letters, digits and '-', at most 63)", f.Name)
	}
	owner, name, ok := strings.Cut(f.Repository, "/")
	if !ok || !repoOwner.MatchString(owner) || !repoName.MatchString(name) || name == "." || name == ".." {
		return fail("repository", fgderr.InvalidStructure, "%q is not a GitHub owner/name", f.Repository)
	}
	if f.CloneURL != "" {
		if err := validateCloneURL(f.CloneURL); err != nil {
			return fail("clone_url", fgderr.InvalidStructure, "%v", err)
		}
	}
	if err := plumbing.NewBranchReferenceName(f.Branch).Validate(); err != nil || strings.HasPrefix(f.Branch, "refs/") {
		return fail("branch", fgderr.InvalidStructure, "%q is not a valid branch name", f.Branch)
	}
	if path.IsAbs(f.Path) || strings.Contains(f.Path, `\`) {
		return fail("path", fgderr.PathEscape, "%q must be a relative path inside the repository", f.Path)
	}
	for _, seg := range strings.Split(f.Path, "/") {
		if seg == ".." {
			return fail("path", fgderr.PathEscape, "%q must not contain ..", f.Path)
		}
		if strings.EqualFold(seg, ".git") {
			return fail("path", fgderr.PathEscape, "%q must not be .git or lie under it", f.Path)
		}
	}
	if !dnsLabel.MatchString(f.Namespace) {
		return fail("namespace", fgderr.InvalidStructure, "%q is not a DNS label", f.Namespace)
	}
	if f.SyncInterval.Duration < 0 {
		return fail("sync_interval", fgderr.InvalidStructure, "must not be negative; 0 disables the periodic sync")
	}
	if f.SyncInterval.Duration > 0 && f.SyncInterval.Duration < time.Second {
		return fail("sync_interval", fgderr.InvalidStructure, "must be 0 or at least 1s, got %s", f.SyncInterval.Duration)
	}
	if f.WriteMode != WriteModePush && f.WriteMode != WriteModePullRequest {
		return fail("write_mode", fgderr.InvalidStructure, "%q must be push or pull-request", f.WriteMode)
	}
	return nil
}

func validateCloneURL(raw string) error {
	if strings.HasPrefix(raw, "/") {
		return nil // a local path, for mirrors and tests
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a URL")
	}
	switch u.Scheme {
	case "https", "http", "file":
	default:
		return fmt.Errorf("scheme %q is not supported; use https://, http:// or file://", u.Scheme)
	}
	if u.User != nil {
		return errors.New("must not hold credentials; set HEDGEHOG_FGD_GITHUB_TOKEN instead")
	}
	return nil
}

// RemoteChecker says whether a clone URL may be contacted
// (github.AllowedRemotes).
type RemoteChecker interface {
	Check(url string) error
}

// CheckRemotes checks every explicit clone_url against the allow list and
// returns, for the first one not allowed, an FGD_2002 *FieldError naming
// the fabric and clone_url. A fabric without clone_url uses the GitHub
// host's URL, which the default allow list holds; the sync checks it again.
func CheckRemotes(list []Fabric, allowed RemoteChecker) error {
	for _, f := range list {
		if f.CloneURL == "" {
			continue
		}
		if err := allowed.Check(f.CloneURL); err != nil {
			msg := err.Error()
			var fe *fgderr.Error
			if errors.As(err, &fe) {
				msg = strings.TrimPrefix(fe.Msg, "clone_url ")
			}
			return &FieldError{Fabric: f.Name, Field: "clone_url", Code: fgderr.PathEscape, Msg: msg}
		}
	}
	return nil
}

// RepositoryKey is the case-insensitive form of an owner/name: GitHub treats
// owner and repository names without regard to case.
func RepositoryKey(repo string) string { return strings.ToLower(repo) }

// Overlaps reports whether two fabrics claim the same files: the same
// repository and branch, and one path inside the other.
func Overlaps(a, b Fabric) bool {
	if RepositoryKey(a.Repository) != RepositoryKey(b.Repository) || a.Branch != b.Branch {
		return false
	}
	return pathContains(a.Path, b.Path) || pathContains(b.Path, a.Path)
}

// pathContains reports whether inner is dir or lies below it.
func pathContains(dir, inner string) bool {
	if dir == "." || dir == inner {
		return true
	}
	return strings.HasPrefix(inner, dir+"/")
}

// Touches reports whether a repository file path lies under the fabric path.
func (f Fabric) Touches(file string) bool { return pathContains(f.Path, file) }

// File is the fabrics file named by HEDGEHOG_FGD_FABRICS_FILE (docs/contract.md).
type File struct {
	Fabrics []Fabric `json:"fabrics"`
}

// LoadFile reads, normalizes and validates a fabrics file, and checks that no
// two fabrics share a name or overlap.
func LoadFile(name string) ([]Fabric, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read fabrics file: %w", err)
	}
	return Parse(b)
}

// Parse is LoadFile on bytes.
func Parse(b []byte) ([]Fabric, error) {
	var f File
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, &FieldError{Field: "fabrics", Code: fgderr.InvalidYAML, Msg: err.Error()}
	}
	if f.Fabrics == nil {
		return nil, &FieldError{Field: "fabrics", Code: fgderr.InvalidStructure, Msg: errNoFabrics.Error()}
	}
	out := make([]Fabric, 0, len(f.Fabrics))
	for i := range f.Fabrics {
		fab := f.Fabrics[i]
		fab.Normalize()
		if err := fab.Validate(); err != nil {
			return nil, err
		}
		for _, other := range out {
			if other.Name == fab.Name {
				return nil, &FieldError{Fabric: fab.Name, Field: "name", Code: fgderr.InvalidStructure, Msg: "is used by two fabrics"}
			}
			if Overlaps(other, fab) {
				return nil, &FieldError{Fabric: fab.Name, Field: "path", Code: fgderr.InvalidStructure,
					Msg: fmt.Sprintf("%q overlaps fabric %q (%q) on %s@%s", fab.Path, other.Name, other.Path, fab.Repository, fab.Branch)}
			}
		}
		out = append(out, fab)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
