//go:build unix

package ingestion

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, all threads: on a
// machine shared with other work, what one run costs, where wall time
// measures the neighbours too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
