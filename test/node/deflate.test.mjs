// permessage-deflate (RFC 7692) with a real client: the Node `ws` package, which negotiates
// and speaks the extension itself, against a real `relaybase serve examples/chat`.
//
//   node --test test/node/deflate.test.mjs

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { chromium } from "playwright-core";

import {
  buildRelaybase, startRelaybase, waitFor, tempDir, removeDir, postMessage, guestToken,
} from "./lib/relaybase.mjs";

const ROOM = "marvel_chat_room";
const CHROMIUM = process.env.RELAYBASE_TEST_CHROMIUM;

/** A ws client that keeps every frame it receives, parsed. */
async function connect(url, token, perMessageDeflate) {
  const socket = new WebSocket(url, token ? [token] : [], { perMessageDeflate });
  const frames = [];
  socket.on("message", (data, isBinary) => {
    assert.equal(isBinary, false, "the server sends text frames only");
    frames.push(JSON.parse(data.toString("utf8")));
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const next = (pred, what) => waitFor(() => {
    const i = frames.findIndex(pred);
    return i >= 0 ? frames.splice(i, 1)[0] : undefined;
  }, { what, timeout: 10000 });
  return { socket, frames, next, bytesRead: () => socket._socket.bytesRead };
}

describe("permessage-deflate with the ws package", { timeout: 120000 }, () => {
  let bin;
  let data;
  let server;

  before(async () => {
    bin = await buildRelaybase();
    data = tempDir();
    server = await startRelaybase({ bin, data });
  });

  after(async () => {
    await server?.stop();
    if (data) removeDir(data);
  });

  test("negotiated, broadcast frames arrive compressed and read the same, client frames decompressed", async () => {
    const token = await guestToken(server, "Zed");
    // threshold 0: the client compresses every frame it sends, the join included.
    const zipped = await connect(server.realtime, token, { threshold: 0, clientNoContextTakeover: true });
    const plain = await connect(server.realtime, token, false);
    try {
      assert.match(zipped.socket.extensions, /^permessage-deflate/, "the server accepted the offer");
      assert.equal(plain.socket.extensions, "", "nothing negotiated without an offer");

      for (const c of [zipped, plain]) {
        c.socket.send(JSON.stringify({ action: "join", options: { channel: ROOM }, payload: { history: false, presence: false } }));
        await c.next((f) => f.action === "join", "join reply");
      }

      const text = "Compressed frames for everyone who asked. ".repeat(12);
      const before = [zipped.bytesRead(), plain.bytesRead()];
      const row = await postMessage(server, text, { author: "Zed" });
      const isIt = (f) => f.action === "event" && f.payload?.id === row.id;
      const [zf, pf] = await Promise.all([zipped.next(isIt, "event (compressed)"), plain.next(isIt, "event (plain)")]);
      assert.deepEqual(zf, pf, "the same event either way");
      assert.equal(zf.payload.text, text.trim());
      const zBytes = zipped.bytesRead() - before[0];
      const pBytes = plain.bytesRead() - before[1];
      assert.ok(zBytes < pBytes * 0.6, `compressed event took ${zBytes} bytes on the wire, uncompressed ${pBytes}`);

      // A compressed client frame is read: public messages are off in this room, so the
      // server's answer (forbidden, naming the room) shows it decompressed and parsed it.
      zipped.socket.send(JSON.stringify({ action: "message", options: { channel: ROOM }, payload: { text: "hi" } }));
      const err = await zipped.next((f) => f.action === "error", "error reply");
      assert.equal(err.payload.code, "forbidden");
      assert.equal(err.options.channel, ROOM);
    } finally {
      zipped.socket.close();
      plain.socket.close();
    }
  });

  test("Chromium offers it, relaybase accepts it, and the chat page runs over it", async () => {
    if (!CHROMIUM) {
      throw new Error("RELAYBASE_TEST_CHROMIUM is not set: it must name a Chromium binary (./scripts/test sets /usr/bin/chromium)");
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      const handshakes = [];
      cdp.on("Network.webSocketHandshakeResponseReceived", (e) => handshakes.push(e.response));
      await page.goto(server.app);
      await page.waitForSelector('body[data-connection="connected"]', { timeout: 15000 });
      const hs = await waitFor(() => handshakes.find((r) => r.status === 101), { what: "the WebSocket handshake" });
      const ext = Object.entries(hs.headers).find(([k]) => k.toLowerCase() === "sec-websocket-extensions")?.[1] ?? "";
      assert.match(ext, /permessage-deflate/, `handshake response: ${JSON.stringify(hs.headers)}`);

      // A message posted now reaches the page over the compressed connection.
      const text = "Over a compressed socket: " + "la ".repeat(60);
      await postMessage(server, text, { author: "Zed" });
      await page.waitForFunction((t) => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === t), text.trim(), { timeout: 15000 });
    } finally {
      await browser.close();
    }
  });
});
