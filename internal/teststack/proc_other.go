//go:build !linux

package teststack

import "syscall"

// childAttr has no parent-death signal to ask for outside Linux: a fulcio
// left behind by a killed test binary must be stopped by hand there.
func childAttr() *syscall.SysProcAttr {
	return nil
}
