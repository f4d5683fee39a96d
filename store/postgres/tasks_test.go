//go:build integration

package postgres_test

import (
	"testing"

	"relaybase/store/storetest"
)

func TestTaskLedger(t *testing.T) { storetest.RunTaskLedger(t, opener()) }
