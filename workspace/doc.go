// Package workspace loads a workspace directory (docs/xanoscript.md, "Workspaces"): it parses
// every .xs file with package xs, sorts the objects by kind (a file's kind comes from its
// first keyword, not its folder), reads relaybase.yaml, and checks what can be checked
// without running anything (table definitions, channel rules, route collisions). It does
// not compile stacks: package stack does, from the nodes kept here. Tasks keep their
// schedule, read here (Schedule.Next says when a task runs next); LoadFile reads a single
// multi-document file, such as a run.job bundle, as a workspace.
package workspace
