package ingestion

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestMissingObjectRef: missingObjectRef finds what the regular expression
// it replaces finds, on reference warnings and on random strings over the
// characters that matter.
func TestMissingObjectRef(t *testing.T) {
	re := regexp.MustCompile(`(\w+) "([^"]*)" is not in this FGD`)
	msgs := []string{
		"",
		`SwitchProfile "cumulus-vx" is not in this FGD; it must exist on the fabric (checks that need its content were skipped)`,
		`IPv4Namespace "default" is not in this FGD`,
		`a "b" "c" is not in this FGD`,
		`x "y" is not in this FGD and Kind "z" is not in this FGD`,
		`"q" is not in this FGD`,
		` "q" is not in this FGD`,
		`VPC "" is not in this FGD`,
		`VPC "a
b" is not in this FGD`,
		`Ké "a" is not in this FGD`,
		`Kind "a" is not in this`,
		`Kind "a" is not in this FGD`,
		`Kind  "a" is not in this FGD`,
	}
	tail := `" is not in this FGD`
	parts := []string{"a", "Z_9", " ", `"`, ` "`, tail, "é", "\n", "-", "x"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var m string
		for range rng.IntN(7) {
			m += parts[rng.IntN(len(parts))]
		}
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		kind, name, ok := missingObjectRef(m)
		want := re.FindStringSubmatch(m)
		if ok != (want != nil) || ok && (kind != want[1] || name != want[2]) {
			t.Errorf("missingObjectRef(%q) = %q, %q, %v; the regular expression finds %q", m, kind, name, ok, want)
		}
	}
}
