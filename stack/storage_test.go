package stack

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

// upload runs an endpoint with files sent as multipart parts: fields maps an input name to
// its content, file names to their parts.
func (e *tenv) upload(path string, inputs map[string]any, files map[string][2]string) (string, error) {
	e.t.Helper()
	in := value.NewObject(0)
	for k, v := range inputs {
		in.Set(k, value.Normalize(v))
	}
	ups := map[*value.Object]Upload{}
	for field, f := range files {
		name, content := f[0], f[1]
		o := value.ObjectOf("name", name, "size", int64(len(content)), "mime", "")
		ups[o] = Upload{Name: name, Size: int64(len(content)), Open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(content)), nil
		}}
		in.Set(field, o)
	}
	return e.run(e.endpoint("POST", path), &Request{Input: in, Method: "POST", URI: "/api:t/" + path, Uploads: ups})
}

func pngBytes(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (e *tenv) readStored(path string) (string, relaybase.StoredFile) {
	e.t.Helper()
	rc, info, err := e.files.OpenFile(context.Background(), path)
	if err != nil {
		e.t.Fatalf("open %s: %v", path, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b), info
}

func decodeObject(t *testing.T, s string) *value.Object {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*value.Object)
	if !ok {
		t.Fatalf("not an object: %s", s)
	}
	return o
}

func get(o *value.Object, path ...string) any {
	var v any = o
	for _, k := range path {
		v = member(v, k)
	}
	return v
}

func TestStorageAttachments(t *testing.T) {
	e := newEnv(t, map[string]string{
		"table/doc.xs": `table doc {
  schema {
    int id
    text title
    attachment? file?
  }
}`,
		"api/t/docs_post.xs": endpointSrc("docs", "POST", `  input {
    text title
    file? document
  }
  stack {
    precondition ($input.document != null) {
      error_type = "inputerror"
      error = "Provide a file."
    }
    storage.create_attachment {
      value = $input.document
      access = "private"
      filename = $input.document.name
    } as $stored
    db.add doc {
      data = {title: $input.title, file: $stored}
    } as $rec
    db.get doc {
      field_name = "id"
      field_value = $rec.id
    } as $back
    storage.sign_private_url {
      pathname = $back.file.path
      ttl = 600
    } as $url
    storage.read_file_resource {
      value = $back.file
    } as $content
  }
  response = {stored: $stored, back: $back.file, url: $url, content: $content, input: $input.document}`),
	})
	out, err := e.upload("docs", map[string]any{"title": "Receipt"}, map[string][2]string{"document": {"../receipt.pdf", "%PDF-1.4 fake"}})
	if err != nil {
		t.Fatal(err)
	}
	o := decodeObject(t, out)
	stored := get(o, "stored").(*value.Object)
	path, _ := stored.Get("path")
	p := path.(string)
	if !strings.HasPrefix(p, "/vault/") || !strings.HasSuffix(p, "/receipt.pdf") {
		t.Fatalf("path %v", path)
	}
	want := `{"access":"private","path":"` + p + `","name":"receipt.pdf","type":"pdf","size":13,"mime":"application/pdf","meta":{"validated":false}}`
	jsonEq(t, mustJSON(t, stored), want)
	jsonEq(t, mustJSON(t, get(o, "back")), want) // stored in the table and read back whole
	jsonEq(t, mustJSON(t, get(o, "input")), `{"name":"../receipt.pdf","size":13,"mime":"application/pdf","type":"pdf"}`)
	jsonEq(t, mustJSON(t, get(o, "content")), `{"name":"receipt.pdf","size":13,"mime":"application/pdf","data":"%PDF-1.4 fake"}`)
	if content, info := e.readStored(p); content != "%PDF-1.4 fake" || info.Access != "private" {
		t.Fatalf("stored %q %+v", content, info)
	}
	u, err := url.Parse(get(o, "url").(string))
	if err != nil || u.Path != p {
		t.Fatalf("signed url %v: %v", get(o, "url"), err)
	}
	exp, _ := strconv.ParseInt(u.Query().Get("expires"), 10, 64)
	if exp != fixedNow.Add(600*time.Second).Unix() || !e.files.VerifyFile(p, exp, u.Query().Get("signature"), fixedNow) {
		t.Errorf("the signed url does not verify: %s", u)
	}

	// A file input takes an upload, not text.
	_, err = e.call("POST", "docs", `{"title": "x", "document": "https://example.com/a.pdf"}`)
	if re := wantError(t, err, relaybase.CodeInputError); !strings.Contains(re.Message, "expected an uploaded file") {
		t.Errorf("text for a file: %s", re.Message)
	}
	_, err = e.call("POST", "docs", `{"title": "x", "document": null}`)
	if re := wantError(t, err, relaybase.CodeInputError); re.Message != "Provide a file." {
		t.Errorf("no file: %s", re.Message)
	}
}

func TestStorageImagesAndResources(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/avatar_post.xs": endpointSrc("avatar", "POST", `  input {
    image photo
  }
  stack {
    storage.create_image {
      value = $input.photo
      access = "public"
      filename = "avatar.png"
    } as $img
  }
  response = $img`),
		"api/t/export_post.xs": endpointSrc("export", "POST", `  stack {
    storage.create_file_resource {
      filename = "export.csv"
      filedata = "id,name\n1,Ann\n"
    } as $res
    storage.read_file_resource { value = $res } as $read
    storage.create_attachment {
      value = $res
      access = "public"
      filename = "export.csv"
    } as $stored
    storage.create_attachment {
      value = $stored
      filename = "copy.csv"
    } as $copy
    storage.delete_file { pathname = $stored.path }
  }
  response = {res: $res, read: $read, stored: $stored, copy: $copy}`),
		"api/t/media_post.xs": endpointSrc("media", "POST", `  input {
    file clip
  }
  stack {
    storage.create_video {
      value = $input.clip
      access = "private"
      filename = $input.clip.name
    } as $v
  }
  response = $v`),
	})
	out, err := e.upload("avatar", nil, map[string][2]string{"photo": {"me.png", pngBytes(t, 7, 3)}})
	if err != nil {
		t.Fatal(err)
	}
	img := decodeObject(t, out)
	if get(img, "type") != "image" || get(img, "mime") != "image/png" || get(img, "meta", "width") != int64(7) ||
		get(img, "meta", "height") != int64(3) || get(img, "access") != "public" || get(img, "name") != "avatar.png" {
		t.Errorf("image %s", out)
	}
	_, err = e.upload("avatar", nil, map[string][2]string{"photo": {"me.png", "not an image at all"}})
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "Invalid file extension") {
		t.Errorf("a text file as an image: %s", re.Message)
	}
	if _, err = e.upload("media", nil, map[string][2]string{"clip": {"clip.txt", "hello"}}); err == nil {
		t.Error("a text file was stored as a video")
	}

	out = e.mustCall("POST", "export", "")
	o := decodeObject(t, out)
	jsonEq(t, mustJSON(t, get(o, "res")), `{"name":"export.csv","size":14,"mime":"text/csv; charset=utf-8","type":"attachment"}`)
	if get(o, "read", "data") != "id,name\n1,Ann\n" {
		t.Errorf("read %s", out)
	}
	stored, copied := get(o, "stored", "path").(string), get(o, "copy", "path").(string)
	if _, _, err := e.files.OpenFile(context.Background(), stored); err == nil {
		t.Error("storage.delete_file left the file")
	}
	if content, info := e.readStored(copied); content != "id,name\n1,Ann\n" || info.Name != "copy.csv" || info.Access != "public" {
		t.Errorf("copy %q %+v", content, info)
	}
}

func TestImageSizes(t *testing.T) {
	if w, h, ok := imageSize([]byte(pngBytes(t, 640, 480))); !ok || w != 640 || h != 480 {
		t.Errorf("png: %d %d %v", w, h, ok)
	}
	// A lossless WebP header: 1x1 image.
	webpL := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	if w, h, ok := imageSize(webpL); !ok || w != 1 || h != 1 {
		t.Errorf("webp lossless: %d %d %v", w, h, ok)
	}
	// An extended WebP header whose canvas is 300x200 (stored minus one).
	webpX := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00"), 0x2b, 0x01, 0x00, 0xc7, 0x00, 0x00)
	if w, h, ok := imageSize(webpX); !ok || w != 300 || h != 200 {
		t.Errorf("webp extended: %d %d %v", w, h, ok)
	}
	if _, _, ok := imageSize([]byte("nothing")); ok {
		t.Error("a size for no image")
	}
}
