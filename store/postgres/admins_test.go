//go:build integration

package postgres_test

import (
	"testing"

	"relaybase/store/storetest"
)

func TestAdmins(t *testing.T) { storetest.RunAdmins(t, opener()) }
