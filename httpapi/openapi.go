package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"relaybase/stack"
	"relaybase/value"
)

// openAPI describes one API group as an OpenAPI 3.0 document: every endpoint with its
// path parameters, its inputs (query parameters for GET and DELETE, a JSON body otherwise)
// with their types, bearer auth where the endpoint has auth, and the error body.
func openAPI(canonical, serverURL string, eps []*stack.Endpoint) *value.Object {
	paths := value.NewObject(len(eps))
	sorted := append([]*stack.Endpoint(nil), eps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	secured := false
	for _, ep := range sorted {
		p := "/" + ep.Path
		item, _ := paths.Get(p)
		ops, ok := item.(*value.Object)
		if !ok {
			ops = value.NewObject(2)
			paths.Set(p, ops)
		}
		ops.Set(strings.ToLower(ep.Verb), operation(ep))
		secured = secured || ep.Auth != ""
	}
	errSchema := value.ObjectOf("type", "object", "properties", value.ObjectOf(
		"code", value.ObjectOf("type", "string"),
		"message", value.ObjectOf("type", "string"),
		"payload", value.ObjectOf(),
	))
	components := value.ObjectOf("schemas", value.ObjectOf("Error", errSchema))
	if secured {
		components.Set("securitySchemes", value.ObjectOf("bearer", value.ObjectOf("type", "http", "scheme", "bearer", "bearerFormat", "JWE")))
	}
	return value.ObjectOf(
		"openapi", "3.0.3",
		"info", value.ObjectOf("title", "API group "+canonical, "version", "1"),
		"servers", []any{value.ObjectOf("url", serverURL)},
		"paths", paths,
		"components", components,
	)
}

func operation(ep *stack.Endpoint) *value.Object {
	op := value.ObjectOf("operationId", strings.ToLower(ep.Verb)+"_"+strings.NewReplacer("/", "_", "{", "", "}", "").Replace(ep.Path))
	pathParams := map[string]bool{}
	for _, seg := range strings.Split(ep.Path, "/") {
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			pathParams[seg[1:len(seg)-1]] = true
		}
	}
	var params []any
	props := value.NewObject(len(ep.Inputs))
	var required []any
	inQuery := ep.Verb == http.MethodGet || ep.Verb == http.MethodDelete
	for _, in := range ep.Inputs {
		switch {
		case pathParams[in.Name]:
			params = append(params, value.ObjectOf("name", in.Name, "in", "path", "required", true, "schema", inputSchema(in)))
		case inQuery:
			name := in.Name
			if in.Array {
				name += "[]"
			}
			params = append(params, value.ObjectOf("name", name, "in", "query", "required", in.Required, "schema", inputSchema(in)))
		default:
			props.Set(in.Name, inputSchema(in))
			if in.Required {
				required = append(required, in.Name)
			}
		}
	}
	if len(params) > 0 {
		op.Set("parameters", params)
	}
	if props.Len() > 0 {
		schema := value.ObjectOf("type", "object", "properties", props)
		if len(required) > 0 {
			schema.Set("required", required)
		}
		// Files travel as parts of a multipart body; an endpoint that takes one takes that.
		ctype := "application/json"
		for _, in := range ep.Inputs {
			if isFileType(in.Type) {
				ctype = "multipart/form-data"
			}
		}
		op.Set("requestBody", value.ObjectOf("required", len(required) > 0, "content",
			value.ObjectOf(ctype, value.ObjectOf("schema", schema))))
	}
	errResp := value.ObjectOf("description", "error", "content", value.ObjectOf("application/json",
		value.ObjectOf("schema", value.ObjectOf("$ref", "#/components/schemas/Error"))))
	op.Set("responses", value.ObjectOf("200", value.ObjectOf("description", "the response of the stack",
		"content", value.ObjectOf("application/json", value.ObjectOf("schema", value.ObjectOf()))), "default", errResp))
	if ep.Auth != "" {
		op.Set("security", []any{value.ObjectOf("bearer", []any{})})
	}
	return op
}

// inputSchema maps an input's XanoScript type to a JSON schema.
func inputSchema(in stack.Input) *value.Object {
	var s *value.Object
	switch in.Type {
	case "int":
		s = value.ObjectOf("type", "integer", "format", "int64")
	case "timestamp":
		s = value.ObjectOf("type", "integer", "format", "int64", "description", "milliseconds since the epoch, or ISO 8601 text")
	case "decimal":
		s = value.ObjectOf("type", "number")
	case "bool":
		s = value.ObjectOf("type", "boolean")
	case "email":
		s = value.ObjectOf("type", "string", "format", "email")
	case "password":
		s = value.ObjectOf("type", "string", "format", "password")
	case "date":
		s = value.ObjectOf("type", "string", "format", "date")
	case "uuid":
		s = value.ObjectOf("type", "string", "format", "uuid")
	case "enum":
		vals := make([]any, len(in.Values))
		for i, v := range in.Values {
			vals[i] = v
		}
		s = value.ObjectOf("type", "string", "enum", vals)
	case "object":
		props := value.NewObject(len(in.Fields))
		for _, f := range in.Fields {
			props.Set(f.Name, inputSchema(f))
		}
		s = value.ObjectOf("type", "object", "properties", props)
	case "json":
		s = value.NewObject(0)
	case "file", "image", "video", "audio", "attachment":
		s = value.ObjectOf("type", "string", "format", "binary")
	default:
		s = value.ObjectOf("type", "string")
	}
	if in.Nullable {
		s.Set("nullable", true)
	}
	if in.Default != nil {
		s.Set("default", in.Default)
	}
	if in.Array {
		s = value.ObjectOf("type", "array", "items", s)
	}
	return s
}

// isFileType reports whether an input type takes an uploaded file.
func isFileType(t string) bool {
	switch t {
	case "file", "image", "video", "audio", "attachment":
		return true
	}
	return false
}
