//go:build !linux

package corpus

import "runtime"

// pinThread locks the calling goroutine to its thread; there is no kernel
// engine here, so CPU affinity does not matter.
func pinThread() (unpin func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
