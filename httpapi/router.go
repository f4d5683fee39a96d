package httpapi

import (
	"net/url"
	"strings"
)

// router matches endpoint paths within API groups. Routes are few and paths short, so it
// indexes groups by canonical and routes by verb and segment count, then compares segments;
// collisions were refused at load (workspace.Collide), so at most one route matches.
type router[T any] struct {
	groups map[string]map[routeKey][]*route[T]
}

type routeKey struct {
	verb string
	n    int // number of segments
}

type route[T any] struct {
	segs   []string // literal text, or "" for a {param}
	params []string // param name per segment ("" for literals)
	target T
}

func newRouter[T any]() *router[T] {
	return &router[T]{groups: map[string]map[routeKey][]*route[T]{}}
}

// add registers path (e.g. "messages/{id}") for verb in the group with this canonical.
func (r *router[T]) add(canonical, verb, path string, target T) {
	segs := splitSegments(path)
	rt := &route[T]{segs: make([]string, len(segs)), params: make([]string, len(segs)), target: target}
	for i, s := range segs {
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			rt.params[i] = s[1 : len(s)-1]
		} else {
			rt.segs[i] = s
		}
	}
	g := r.groups[canonical]
	if g == nil {
		g = map[routeKey][]*route[T]{}
		r.groups[canonical] = g
	}
	k := routeKey{verb, len(segs)}
	g[k] = append(g[k], rt)
}

// hasGroup reports whether a canonical names a group.
func (r *router[T]) hasGroup(canonical string) bool {
	_, ok := r.groups[canonical]
	return ok
}

// match finds the route for a request path below the group's base URL. path is the
// escaped path (URL.EscapedPath): it is split at its slashes first and each segment
// unescaped after, so an escaped slash (%2F) stays inside its segment, the way a client
// that escapes a parameter means it. Literal segments are compared exactly; a {param}
// segment takes any non-empty text.
func (r *router[T]) match(canonical, verb, path string) (target T, params map[string]string, ok bool) {
	g := r.groups[canonical]
	if g == nil {
		return target, nil, false
	}
	segs := splitSegments(path)
	for i, s := range segs {
		if strings.IndexByte(s, '%') >= 0 {
			u, err := url.PathUnescape(s)
			if err != nil {
				return target, nil, false
			}
			segs[i] = u
		}
	}
	for _, rt := range g[routeKey{verb, len(segs)}] {
		matched := true
		for i, s := range segs {
			if rt.params[i] == "" && rt.segs[i] != s {
				matched = false
				break
			}
			if rt.params[i] != "" && s == "" {
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		for i, name := range rt.params {
			if name != "" {
				if params == nil {
					params = map[string]string{}
				}
				params[name] = segs[i]
			}
		}
		return rt.target, params, true
	}
	return target, nil, false
}

func splitSegments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// splitAPIPath splits "/api:chat:v2/messages/1" into ("chat", "messages/1"). The optional
// branch segment after a second colon is accepted and ignored until branches exist.
func splitAPIPath(p string) (canonical, rest string, ok bool) {
	if !strings.HasPrefix(p, "/api:") {
		return "", "", false
	}
	p = p[len("/api:"):]
	head, rest, _ := strings.Cut(p, "/")
	canonical, _, _ = strings.Cut(head, ":")
	return canonical, rest, canonical != ""
}
