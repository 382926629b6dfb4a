// Package benchcorpus generates the ingestion benchmark's corpus: the real
// nvidia-air-demo include.yaml (166 Hedgehog documents: Connections,
// VPCAttachments, Switches with annotations, …) repeated with suffixed names.
package benchcorpus

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed include.yaml
var template []byte

// DocumentsPerCopy is how many documents one copy of the template holds.
const DocumentsPerCopy = 166

// Copies gives the corpus: 61 × 166 = 10,126 documents.
const Copies = 61

// Files returns copies of the template as raw/<n>.yaml, each with every
// metadata.name suffixed so that no two copies share an identity.
func Files(copies int) map[string][]byte {
	out := make(map[string][]byte, copies)
	for i := 0; i < copies; i++ {
		suffix := []byte(fmt.Sprintf("-c%02d\n", i))
		var buf bytes.Buffer
		for _, line := range bytes.SplitAfter(template, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("  name: ")) {
				buf.Write(bytes.TrimRight(line, "\n"))
				buf.Write(suffix)
				continue
			}
			buf.Write(line)
		}
		out[fmt.Sprintf("raw/copy-%02d.yaml", i)] = buf.Bytes()
	}
	return out
}

// Write writes the corpus into dir/raw.
func Write(dir string, copies int) error {
	for name, data := range Files(copies) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
