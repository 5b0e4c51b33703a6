package main

// blasInfo describes the BLAS backend; filled in when package blas lands.
func blasInfo() []string { return nil }
