package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"relaybase/internal/testenv"
)

var storageWorkspace = map[string]string{
	"api/app/api_group.xs": "api_group app {\n  canonical = \"app\"\n}\n",
	"table/photo.xs": `table photo {
  schema {
    int id
    text caption?
    image? picture?
  }
}`,
	"api/app/upload_post.xs": `query upload verb=POST {
  input {
    text access
    file document
    text? caption?
  }
  stack {
    storage.create_attachment {
      value = $input.document
      access = $input.access
      filename = $input.document.name
    } as $stored
    storage.sign_private_url {
      pathname = $stored.path
      ttl = 3600
    } as $signed
    db.add photo {
      data = {caption: $input.caption, picture: $stored}
    } as $row
  }
  response = {file: $row.picture, signed: $signed}
}`,
	"api/app/many_post.xs": `query many verb=POST {
  input {
    file[] photos
  }
  stack {
    var $names { value = [] }
    foreach ($input.photos) {
      each as $p {
        storage.create_attachment {
          value = $p
          access = "public"
          filename = $p.name
        } as $s
        array.push $names { value = $s.name }
      }
    }
  }
  response = $names
}`,
}

// post sends a multipart body: fields, then files as (field, file name, content type,
// content).
func (s *server) post(path string, fields map[string]string, files ...[4]string) reply {
	s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f[0]+`"; filename="`+f[1]+`"`)
		h.Set("Content-Type", f[2])
		part, err := w.CreatePart(h)
		if err != nil {
			s.t.Fatal(err)
		}
		part.Write([]byte(f[3]))
	}
	w.Close()
	resp, err := http.Post(s.base+path, w.FormDataContentType(), &body)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, header: resp.Header, body: data}
	_ = json.Unmarshal(data, &out.json)
	return out
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStoredFilesAreServed(t *testing.T) {
	dir := testenv.TempFiles(t, storageWorkspace)
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, dir, data)

	// A public file: served at its path to anyone, with its type, never sniffed.
	r := s.post("/api:app/upload", map[string]string{"access": "public", "caption": "hi"},
		[4]string{"document", "notes.txt", "text/plain", "plain words"})
	wantStatus(t, r, http.StatusOK, "")
	path := field(r.json, "file", "path").(string)
	if field(r.json, "file", "name") != "notes.txt" || field(r.json, "file", "size") != float64(11) || field(r.json, "file", "access") != "public" {
		t.Fatalf("stored %s", r.body)
	}
	resp, body := fetch(t, s.base+path)
	if resp.StatusCode != 200 || body != "plain words" || resp.Header.Get("Content-Type") != "text/plain" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("GET %s: %d %q %v", path, resp.StatusCode, body, resp.Header)
	}
	if m, _ := filepath.Glob(filepath.Join(data, "files", id0(path), "data")); len(m) != 1 {
		t.Errorf("the file is not under the data directory: %v", m)
	}
	// Anything but the exact path is 404, traversal included.
	id := strings.Split(path, "/")[2]
	for _, p := range []string{"/vault/" + id + "/other.txt", "/vault/" + id + "/meta.json", "/vault/" + id + "/..%2f..%2fauth.key",
		"/vault/zzzzzzzzzzzzzzzzzzzzzzzzzz/notes.txt", "/vault/" + id + "/%2e%2e"} {
		if resp, _ := fetch(t, s.base+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}

	// A private file needs its signed URL.
	r = s.post("/api:app/upload", map[string]string{"access": "private"},
		[4]string{"document", "page.html", "text/html", "<script>alert(1)</script>"})
	wantStatus(t, r, http.StatusOK, "")
	path = field(r.json, "file", "path").(string)
	if resp, _ := fetch(t, s.base+path); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a private file without a signature: %d", resp.StatusCode)
	}
	signed := field(r.json, "signed").(string)
	if resp, _ := fetch(t, s.base+strings.Replace(signed, "signature=", "signature=x", 1)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a private file with a wrong signature: %d", resp.StatusCode)
	}
	resp, body = fetch(t, s.base+signed)
	if resp.StatusCode != 200 || body != "<script>alert(1)</script>" {
		t.Fatalf("signed GET: %d %q", resp.StatusCode, body)
	}
	// HTML is a download, in a sandbox: a stored file never runs in relaybase's origin.
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") ||
		resp.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("headers of a private HTML file: %v", resp.Header)
	}

	// Several files in one field (photos[]) are an array.
	r = s.post("/api:app/many", nil,
		[4]string{"photos[]", "a.txt", "text/plain", "a"}, [4]string{"photos[]", "b.txt", "text/plain", "b"})
	wantStatus(t, r, http.StatusOK, "")
	if got, _ := json.Marshal(r.json); string(got) != `["a.txt","b.txt"]` {
		t.Errorf("many: %s", r.body)
	}
	// The API's description says how to send a file: a multipart part, binary.
	spec := s.do("GET", "/api:app/openapi.json", nil)
	wantStatus(t, spec, http.StatusOK, "")
	doc := field(spec.json, "paths", "/upload", "post", "requestBody", "content", "multipart/form-data", "schema", "properties", "document")
	if field(doc, "format") != "binary" {
		t.Errorf("openapi upload body: %s", spec.body)
	}
	// A file input without a file part is a 400.
	wantStatus(t, s.post("/api:app/upload", map[string]string{"access": "public", "document": "text"}), http.StatusBadRequest, "ERROR_CODE_INPUT_ERROR")
}

func id0(path string) string { return strings.Split(path, "/")[2] }
