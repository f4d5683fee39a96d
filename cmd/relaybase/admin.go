package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaybase"
	"relaybase/admin"
	"relaybase/auth"
	"relaybase/workspace"
)

// adminCommand is `relaybase admin`: the accounts of the console at /_/.
func adminCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage the accounts of the admin console at /_/",
	}
	create := &cobra.Command{
		Use:   "create EMAIL [DIR]",
		Short: "Create an admin of the console of the workspace in DIR (default .)",
		Long: "admin create stores a new admin account in the workspace's database (the same settings\n" +
			"as serve: --db, --data). The password is asked for twice without echo when stdin is a\n" +
			"terminal; otherwise it is the first line of stdin. At least 10 characters.",
		Args: cobra.RangeArgs(1, 2),
	}
	registerFlags(create.Flags())
	create.RunE = func(cmd *cobra.Command, args []string) error {
		dir := "."
		if len(args) > 1 {
			dir = args[1]
		}
		password, err := readPassword(cmd.InOrStdin(), stderr)
		if err != nil {
			return err
		}
		store, err := openWorkspaceStore(cmd, dir, getenv)
		if err != nil {
			return err
		}
		defer store.Close()
		admins, ok := store.(relaybase.Admins)
		if !ok {
			return errors.New("admin create: this database keeps no admin accounts")
		}
		a, err := admin.CreateAccount(cmd.Context(), admins, auth.NewPasswords().Hash, args[0], password, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "admin %s created (id %d); log in at /_/\n", a.Email, a.ID)
		return nil
	}
	cmd.AddCommand(create)
	return cmd
}

// openWorkspaceStore opens the database the workspace in dir is served on, with serve's
// settings, and nothing else (no migration of the workspace's tables, no engine).
func openWorkspaceStore(cmd *cobra.Command, dir string, getenv func(string) string) (relaybase.Store, error) {
	ws, _, err := workspace.Load(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := resolveConfig(cmd.Flags(), getenv, ws.Config)
	if err != nil {
		return nil, err
	}
	dataDir := cfg.str("data")
	if dataDir == "" {
		dataDir = filepath.Join(ws.Dir, ".relaybase")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return openStore(cmd.Context(), cfg.str("db"), dataDir, nil)
}

// readPassword asks for the password twice without echo when in is a terminal, and reads
// the first line of in otherwise (so scripts can pipe it in).
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(prompt, "Password: ")
		first, err := readNoEcho(f)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		second, err := readNoEcho(f)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if first != second {
			return "", errors.New("the two passwords differ")
		}
		return first, nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

// readLine reads one line from f, up to a newline, without buffering past it.
func readLine(ctx context.Context, f *os.File) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 4096 {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(one)
		if n == 1 {
			if one[0] == '\n' || one[0] == '\r' {
				return string(b), nil
			}
			b = append(b, one[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				return string(b), nil
			}
			return "", err
		}
	}
	return "", errors.New("the line is too long")
}

// maskedSettings is the configuration in force as the console shows it: the passwords of
// database and engine URLs and the key given in the environment are masked.
func maskedSettings(cfg *config) map[string]string {
	out := make(map[string]string, len(cfg.values))
	for k, v := range cfg.values {
		switch {
		case k == "db" || k == "engine":
			out[k] = maskURL(v)
		default:
			out[k] = v
		}
	}
	return out
}

// maskURL hides the password (or the lone user, which is often a token) of a URL.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if strings.Contains(s, "@") { // not parsable, but may hold credentials
			return admin.Masked
		}
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	} else {
		u.User = url.User("xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", admin.Masked, 1)
}
