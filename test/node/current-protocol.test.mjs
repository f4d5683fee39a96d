// Xano's current realtime (/ws/) spoken the way Xano's own JS SDK builds and reads its
// frames (xano-inc/js-sdk tests/models/realtime-v2.spec.ts): no npm release of a client
// for this protocol exists yet (@xano/js-sdk 3.0.1, the newest, speaks only /rt/), so this
// test builds each frame as the SDK's realtimeBuildActionUtil does — {action, options:
// {channel, ...}, payload} with `type` at the top level and only when given — and checks
// what comes back the way the SDK's v2 state reads it: `message` for deliveries (a `replay`
// is normalised into one), a stable client id for resume. It runs against the chat example
// (examples/chat: realtime_server chat_rt, channel rooms/{room}, message send).

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";

import { buildRelaybase, startRelaybase, tempDir, removeDir, guestToken, waitFor, http } from "./lib/relaybase.mjs";

const WAIT = 10000;

/** The SDK's realtimeBuildActionUtil, as its v2 test pins it down. */
function buildAction(action, options, payload = null, type) {
  const frame = { action, options, payload };
  if (type) frame.type = type;
  return JSON.stringify(frame);
}

/** A socket with a queue of parsed frames and a way to wait for one. */
function connect(url, token) {
  const ws = token ? new WebSocket(url, token) : new WebSocket(url);
  const frames = [];
  const all = []; // every frame, kept
  let closed = null;
  ws.on("message", (data) => { const f = JSON.parse(data.toString()); frames.push(f); all.push(f); });
  ws.on("close", (code) => { closed = code; });
  const opened = new Promise((res, rej) => { ws.once("open", res); ws.once("error", rej); });
  return {
    ws,
    frames,
    all,
    opened,
    get closed() { return closed; },
    send(s) { ws.send(s); },
    /** Waits for the next frame of this action (frames before it are dropped) and returns it. */
    async next(action) {
      return waitFor(() => {
        while (frames.length) {
          const f = frames.shift();
          if (f.action === action) return f;
          if (f.action === "error") throw new Error(`error frame: ${JSON.stringify(f)}`);
        }
        return null;
      }, { timeout: WAIT, what: `a ${action} frame` });
    },
  };
}

describe("current realtime protocol, frames as Xano's SDK builds them", { timeout: 120000 }, () => {
  let server;
  let data;
  let url;

  before(async () => {
    const bin = await buildRelaybase();
    data = tempDir();
    server = await startRelaybase({ bin, data });
    url = `ws://127.0.0.1:${server.port}/ws/chatv2`;
  });

  after(async () => {
    await server?.stop();
    if (data) removeDir(data);
  });

  test("join, broadcast a typed message, receive it as `message`, ack, and replay after a reconnect", async () => {
    const aliceToken = await guestToken(server, "Alice");
    const bobToken = await guestToken(server, "Bob");
    const clientId = "sdk-client-" + Date.now(); // the SDK generates one and keeps it stable

    const alice = connect(url, aliceToken);
    await alice.opened;
    assert.equal(alice.ws.protocol, aliceToken, "the token is echoed as the subprotocol");
    alice.send(buildAction("join", { channel: "rooms/marvel", client_id: clientId }));
    const ack = await alice.next("join");
    assert.deepEqual(ack, {
      action: "join", channel: "rooms/marvel",
      payload: { joined: true, params: { room: "marvel" }, cursor: "0", resumed: false },
    });
    const full = await alice.next("presence_full");
    assert.deepEqual(full.payload.members, []);
    await alice.next("conversation_end");

    const bob = connect(url, bobToken);
    await bob.opened;
    bob.send(buildAction("join", { channel: "rooms/marvel" }));
    await bob.next("join");
    const join = await alice.next("presence_join");
    assert.equal(join.payload.member.authenticated, true);
    assert.deepEqual(join.payload.member.extras, { name: "Bob" });
    assert.equal(typeof join.payload.member.joined_at, "number");

    // v2 carries the message type at the top level, not inside options.
    const sent = buildAction("broadcast", { channel: "rooms/marvel" }, { text: "  hello from the SDK  " }, "send");
    assert.equal(JSON.parse(sent).options.type, undefined);
    bob.send(sent);
    const got = await alice.next("message"); // v2 SENDS broadcast but RECEIVES message
    assert.equal(got.type, "send");
    assert.equal(got.channel, "rooms/marvel");
    assert.equal(got.payload.text, "hello from the SDK");
    assert.equal(got.payload.author, "Bob");
    assert.match(got.id, /^\d+$/);
    const receipt = await bob.next("broadcast");
    assert.equal(receipt.payload.delivered, 2);
    assert.equal(receipt.payload.id, got.id);

    alice.send(JSON.stringify({ action: "ack", options: { channel: "rooms/marvel" }, id: got.id }));
    assert.deepEqual((await alice.next("ack")).payload, { cursor: got.id });

    // A v1 frame (action "message") is not this protocol's: refused, connection kept.
    alice.send(buildAction("message", { channel: "rooms/marvel" }, { text: "v1" }));
    await waitFor(() => alice.frames.find((f) => f.action === "error" && f.payload.code === "unknown_action"), { what: "unknown_action" });

    alice.ws.close();
    await waitFor(() => alice.closed !== null, { what: "close" });
    bob.send(buildAction("broadcast", { channel: "rooms/marvel" }, { text: "while you were away" }, "send"));
    await bob.next("broadcast");

    // Back with the same client id: the cursor, and the missed message as `replay`, which
    // the SDK turns into a Message: same members but the action.
    const again = connect(url, aliceToken);
    await again.opened;
    again.send(buildAction("join", { channel: "rooms/marvel", client_id: clientId }));
    const resumed = await again.next("join");
    assert.equal(resumed.payload.cursor, got.id);
    assert.equal(resumed.payload.resumed, true);
    const replay = await again.next("replay");
    assert.equal(replay.type, "send");
    assert.equal(replay.payload.text, "while you were away");
    assert.ok(Number(replay.id) > Number(got.id));
    bob.ws.close();
    again.ws.close();
  });

  test("a bad token gets one error frame and close 4401", async () => {
    const c = connect(url, "not-a-token");
    await c.opened;
    await waitFor(() => c.closed !== null, { what: "close" });
    assert.equal(c.closed, 4401);
    assert.equal(c.frames[0].action, "error");
    assert.equal(c.frames[0].payload.code, "unauthorized");
  });

  test("ping is answered pong; an anonymous listener may join but not publish", async () => {
    const c = connect(url);
    await c.opened;
    c.send(JSON.stringify({ action: "ping" }));
    await c.next("pong");
    c.send(buildAction("join", { channel: "rooms/dc" }));
    const ack = await c.next("join");
    assert.equal(ack.payload.cursor, undefined, "an anonymous client without client_id has no cursor");
    c.send(buildAction("broadcast", { channel: "rooms/dc" }, { text: "hi" }, "send"));
    const err = await waitFor(() => c.frames.find((f) => f.action === "error"), { what: "error" });
    assert.equal(err.payload.code, "unauthorized");
    c.ws.close();
  });
});

