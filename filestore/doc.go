// Package filestore implements relaybase.FileStore on local disk: the files that a stack
// stores with storage.create_attachment (and create_image, create_video, create_audio),
// kept under a directory of the data dir and served back by httpapi at their path.
//
// A file lives in <dir>/<id>/ beside a small meta.json (name, content type, access, size);
// its path is /vault/<id>/<name>. The id is 128 random bits written in base32, so a path
// cannot be guessed; names are made safe (no folder parts, no control characters, no
// leading dots, at most 200 bytes) and a path is resolved only through its id, whose form
// is checked, and the name recorded for it: nothing a client sends is joined into a disk
// path unchecked, so ../ and the like reach nothing.
//
// Private files are read through signed URLs: HMAC-SHA256 over the path and the expiry,
// with a key the store is given (relaybase derives it from its auth key, so every node that
// shares the key accepts every node's signatures).
//
// Several nodes see the same files only if they share the directory (a shared volume).
// filestore knows the relaybase contract and the disk; nothing of HTTP or XanoScript.
package filestore
