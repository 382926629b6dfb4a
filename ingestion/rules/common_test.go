package rules

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestDNS1123: IsDNS1123Subdomain and IsDNS1123Label accept exactly what
// the regular expressions they replace accept, on chosen names and on
// random strings over the characters that matter.
func TestDNS1123(t *testing.T) {
	subdomain := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	label := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	names := []string{"", "a", "-", ".", "a.", ".a", "a..b", "a.b", "a-b", "a-", "-a", "a.-b", "a-.b", "A", "a_b",
		"vpc-0-c00", "leaf-1.example", "1", "0.0", "a\n", "a.b\n", "é", "a b", "ab-cd.ef-gh.ij"}
	alphabet := []byte("az09-._A\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(8))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		names = append(names, string(b))
	}
	for _, n := range names {
		if got, want := IsDNS1123Subdomain(n), subdomain.MatchString(n); got != want {
			t.Errorf("IsDNS1123Subdomain(%q) = %v, the regular expression says %v", n, got, want)
		}
		if got, want := IsDNS1123Label(n), label.MatchString(n); got != want {
			t.Errorf("IsDNS1123Label(%q) = %v, the regular expression says %v", n, got, want)
		}
	}
}
