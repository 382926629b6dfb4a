//go:build !linux

package fabricdir

import (
	"context"
	"errors"
	"fmt"
)

// Dir is an open fabric folder; this system has none.
type Dir struct{}

var errUnsupported = fmt.Errorf("fabricdir: writing a fabric folder safely needs Linux: %w", errors.ErrUnsupported)

// Open fails: fabricdir relies on Linux's *at system calls.
func Open(dir string, opts Options) (*Dir, error) { return nil, errUnsupported }

// OpenBeneath fails: fabricdir relies on Linux's *at system calls.
func OpenBeneath(root, sub string, opts Options) (*Dir, error) { return nil, errUnsupported }

// Apply fails.
func (d *Dir) Apply(ctx context.Context, writes []File, removes []string) error {
	return errUnsupported
}

// PruneEmpty fails.
func (d *Dir) PruneEmpty(sub string) error { return errUnsupported }

// Close does nothing.
func (d *Dir) Close() error { return nil }