describe("at least once across kill -9", { timeout: 120000 }, () => {
  test("messages committed before the process is killed replay after it restarts on the same data", async () => {
    const bin = await buildRelaybase();
    const data = tempDir();
    let server = await startRelaybase({ bin, data });
    const port = server.port;
    try {
      const url = `ws://127.0.0.1:${port}/ws/chatv2`;
      const clientId = "kill9-" + Date.now();
      const post = async (text) => {
        const r = await http("POST", `${server.base}/api:chat/current/messages`, { channel: "rooms/kill", text, author: "Poster" });
        assert.equal(r.status, 200, r.text);
        return r.json;
      };
      const a = connect(url);
      await a.opened;
      a.send(buildAction("join", { channel: "rooms/kill", client_id: clientId }));
      await a.next("join");
      a.send(JSON.stringify({ action: "ping" }));
      await a.next("pong"); // the join's replay is over: what follows is live
      await post("one");
      const first = await a.next("message");
      a.send(JSON.stringify({ action: "ack", channel: "rooms/kill", id: first.id }));
      await a.next("ack");
      await post("two");
      await post("three");
      await waitFor(() => a.all.filter((f) => f.action === "message").length >= 3, { what: "two and three live" });

      server.proc.kill("SIGKILL");
      await waitFor(() => a.closed !== null, { what: "the socket to drop" });
      assert.equal(a.closed, 1006, "a killed process sends no close frame");

      server = await startRelaybase({ bin, data, port });
      const b = connect(url);
      await b.opened;
      b.send(buildAction("join", { channel: "rooms/kill", client_id: clientId }));
      const ack = await b.next("join");
      // The ack of "one" may or may not have been written before the kill (acks are written
      // behind, every 100 ms): the cursor is at "one" or before it, never past it.
      assert.ok(Number(ack.payload.cursor) <= Number(first.id));
      b.send(JSON.stringify({ action: "ping" }));
      await b.next("pong");
      const replayed = b.all.filter((f) => f.action === "replay").map((f) => f.payload.text);
      for (const t of ["two", "three"]) assert.ok(replayed.includes(t), `"${t}" was not replayed: ${replayed}`);
      // An ack the kill lost is re-delivered: whatever the cursor, every message after it
      // comes back, and none at or before it.
      assert.equal(replayed.includes("one"), Number(ack.payload.cursor) < Number(first.id),
        `cursor ${ack.payload.cursor}, "one" is ${first.id}, replayed ${replayed}`);
      b.ws.close();
    } finally {
      await server.stop();
      removeDir(data);
    }
  });
});
