package stack

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestZipAndStreams(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/zip_post.xs": endpointSrc("zip", "POST", `  stack {
    zip.create_archive { filename = "export.zip" } as $archive
    zip.add_to_archive {
      archive = $archive
      files = [{path: "data/users.json", content: [{id: 1}]|json_encode}, {path: "../../evil.txt", content: "x"}, {path: "readme.txt", content: "hi"}]
    }
    storage.create_file_resource {
      filename = "notes.md"
      filedata = "# notes"
    } as $notes
    zip.add_to_archive {
      file = $notes
      zip = $archive
    }
    zip.view_contents { archive = $archive } as $before
    zip.delete_from_archive {
      archive = $archive
      paths = ["readme.txt"]
    }
    zip.extract { zip = $archive } as $files
    storage.create_attachment {
      value = $archive
      access = "public"
      filename = "export.zip"
    } as $stored
  }
  response = {before: ($before|map:$$.path), files: ($files|map:{path: $$.path, content: $$.content}), stored: $stored.path, size: $archive.size}`),
		"api/t/csv_post.xs": endpointSrc("csv", "POST", `  stack {
    storage.create_file_resource {
      filename = "people.csv"
      filedata = "name;age\nAnn;31\n\"Bo; Jr\";4\n"
    } as $file
    stream.from_csv {
      value = $file
      separator = ";"
      enclosure = "\""
    } as $rows
    stream.from_jsonl { value = "{\"a\":1}\n\n[2]\n" } as $lines
    var $count { value = 0 }
    foreach ($rows) {
      each as $row {
        math.add $count { value = 1 }
      }
    }
  }
  response = {rows: $rows, lines: $lines, count: $count}`),
		"api/t/notzip_post.xs": endpointSrc("notzip", "POST", `  stack {
    storage.create_file_resource {
      filename = "x.zip"
      filedata = "not a zip"
    } as $f
    zip.view_contents { archive = $f } as $c
  }`),
	})
	out := e.mustCall("POST", "zip", "")
	o := decodeObject(t, out)
	jsonEq(t, mustJSON(t, get(o, "before")), `["data/users.json","evil.txt","readme.txt","notes.md"]`)
	jsonEq(t, mustJSON(t, get(o, "files")), `[{"path":"data/users.json","content":"[{\"id\":1}]"},{"path":"evil.txt","content":"x"},{"path":"notes.md","content":"# notes"}]`)
	stored, _ := e.readStored(get(o, "stored").(string))
	zr, err := zip.NewReader(bytes.NewReader([]byte(stored)), int64(len(stored)))
	if err != nil {
		t.Fatalf("the stored archive: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "notes.md" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != "# notes" {
				t.Errorf("notes.md holds %q", b)
			}
		}
	}
	if strings.Join(names, " ") != "data/users.json evil.txt notes.md" {
		t.Errorf("stored archive holds %v", names)
	}
	if get(o, "size") != int64(len(stored)) {
		t.Errorf("the archive's size %v, stored %d bytes", get(o, "size"), len(stored))
	}

	jsonEq(t, e.mustCall("POST", "csv", ""), `{"rows":[["name","age"],["Ann","31"],["Bo; Jr","4"]],"lines":[{"a":1},[2]],"count":3}`)
	if _, err := e.call("POST", "notzip", ""); err == nil || !strings.Contains(err.Error(), "not a ZIP archive") {
		t.Errorf("a file that is not a zip: %v", err)
	}
}
