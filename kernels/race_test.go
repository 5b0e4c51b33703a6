//go:build race

package kernels

// raceDetector: built with -race (see lengths).
const raceDetector = true
