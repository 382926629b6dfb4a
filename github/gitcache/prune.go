package gitcache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CacheKey names a fabric's cached clone after the fabric, its clone URL
// and its branch. A fabric whose remote or branch changes, or that is
// deleted and made again elsewhere, gets a new key and so a fresh clone on
// every worker; Prune removes the old one.
func CacheKey(fabric, url, branch string) string {
	sum := sha256.Sum256([]byte(url + "\n" + branch))
	return fabric + "-" + hex.EncodeToString(sum[:])[:16]
}

// keyName matches a cache entry named by CacheKey, and the temporary
// folders made next to it (key.something).
var keyName = regexp.MustCompile(`^([a-z0-9][-a-z0-9]*)-[0-9a-f]{16}(\..*)?$`)

// entryKey returns the key an entry of the cache folder belongs to, and the
// fabric of that key. Entries of earlier versions, named after the fabric
// alone, are their fabric's.
func entryKey(name string) (key, fabric string) {
	if m := keyName.FindStringSubmatch(name); m != nil {
		return strings.TrimSuffix(name, m[2]), m[1]
	}
	key, _, _ = strings.Cut(name, ".")
	return key, key
}

// Prune removes every cached clone that keep refuses. keep is asked once
// per entry with its key and fabric; entries whose name starts with a dot
// are not the cache's and are left alone. It answers the removed keys.
func (rc *RepoCache) Prune(keep func(key, fabric string) bool) ([]string, error) {
	entries, err := os.ReadDir(rc.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the repository cache: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		key, fabric := entryKey(e.Name())
		if keep(key, fabric) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(rc.Dir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("remove cached clone %s: %w", e.Name(), err))
			continue
		}
		if e.Name() == key {
			removed = append(removed, key)
		}
	}
	return removed, errors.Join(errs...)
}

// DropFabric removes every cached clone of a fabric, whatever its remote.
func (rc *RepoCache) DropFabric(fabric string) error {
	_, err := rc.Prune(func(_, f string) bool { return f != fabric })
	return err
}
