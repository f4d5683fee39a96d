// The official SDK, @xano/js-sdk@3.0.1, over real TLS on port 443 of localhost, as an app
// reaches a relaybase that serves TLS itself (issue 15): no URL is rewritten. The SDK builds
// wss://localhost/rt/<canonical> (port dropped, TLS assumed) and https://localhost/api:chat
// itself; relaybase listens on 127.0.0.1:443 with a certificate for localhost signed by a
// certificate authority made for this run (test/node/lib/testcert.go), which the SDK's Node
// process trusts through NODE_EXTRA_CA_CERTS (lib/sdk-tls-child.cjs).
//
//   node --test test/node/sdk-tls443.test.mjs      (RELAYBASE_BIN=... to skip the build)
//
// Port 443 needs root or CAP_NET_BIND_SERVICE (scripts/test runs as root in CI). Without
// them, or with 443 taken, the test fails and says so: it never skips.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

import { ROOT, buildRelaybase, startRelaybase, tempDir, removeDir, http } from "./lib/relaybase.mjs";

const run = promisify(execFile);
const CANONICAL = "marvel-chat";
const ROOM = "marvel_chat_room";

/** Resolves when 127.0.0.1:443 can be bound (and frees it); rejects saying why not. */
function canBind443() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (err) => {
      const uid = process.getuid?.();
      const why = err.code === "EACCES"
        ? `binding a port below 1024 needs root or CAP_NET_BIND_SERVICE, and this runs as uid ${uid}`
        : err.code === "EADDRINUSE" ? "something else listens on 127.0.0.1:443" : err.message;
      reject(new Error(`this test needs port 443 of 127.0.0.1 (the SDK always dials wss://HOST on 443): ${why}`));
    });
    srv.listen(443, "127.0.0.1", () => srv.close(resolve));
  });
}

describe("@xano/js-sdk@3.0.1 over wss://localhost on port 443", { timeout: 120000 }, () => {
  let bin;
  let certs;
  let data;
  let server;

  before(async () => {
    await canBind443();
    bin = await buildRelaybase();
    certs = tempDir("relaybase-tls-");
    await run("go", ["run", "test/node/lib/testcert.go", "-dir", certs, "-hosts", "localhost,127.0.0.1,::1"], { cwd: ROOT });
    data = tempDir();
    server = await startRelaybase({
      bin, data, port: 443,
      args: ["--tls-cert", join(certs, "cert.pem"), "--tls-key", join(certs, "key.pem")],
    });
  });

  after(async () => {
    await server?.stop();
    if (data) removeDir(data);
    if (certs) removeDir(certs);
  });

  test("relaybase prints https://localhost and wss://localhost on 443", () => {
    assert.equal(server.base, "https://localhost");
    assert.equal(new URL(server.realtime).origin, "wss://localhost");
    assert.equal(new URL(server.realtime).pathname, `/rt/${CANONICAL}`);
  });

  test("without the test CA, TLS to localhost:443 is refused: the certificate is really checked", async () => {
    const err = await fetch("https://localhost/healthz").then(() => null, (e) => e);
    assert.ok(err, "fetch trusted a certificate from an authority it was never given");
    assert.match(String(err.cause?.code ?? err.cause ?? err), /CERT|certificate|SELF_SIGNED|UNABLE/i);
  });

  test("the SDK joins over wss://localhost, posts over https://localhost, and gets its event", async () => {
    const text = `over TLS on 443, ${Date.now()}`;
    const { stdout } = await run(process.execPath, [join(ROOT, "test/node/lib/sdk-tls-child.cjs"), CANONICAL, ROOM, text], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(certs, "ca.pem") },
      timeout: 60000,
    }).catch((err) => { throw new Error(`the SDK's process failed: ${err.stdout || ""}${err.stderr || err.message}\n${server.logs()}`); });
    const result = JSON.parse(stdout.trim().split("\n").at(-1));
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.opened, [`wss://localhost/rt/${CANONICAL}`], "the URL the SDK built, used as it was");
    assert.ok(result.joined, "the SDK got its join reply");
    assert.deepEqual(result.statuses, ["connected"]);
    assert.equal(result.event.text, text);
    assert.equal(result.event.author, "TLS");
    assert.equal(typeof result.event.id, "number", "the event carries the stored row");
  });

  test("the row the SDK posted is stored: read back over https with the test CA", async () => {
    // The test's own process was not started with NODE_EXTRA_CA_CERTS: read it through the
    // SDK's process again, as a plain GET with the SDK's client.
    const { stdout } = await run(process.execPath, ["-e", `
      const { XanoNodeClient } = require('@xano/js-sdk');
      new XanoNodeClient({ apiGroupBaseUrl: 'https://localhost/api:chat' })
        .get('/messages', { channel: '${ROOM}', per_page: 5 })
        .then((r) => console.log(JSON.stringify(r.getBody())), (e) => { console.error(e.message); process.exit(1); });
    `], { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: join(certs, "ca.pem") }, timeout: 30000 });
    const page = JSON.parse(stdout);
    assert.ok(page.items.some((m) => m.author === "TLS"), `no TLS row in ${stdout}`);
  });
});
