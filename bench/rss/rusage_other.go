//go:build !linux && !darwin

package main

import "os"

// maxRSS is not measured on this OS: it reports 0.
func maxRSS(*os.ProcessState) int64 { return 0 }
