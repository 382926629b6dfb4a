package ingestion

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// StructureVersion is the version of the FGD layout this package writes.
const StructureVersion = 1

// keepFile keeps an empty folder in git.
const keepFile = ".gitkeep"

// Manifest is .hnp/manifest.yaml: what the folder is and where each kind
// lives. It holds nothing run-specific, so it never changes by itself.
type Manifest struct {
	StructureVersion int               `yaml:"structure_version"`
	Fabric           string            `yaml:"fabric"`
	Namespace        string            `yaml:"namespace"`
	Kinds            map[string]string `yaml:"kinds"`
}

// ManifestFor returns the manifest of a fabric.
func ManifestFor(b *Bundle, fabric, namespace string) ([]byte, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	m := Manifest{StructureVersion: StructureVersion, Fabric: fabric, Namespace: namespace, Kinds: map[string]string{}}
	for _, c := range b.Kinds() {
		m.Kinds[c.Kind] = path.Join(ManagedDir, c.Plural)
	}
	body, err := yamlv2.Marshal(m)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by fgd-sync: the layout of this Fabric GitOps Directory. Do not edit.\n"), body...), nil
}

// readmeText explains the layout to whoever opens the folder.
func readmeText(fabric string, b *Bundle) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Fabric GitOps Directory: %s\n\n", fabric)
	sb.WriteString(`This folder is kept by fgd-sync. Put Hedgehog fabric YAML into raw/ in any shape:
one big multi-document file or many small ones, at any depth.

On every push fgd-sync validates each document against the Hedgehog CRD schemas and Hedgehog's
own rules (references between resources included) and moves it to one normalized file per
resource:

| path | what it holds |
|---|---|
| raw/ | the drop zone; files that could not be ingested stay here, byte for byte |
| managed/<plural>/<name>.yaml | one resource in the fabric namespace |
| managed/<plural>/<namespace>/<name>.yaml | one resource in another namespace |
| unmanaged/ | documents that are not Hedgehog resources, verbatim, at their raw/ path |
| .hnp/manifest.yaml | the layout: structure version, fabric, kinds and their folders |
| .hnp/fabric.yaml | fabric-wide settings (reserved subnets, VLAN ranges, ASNs) for the rules that need them; all commented out at first, so those rules are skipped |

A raw file is removed only in the commit that adds everything taken out of it; git history
is the archive. Errors are reported on the commit status with file, line and field.

Kinds and their folders:

`)
	for _, c := range b.Kinds() {
		fmt.Fprintf(&sb, "- %s (%s): managed/%s/\n", c.Kind, c.Group, c.Plural)
	}
	return []byte(sb.String())
}

// InitPlan plans the FGD skeleton: raw/, managed/ and unmanaged/ (each kept
// in git by a .gitkeep, so that raw/ stays visible after ingestion empties
// it), .hnp/manifest.yaml, .hnp/fabric.yaml (Hedgehog's defaults, commented
// out) and README.md. Only what is missing is written; nothing that exists
// is touched.
func InitPlan(fsys fs.FS, b *Bundle, fabric, namespace string) (*Plan, error) {
	if b == nil {
		return nil, errors.New("ingestion: a bundle is required")
	}
	plan := &Plan{Writes: []FileWrite{}, Removes: []string{}, Rejected: []string{}, Errors: []Issue{}, Warnings: []Issue{}, Sources: []SourceFile{}}
	manifest, err := ManifestFor(b, fabric, namespace)
	if err != nil {
		return nil, err
	}
	want := []FileWrite{
		{Path: ManifestPath, Kind: WriteStructure, Content: manifest},
		{Path: FabricConfigPath, Kind: WriteStructure, Content: FabricConfigTemplate()},
		{Path: ReadmePath, Kind: WriteStructure, Content: readmeText(fabric, b)},
	}
	for _, dir := range []string{RawDir, ManagedDir, UnmanagedDir} {
		info, err := lstat(fsys, dir)
		switch {
		case err == nil && info.Mode()&fs.ModeSymlink != 0:
			plan.Errors = append(plan.Errors, Issue{Code: fgderr.Symlink, File: dir, Message: dir + "/ is a symlink; make it a real folder"})
			continue
		case err == nil && !info.IsDir():
			plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: dir, Message: dir + " exists and is not a folder"})
			continue
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("ingestion: %s: %w", dir, err)
		}
		want = append(want, FileWrite{Path: path.Join(dir, keepFile), Kind: WriteStructure, Content: []byte{}})
	}
	for _, w := range want {
		if _, err := lstat(fsys, w.Path); errors.Is(err, fs.ErrNotExist) {
			plan.Writes = append(plan.Writes, w)
		}
	}
	return plan, nil
}

// Writer applies a plan somewhere: a local folder, a git work tree.
type Writer interface {
	WriteFile(name string, data []byte) error
	Remove(name string) error
}

// Apply writes every file of the plan, then removes its removals: an
// interruption leaves a document in two places, never in none.
func Apply(p *Plan, w Writer) error {
	for _, f := range p.Writes {
		if err := w.WriteFile(f.Path, f.Content); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	for _, name := range p.Removes {
		if err := w.Remove(name); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}
