package rules

// byKind returns the rules of kind. The tables live in kinds_vpc.go (the
// vpc.githedgehog.com kinds, plus VLANNamespace) and kinds_wiring.go (the
// wiring.githedgehog.com kinds); each kind's functions live in the file named
// after it. The tables are never changed at run time.
func byKind(kind string) (kindRules, bool) {
	if r, ok := vpcKinds[kind]; ok {
		return r, true
	}
	r, ok := wiringKinds[kind]
	return r, ok
}
