// Package enginetest is the conformance suite every relaybase.Engine passes (engine/memory
// now, engine/redis later): delivery to subscribed nodes only, per-publisher ordering,
// presence add/remove/list across nodes, Close stopping delivery, and resubscriptions
// reported (relaybase.Resubscriber) after an interruption. It imports only the
// root package and the standard library, so any engine's tests can run it.
package enginetest
