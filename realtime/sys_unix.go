//go:build unix && !linux

package realtime

import "syscall"

// sysRead and sysWrite: see sys_linux.go. Elsewhere system calls go through libc or the
// scheduler's wrappers, as the syscall package makes them.
func sysRead(fd uintptr, p []byte) (int, error)  { return syscall.Read(int(fd), p) }
func sysWrite(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
