// Package testdata holds vouch's shared test inputs. It has no code: this
// file only carries the go:generate line that rebuilds the sample image
// layout in image/ (see image/README.md).
package testdata

//go:generate go run ../internal/mksample -out image -ref 1.0.0
