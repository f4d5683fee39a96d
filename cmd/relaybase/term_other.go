//go:build !linux

package main

import (
	"context"
	"os"
)

// isTerminal is false where relaybase cannot turn a terminal's echo off: the password is
// then read as a line of stdin.
func isTerminal(*os.File) bool { return false }

func readNoEcho(f *os.File) (string, error) { return readLine(context.Background(), f) }
