//go:build integration

package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func TestPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresURL(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresURL(t), err)
	}
	defer conn.Close(context.Background())
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("ping PostgreSQL: %v", err)
	}
	var version string
	if err := conn.QueryRow(ctx, "select current_setting('server_version_num')").Scan(&version); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s", version)
	var n int
	if err := conn.QueryRow(ctx, "select $1::int + 1", 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("select 41+1 = %d, %v", n, err)
	}
}

// TestPostgresSchema: the URL PostgresSchema gives selects a schema of its own, where a
// table is made in it and not in public, and the schema is gone once the test that made it
// has ended.
func TestPostgresSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var schema string
	t.Run("make", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, PostgresSchema(t, "testenv"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "CREATE TABLE probe (id int)"); err != nil {
			t.Fatal(err)
		}
		err = conn.QueryRow(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe' AND table_schema = current_schema()").Scan(&schema)
		if err != nil {
			t.Fatalf("the table is not in the current schema: %v", err)
		}
		if !strings.HasPrefix(schema, "testenv_") {
			t.Errorf("schema %q, want testenv_<hex>", schema)
		}
	})
	conn, err := pgx.Connect(ctx, PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema %q still exists (%d, %v) after its test ended", schema, n, err)
	}
}

func TestRedis(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("parse %s: %v", RedisURL(t), err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping Redis: %v", err)
	}
	key := fmt.Sprintf("testenv:%d", time.Now().UnixNano())
	if err := rdb.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	defer rdb.Del(context.Background(), key)
	if got, err := rdb.Get(ctx, key).Result(); err != nil || got != "v" {
		t.Fatalf("GET %s = %q, %v", key, got, err)
	}
}

func TestChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, Chromium(t), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", Chromium(t), err, out)
	}
	if !strings.Contains(string(out), "Chromium") {
		t.Fatalf("%s --version printed %q", Chromium(t), out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}
