package stack

import (
	"strings"
	"testing"

	"relaybase"
)

func TestRedisStatements(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/cache_post.xs": endpointSrc("cache", "POST", `  stack {
    redis.set {
      key = "user:1"
      data = {name: "Ann", tags: ["a"]}
      ttl = 3600
    }
    redis.get { key = "user:1" } as $user
    redis.get { key = "nothing" } as $none
    redis.has { key = "user:1" } as $has
    redis.incr { key = "views" } as $v1
    redis.incr {
      key = "views"
      by = 5
    } as $v2
    redis.decr {
      key = "views"
      by = 2
    } as $v3
    redis.set {
      key = "list"
      data = []|push:"FIRST"
      ttl = 0
    }
    redis.push {
      key = "list"
      value = "second"
    } as $len
    redis.unshift {
      key = "list"
      value = {n: 0}
    }
    redis.range {
      key = "list"
      start = 0
      stop = -1
    } as $all
    redis.pop { key = "list" } as $last
    redis.shift { key = "list" } as $first
    redis.count { key = "list" } as $count
    redis.push {
      key = "list"
      value = "FIRST"
    }
    redis.remove {
      key = "list"
      value = "FIRST"
      count = 0
    }
    redis.get { key = "list" } as $empty
    redis.keys { search = "user" } as $keys
    redis.keys { search = "v*" } as $vkeys
    redis.del { key = "user:1" }
    redis.has { key = "user:1" } as $gone
    redis.set {
      package_key = "pkg"
      key = "k"
      data = 1
    }
    redis.get { key = "pkg:k" } as $pkg
    redis.expire {
      key = "pkg:k"
      ttl = 900
    } as $expired
    redis.expire {
      key = "absent"
      ttl = 900
    } as $absent
    redis.keys { where = "pkg*" } as $where
  }
  response = {user: $user, none: $none, has: $has, v: [$v1, $v2, $v3], len: $len, all: $all, last: $last,
    first: $first, count: $count, empty: $empty, keys: $keys, vkeys: $vkeys, gone: $gone, pkg: $pkg,
    expired: $expired, absent: $absent, where: $where}`),
	})
	out := e.mustCall("POST", "cache", "")
	jsonEq(t, out, `{"user":{"name":"Ann","tags":["a"]},"none":null,"has":true,"v":[1,6,4],"len":2,
		"all":[{"n":0},"FIRST","second"],"last":"second","first":{"n":0},"count":1,"empty":null,
		"keys":["user:1"],"vkeys":["views"],"gone":false,"pkg":1,"expired":true,"absent":false,"where":["pkg:k"]}`)
}

func TestRedisRateLimit(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/limited_get.xs": endpointSrc("limited", "GET", `  stack {
    redis.ratelimit {
      key = "ip:" ~ $env.$remote_ip
      max = 2
      ttl = 60
      error = "Rate limit exceeded"
    } as $status
  }
  response = $status`),
		"api/t/soft_get.xs": endpointSrc("soft", "GET", `  stack {
    redis.ratelimit {
      key = "soft"
      max = 1
      ttl = 60
    } as $status
  }
  response = $status`),
	})
	for i := range 2 {
		if out := e.mustCall("GET", "limited", ""); out != "true" {
			t.Fatalf("call %d: %s", i+1, out)
		}
	}
	_, err := e.call("GET", "limited", "")
	re := wantError(t, err, relaybase.CodeTooManyRequests)
	if re.Message != "Rate limit exceeded" {
		t.Errorf("message %q", re.Message)
	}
	if out := e.mustCall("GET", "soft", ""); out != "true" {
		t.Fatalf("soft 1: %s", out)
	}
	if out := e.mustCall("GET", "soft", ""); out != "false" {
		t.Fatalf("soft 2: %s, want false (no error given)", out)
	}
}

func TestRedisMistakes(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/wrong_get.xs": endpointSrc("wrong", "GET", `  stack {
    redis.set {
      key = "v"
      data = "text"
    }
    redis.push {
      key = "v"
      value = 1
    }
  }`),
		"api/t/notint_get.xs": endpointSrc("notint", "GET", `  stack {
    redis.set {
      key = "t"
      data = "text"
    }
    redis.incr { key = "t" } as $n
  }`),
		"api/t/secret_get.xs": endpointSrc("secret", "GET", `  stack {
    db.add user {
      data = {name: "A", email: "a@x.io", password: "long-enough-pw"}
    } as $u
    redis.set {
      key = "u"
      data = $u
    }
    redis.get { key = "u" } as $back
  }
  response = $back|keys`),
	})
	_, err := e.call("GET", "wrong", "")
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "holds a list where a value is expected, or a value where a list is") {
		t.Errorf("wrong kind: %s", re.Message)
	}
	_, err = e.call("GET", "notint", "")
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "does not hold a whole number") {
		t.Errorf("not an integer: %s", re.Message)
	}
	// A row's password hash never goes into the cache.
	if out := e.mustCall("GET", "secret", ""); strings.Contains(out, "password") {
		t.Errorf("the cached row kept its password: %s", out)
	}
	bad := loadEnv(t, map[string]string{
		"api/t/x_get.xs": endpointSrc("x", "GET", `  stack {
    redis.get {} as $x
    redis.push { key = "k" }
  }`),
	})
	var msgs []string
	for _, d := range bad.diags {
		msgs = append(msgs, d.Message)
	}
	if all := strings.Join(msgs, "\n"); !strings.Contains(all, "redis.get needs key") || !strings.Contains(all, "redis.push needs value") {
		t.Errorf("diagnostics: %s", all)
	}
}
