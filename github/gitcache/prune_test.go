package gitcache

import (
	"regexp"
	"testing"
)

// TestCacheKey: the key changes with the fabric, the clone URL and the
// branch, and only with them.
func TestCacheKey(t *testing.T) {
	base := CacheKey("dc1", "https://github.com/acme/fab.git", "main")
	if !regexp.MustCompile(`^dc1-[0-9a-f]{16}$`).MatchString(base) {
		t.Fatalf("key %q is not <fabric>-<16 hex>", base)
	}
	tests := []struct {
		name, fabric, url, branch string
		same                      bool
	}{
		{"same fabric, remote and branch", "dc1", "https://github.com/acme/fab.git", "main", true},
		{"another remote", "dc1", "https://github.com/acme/other.git", "main", false},
		{"another branch", "dc1", "https://github.com/acme/fab.git", "prod", false},
		{"another fabric", "dc2", "https://github.com/acme/fab.git", "main", false},
		{"url and branch not confused", "dc1", "https://github.com/acme/fab.git\nmain", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CacheKey(tc.fabric, tc.url, tc.branch); (got == base) != tc.same {
				t.Fatalf("key %s vs %s: same = %v, want %v", got, base, got == base, tc.same)
			}
		})
	}
	for _, tc := range []struct{ entry, key, fabric string }{
		{base, base, "dc1"},
		{base + ".cloning", base, "dc1"},
		{"dc1", "dc1", "dc1"},
		{"dc1.cloning", "dc1", "dc1"},
		{"leaf-2-" + base[4:], "leaf-2-" + base[4:], "leaf-2"},
	} {
		if key, fabric := entryKey(tc.entry); key != tc.key || fabric != tc.fabric {
			t.Fatalf("entry %s: key %s fabric %s, want %s %s", tc.entry, key, fabric, tc.key, tc.fabric)
		}
	}
}
