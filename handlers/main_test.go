package handlers

import (
	"os"
	"testing"
)

// TestMain runs the test binary as one of BenchmarkReceivers' receiver
// processes when asked to (see benchChild), and as the tests otherwise.
func TestMain(m *testing.M) {
	if role := os.Getenv(benchChildEnv); role != "" {
		os.Exit(runBenchChild(role, os.Getenv(benchRedisEnv)))
	}
	os.Exit(m.Run())
}
