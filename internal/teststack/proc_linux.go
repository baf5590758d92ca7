//go:build linux

package teststack

import "syscall"

// childAttr asks the kernel to kill fulcio when the thread that started it
// dies; startFulcio keeps that thread alive for as long as the process runs.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
