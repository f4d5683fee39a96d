package outbound

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a Client's pooled
// connections are closed by Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
