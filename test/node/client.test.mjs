// Tests of /relaybase.js: first its own rules against an in-memory socket, then the module as
// the server serves it, against a real `relaybase serve examples/chat` (built by the test).
//
//   node --test test/node/client.test.mjs

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

import { fakeSocketClass } from "./lib/fake-socket.mjs";
import {
  buildRelaybase, startRelaybase, loadClient, waitFor, tempDir, removeDir, freePort,
  http, postMessage, guestToken,
} from "./lib/relaybase.mjs";

const ROOM = "marvel_chat_room";

// The module as it is in the tree (the rules below), loaded the way a browser loads it: as an
// ES module whatever package.json says.
const source = readFileSync(new URL("../../web/relaybase.js", import.meta.url));
const local = await import(`data:text/javascript;base64,${source.toString("base64")}`);

// ---------------------------------------------------------------------------------------------
// The client's own rules, with the test playing the server.

describe("relaybase.js rules (in-memory socket)", () => {
  const url = "ws://example.test:8080/rt/marvel-chat";
  const me = { socketId: "s-me", extras: { name: "Me" }, permissions: { dbo_id: 1, row_id: 1 } };
  const other = (id, name) => ({ socketId: id, extras: { name }, permissions: { dbo_id: 1, row_id: 2 } });

  function setup(options = {}) {
    const FakeSocket = fakeSocketClass();
    const client = new local.RelaybaseClient({ url, WebSocket: FakeSocket, ...options });
    return { FakeSocket, client };
  }

  test("takes a full ws:// URL, sends the token as the subprotocol, joins on open", () => {
    const { FakeSocket, client } = setup({ token: "tok.en" });
    const ch = client.channel(ROOM, { presence: true });
    assert.equal(FakeSocket.instances.length, 1);
    assert.equal(FakeSocket.last.url, url);
    assert.deepEqual(FakeSocket.last.protocols, ["tok.en"]);
    FakeSocket.last.open();
    assert.deepEqual(FakeSocket.last.sent, [{ action: "join", options: { channel: ROOM }, payload: { history: false, presence: true } }]);
    assert.equal(client.channel(ROOM), ch, "one object per channel name");
    client.close();
    assert.deepEqual(FakeSocket.last.sentOf("leave"), [{ action: "leave", options: { channel: ROOM }, payload: null }]);
    assert.equal(FakeSocket.last.closedWith, 1000);

    const anon = setup();
    anon.client.channel(ROOM);
    assert.equal(anon.FakeSocket.last.protocols, undefined, "no subprotocol when anonymous");
    anon.client.close();
    assert.throws(() => new local.RelaybaseClient({ url: "http://example.test/rt/x", WebSocket: FakeSocket }), /ws:\/\/ or wss:\/\//);
  });

  test("presence is a map by socketId: full replaces, join/leave edit, never twice", () => {
    const { FakeSocket, client } = setup();
    const ch = client.channel(ROOM, { presence: true });
    const s = FakeSocket.last;
    s.open();
    const frame = (action, payload) => ({ action, options: { channel: ROOM }, payload });
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 0 } });
    s.receive(frame("presence_full", { presence: [me, other("s-b", "B")] }));
    assert.deepEqual(ch.getPresence().map((c) => c.socketId), ["s-me", "s-b"]);
    s.receive(frame("presence_update", { action: "join", presence: other("s-b", "B") }));
    s.receive(frame("presence_update", { action: "join", presence: other("s-c", "C") }));
    assert.deepEqual(ch.getPresence().map((c) => c.socketId), ["s-me", "s-b", "s-c"]);
    s.receive(frame("presence_update", { action: "leave", presence: other("s-b", "B") }));
    assert.deepEqual(ch.getPresence().map((c) => c.socketId), ["s-me", "s-c"]);
    s.receive(frame("presence_full", { presence: [me] }));
    assert.deepEqual(ch.getPresence().map((c) => c.socketId), ["s-me"]);
    assert.equal(ch.getPresence()[0].extras.name, "Me");

    // A presence entry can be messaged privately.
    ch.getPresence()[0].message({ hi: 1 });
    assert.deepEqual(s.sentOf("message").at(-1), { action: "message", options: { channel: ROOM, socketId: "s-me" }, payload: { hi: 1 } });
    client.close();
  });

  test("frames reach their channel; errors go to onError only; channel-less frames reach all", () => {
    const { FakeSocket, client } = setup();
    const a = client.channel("room/a");
    const b = client.channel("room/b");
    const got = { a: [], aErr: [], b: [], bEvents: [], errOnly: [] };
    a.on((f) => got.a.push(f.action), (f) => got.aErr.push(f.payload.code));
    b.on((f) => got.b.push(f.action));
    b.on("event", (f) => got.bEvents.push(f.payload));
    b.on("error", (f) => got.errOnly.push(f.payload.code));
    const s = FakeSocket.last;
    s.open();
    s.receive({ action: "event", options: { channel: "room/b" }, payload: 1 });
    s.receive({ action: "error", options: { channel: "room/a" }, payload: { code: "forbidden", message: "no" } });
    s.receive({ action: "error", options: {}, payload: { code: "bad_frame", message: "?" } });
    s.receive({ action: "message", options: { channel: "room/zzz" }, payload: 2 });
    assert.deepEqual(got.a, ["connection_status"]);
    assert.deepEqual(got.aErr, ["forbidden", "bad_frame"]);
    assert.deepEqual(got.b, ["connection_status", "event"], "an error without onError is not given to fn");
    assert.deepEqual(got.bEvents, [1]);
    assert.deepEqual(got.errOnly, ["bad_frame"]);
    client.close();
  });

  test("resume: rejoins with {since, epoch}, drops frames seen twice, starts over on a new epoch", () => {
    const { FakeSocket, client } = setup();
    const ch = client.channel(ROOM);
    const events = [];
    const status = [];
    ch.on("event", (f) => events.push(f.payload));
    ch.on("connection_status", (f) => status.push(f.payload));
    let s = FakeSocket.last;
    s.open();
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 5 } });
    assert.equal(ch.epoch, "e1");
    assert.equal(ch.offset, 5);
    s.receive({ action: "event", options: { channel: ROOM }, payload: "six", offset: 6 });
    s.receive({ action: "event", options: { channel: ROOM }, payload: "seven", offset: 7 });

    s.serverClose(1012);
    assert.equal(status.at(-1).status, "disconnected");
    assert.equal(status.at(-1).code, 1012);
    assert.equal(status.at(-1).reconnecting, true);
    assert.ok(status.at(-1).retryIn >= 500 && status.at(-1).retryIn <= 1000, `first retry in ${status.at(-1).retryIn} ms`);
    client.connect(); // skip the delay
    s = FakeSocket.last;
    assert.equal(FakeSocket.instances.length, 2);
    s.open();
    assert.deepEqual(s.sentOf("join")[0].payload, { history: false, presence: false, since: 7, epoch: "e1" });
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 9 } });
    assert.equal(ch.offset, 7, "the offset moves with the replayed frames, not with the join reply");
    s.receive({ action: "event", options: { channel: ROOM }, payload: "seven", offset: 7 }); // a duplicate
    s.receive({ action: "event", options: { channel: ROOM }, payload: "eight", offset: 8 });
    s.receive({ action: "event", options: { channel: ROOM }, payload: "nine", offset: 9 });
    assert.deepEqual(events, ["six", "seven", "eight", "nine"]);

    // The server lost its sequence: new epoch, history_gap, full history; offsets restart.
    client.realtimeReconnect();
    s = FakeSocket.last;
    s.open();
    assert.deepEqual(s.sentOf("join")[0].payload, { history: false, presence: false, since: 9, epoch: "e1" });
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e2", offset: 2 } });
    s.receive({ action: "error", options: { channel: ROOM }, payload: { code: "history_gap", message: "gap" } });
    s.receive({ action: "history", options: { channel: ROOM }, payload: { history: [
      { action: "event", options: { channel: ROOM }, payload: "a", offset: 1, created_at: 1 },
      { action: "event", options: { channel: ROOM }, payload: "b", offset: 2, created_at: 2 },
    ] } });
    assert.equal(ch.epoch, "e2");
    assert.equal(ch.offset, 2);
    s.receive({ action: "event", options: { channel: ROOM }, payload: "c", offset: 3 });
    assert.deepEqual(events.slice(-1), ["c"]);
    client.close();
  });

  test("holes: a rejoin asks from the oldest unseen offset, fills it once, settles what never comes", () => {
    const { FakeSocket, client } = setup();
    const ch = client.channel(ROOM);
    const events = [];
    ch.on("event", (f) => events.push(f.offset));
    let s = FakeSocket.last;
    s.open();
    const ev = (offset) => ({ action: "event", options: { channel: ROOM }, payload: offset, offset });
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 10 } });
    s.receive(ev(11));
    s.receive(ev(14)); // 12 and 13 did not come
    s.receive(ev(15));
    assert.deepEqual([...ch.holes].sort(), [12, 13]);
    s.receive(ev(13)); // a late one fills its hole
    s.receive(ev(13)); // and only once
    s.receive(ev(15));
    assert.deepEqual(events, [11, 14, 15, 13]);
    assert.deepEqual([...ch.holes], [12]);

    s.serverClose(1006);
    client.connect();
    s = FakeSocket.last;
    s.open();
    assert.deepEqual(s.sentOf("join")[0].payload, { history: false, presence: false, since: 11, epoch: "e1" },
      "the rejoin asks for everything after the frame before the oldest hole");
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 16 } });
    // The replay: 12 is one this member may not receive (the server skips it), 13..15 are
    // seen already, 16 is new.
    for (const o of [13, 14, 15, 16]) s.receive(ev(o));
    assert.deepEqual(events, [11, 14, 15, 13, 16], "replayed frames seen before are dropped");
    assert.equal(ch.holes.size, 0, "a hole the replay did not fill by the reply's offset is settled");

    s.serverClose(1006);
    client.connect();
    FakeSocket.last.open();
    assert.equal(FakeSocket.last.sentOf("join")[0].payload.since, 16);
    client.close();
  });

  test("history_gap: the channel asks again from its oldest hole; after a resume the full history settles it", async () => {
    const { FakeSocket, client } = setup();
    const ch = client.channel(ROOM);
    const errors = [];
    const events = [];
    ch.on((f) => { if (f.action === "event") events.push(f.offset); }, (f) => errors.push(f.payload.code));
    const s = FakeSocket.last;
    s.open();
    const ev = (offset) => ({ action: "event", options: { channel: ROOM }, payload: offset, offset });
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 3 } });
    s.receive(ev(4));
    // The server could not repair 5..7 on its side: it says so, then goes on from 8.
    s.receive({ action: "error", options: { channel: ROOM }, payload: { code: "history_gap", message: "gap" } });
    s.receive(ev(8));
    assert.deepEqual(errors, ["history_gap"], "the app is told");
    await waitFor(() => s.sentOf("join").length === 2, { what: "a join asking for the holes" });
    assert.deepEqual(s.sentOf("join")[1].payload, { history: false, presence: false, since: 4, epoch: "e1" });
    // They are gone from the history too: history_gap, then all the server keeps.
    s.receive({ action: "join", client: me, options: { channel: ROOM }, payload: { epoch: "e1", offset: 8 } });
    s.receive({ action: "error", options: { channel: ROOM }, payload: { code: "history_gap", message: "gap" } });
    s.receive({ action: "history", options: { channel: ROOM }, payload: { history: [
      { action: "event", options: { channel: ROOM }, payload: 6, offset: 6, created_at: 1 },
      { action: "event", options: { channel: ROOM }, payload: 8, offset: 8, created_at: 2 },
    ] } });
    assert.equal(ch.holes.size, 0, "what the full history lacks will not come");
    s.receive(ev(9));
    assert.deepEqual(events, [4, 8, 9]);
    assert.equal(ch.gapTimer, null, "the answer to the resume asks nothing more");
    assert.equal(s.sentOf("join").length, 2);
    client.close();
  });

  test("backoff: 1 s doubling to 60 s, jittered, reset by a join; no reconnect on 1000/1001/4401", () => {
    const { FakeSocket, client } = setup();
    const ch = client.channel(ROOM);
    const status = [];
    ch.on("connection_status", (f) => status.push(f.payload));
    const ceilings = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000];
    for (const ceiling of ceilings) {
      FakeSocket.last.serverClose(1006); // a failed attempt
      const { retryIn, reconnecting } = status.at(-1);
      assert.ok(reconnecting);
      assert.ok(retryIn >= ceiling / 2 && retryIn <= ceiling, `retry in ${retryIn} ms, want ${ceiling / 2}..${ceiling}`);
      client.connect();
    }
    FakeSocket.last.open();
    FakeSocket.last.receive({ action: "join", client: me, options: { channel: ROOM }, payload: null });
    FakeSocket.last.serverClose(1013);
    assert.ok(status.at(-1).retryIn <= 1000, "a successful join resets the backoff");
    client.connect();

    for (const code of [1000, 1001, 4401]) {
      const before = FakeSocket.instances.length;
      FakeSocket.last.open();
      FakeSocket.last.serverClose(code);
      assert.equal(status.at(-1).reconnecting, false, `close ${code}`);
      assert.equal(client.state, "closed", `close ${code}`);
      assert.equal(client.timer, null, `close ${code}: no reconnect scheduled`);
      assert.equal(FakeSocket.instances.length, before);
      client.realtimeReconnect(); // the app decides
      assert.equal(FakeSocket.instances.length, before + 1);
    }
    client.close();
  });

  test("queueOfflineActions keeps messages sent while away and sends them after the rejoin", () => {
    const { FakeSocket, client } = setup();
    const queued = client.channel("room/q", { queueOfflineActions: true });
    const dropped = client.channel("room/d");
    assert.equal(queued.message({ n: 1 }), true);
    assert.equal(dropped.message({ n: 2 }), false);
    FakeSocket.last.open();
    assert.deepEqual(FakeSocket.last.sent.map((f) => [f.action, f.options.channel]), [
      ["join", "room/q"], ["message", "room/q"], ["join", "room/d"],
    ]);
    client.close();
  });
});

// ---------------------------------------------------------------------------------------------
// The served module against the real server.

describe("relaybase.js against relaybase serve examples/chat", () => {
  let bin;
  let data;
  let server;
  let rb; // the module as served at /relaybase.js
  const clients = [];

  /** A client of the served module over the `ws` package; closed after the suite. */
  function newClient(options = {}) {
    const c = new rb.RelaybaseClient({ url: server.realtime, WebSocket, ...options });
    clients.push(c);
    return c;
  }

  /** Records what a channel receives. */
  function record(ch) {
    const r = { frames: [], errors: [], events: [], status: [] };
    ch.on((f) => {
      r.frames.push(f);
      if (f.action === "event") r.events.push(f);
      if (f.action === "connection_status") r.status.push(f.payload);
    }, (f) => r.errors.push(f));
    return r;
  }

  const joined = (ch) => waitFor(() => ch.joined, { what: `join of ${ch.channel}` });
  const eventWithId = (r, id) => r.events.filter((f) => f.payload && f.payload.id === id);

  before(async () => {
    bin = await buildRelaybase();
    data = tempDir();
    server = await startRelaybase({ bin, data });
    rb = await loadClient(server.base);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
    removeDir(data);
  });

  test("/relaybase.js is served as an ES module", async () => {
    const res = await fetch(`${server.base}/relaybase.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /javascript/);
    for (const name of ["RelaybaseClient", "RelaybaseChannel", "RelaybaseError", "api", "queryString", "RECONNECT_CODES"]) {
      assert.ok(name in rb, `exports ${name}`);
    }
  });

  test("join, then POST messages arrives as an event carrying the stored row", async () => {
    const client = newClient();
    const ch = client.channel(ROOM);
    const r = record(ch);
    await joined(ch);
    const joinFrame = r.frames.find((f) => f.action === "join");
    assert.equal(typeof joinFrame.payload.epoch, "string", "the room keeps history, so the join reply has an epoch");
    assert.equal(typeof joinFrame.payload.offset, "number");
    assert.equal(typeof joinFrame.client.socketId, "string");
    assert.deepEqual(joinFrame.client.permissions, { dbo_id: 0, row_id: 0 });

    const row = await postMessage(server, "Avengers, assemble", { author: "Cap" });
    const [ev] = await waitFor(() => eventWithId(r, row.id).length && eventWithId(r, row.id), { what: "the event" });
    assert.deepEqual(ev.payload, row);
    assert.equal(ev.options.channel, ROOM);
    assert.equal(typeof ev.offset, "number");
    assert.ok(ev.offset > joinFrame.payload.offset);
    assert.equal(ch.offset, ev.offset);

    const marker = await postMessage(server, "marker");
    await waitFor(() => eventWithId(r, marker.id).length, { what: "the marker event" });
    assert.equal(eventWithId(r, row.id).length, 1, "the event arrived once");
  });

  test("presence: names from the token's extras, one entry per connection, updates on leave and rejoin", async () => {
    const [alice, bob] = await Promise.all([guestToken(server, "Alice"), guestToken(server, " Bob ")]);
    const a = newClient({ token: alice }).channel(ROOM, { presence: true });
    const bClient = newClient({ token: bob });
    const b = bClient.channel(ROOM, { presence: true });
    await Promise.all([joined(a), joined(b)]);
    const names = (ch) => ch.getPresence().map((c) => c.extras.name).filter(Boolean).sort();
    const ids = (ch) => ch.getPresence().map((c) => c.socketId);
    const unique = (ch) => new Set(ids(ch)).size === ids(ch).length;

    await waitFor(() => names(a).includes("Bob") && names(b).includes("Alice"), { what: () => `presence A=${names(a)} B=${names(b)}` });
    assert.deepEqual(names(a), ["Alice", "Bob"]);
    assert.deepEqual(names(b), ["Alice", "Bob"]);
    assert.ok(unique(a) && unique(b));
    const bobEntry = a.getPresence().find((c) => c.extras.name === "Bob");
    assert.ok(bobEntry.permissions.dbo_id > 0 && bobEntry.permissions.row_id > 0, "a guest's presence carries its auth table and row");
    assert.equal(bobEntry.socketId, b.self.socketId);

    // Asking for the same channel again changes nothing.
    assert.equal(bClient.channel(ROOM, { presence: true }), b);

    // Bob reconnects: Alice sees him leave and come back with a new socketId, never twice.
    const oldBob = b.self.socketId;
    bClient.realtimeReconnect();
    await waitFor(() => b.joined && b.self.socketId !== oldBob, { what: "Bob's rejoin" });
    await waitFor(() => ids(a).includes(b.self.socketId) && !ids(a).includes(oldBob), { what: () => `Alice's view of Bob's rejoin: ${ids(a)}` });
    assert.deepEqual(names(a), ["Alice", "Bob"]);
    assert.ok(unique(a) && unique(b));
    assert.deepEqual(names(b), ["Alice", "Bob"]);

    // Bob leaves the channel: Alice's list drops him.
    b.destroy();
    await waitFor(() => !names(a).includes("Bob"), { what: () => `Bob gone from ${names(a)}` });
  });

  test("error callbacks: a broadcast the room forbids, an unknown channel, a bad token (4401, no reconnect)", async () => {
    const client = newClient();
    const ch = client.channel(ROOM);
    const r = record(ch);
    await joined(ch);
    assert.equal(ch.message({ text: "straight to the socket" }), true);
    const err = await waitFor(() => r.errors.find((f) => f.payload?.code === "forbidden"), { what: "a forbidden error" });
    assert.equal(err.action, "error");
    assert.equal(err.options.channel, ROOM);
    assert.equal(typeof err.payload.message, "string");
    assert.ok(err.payload.message.length > 0);
    assert.ok(!r.frames.some((f) => f.action === "error"), "errors go to onError, not to the frame listener");
    assert.ok(!r.frames.some((f) => f.action === "message"), "the refused message was not delivered");

    const nowhere = client.channel("no_such_channel");
    const rn = record(nowhere);
    const notFound = await waitFor(() => rn.errors.find((f) => f.options.channel === "no_such_channel"), { what: "channel_not_found" });
    assert.equal(notFound.payload.code, "channel_not_found");
    assert.equal(nowhere.joined, false);

    const bad = newClient({ token: "not-a-token" });
    const bc = bad.channel(ROOM);
    const rb2 = record(bc);
    const closed = await waitFor(() => rb2.status.find((s) => s.status === "disconnected"), { what: "the 4401 close" });
    assert.equal(closed.code, 4401);
    assert.equal(closed.reconnecting, false);
    assert.equal(bad.state, "closed");
    assert.equal(bad.timer, null, "no reconnect after 4401");
    assert.ok(rb2.errors.some((f) => f.payload?.code === "unauthorized"), "the server said why");
    assert.equal(bc.joined, false);
  });

  test("reconnect after a restart on the same port and data, resuming with since: nothing lost, nothing twice", async () => {
    // The client's attempts go to a closed port while the gate is shut, so the test knows for
    // sure that it is away when the next message is posted.
    const deadPort = await freePort();
    const gate = { open: true };
    const sent = [];
    const realURL = server.realtime;
    class GatedWebSocket extends WebSocket {
      constructor(url, protocols) {
        super(gate.open ? url : url.replace(`:${server.port}/`, `:${deadPort}/`), protocols);
      }
      send(data) {
        sent.push(JSON.parse(data));
        super.send(data);
      }
    }
    const client = newClient({ WebSocket: GatedWebSocket });
    const ch = client.channel(ROOM, { presence: true });
    const r = record(ch);
    // A room joined before anything was stored in it: its join reply has no epoch yet ("").
    const freshName = `room/fresh-${Date.now()}`;
    const fresh = client.channel(freshName);
    const rf = record(fresh);
    await joined(ch);
    await joined(fresh);
    const epoch = ch.epoch;
    assert.equal(fresh.epoch, "", "an empty room has no epoch yet");
    const freshFirst = await postMessage(server, "first in a new room", { channel: freshName });
    await waitFor(() => eventWithId(rf, freshFirst.id).length, { what: "the new room's first event" });
    const freshSeen = fresh.offset;

    const before = await postMessage(server, "before the restart");
    await waitFor(() => eventWithId(r, before.id).length, { what: "the first event" });
    const seen = ch.offset;

    gate.open = false;
    const port = server.port;
    await server.stop();
    const down = await waitFor(() => r.status.find((s) => s.status === "disconnected"), { what: "the disconnect" });
    assert.equal(down.code, 1012, "a graceful shutdown closes with 1012 (service restart)");
    assert.equal(down.reconnecting, true);

    server = await startRelaybase({ bin, data, port });
    assert.equal(server.realtime, realURL, "same URL after the restart");
    const whileAway = await postMessage(server, "while you were away");
    const freshAway = await postMessage(server, "second in the new room, while away", { channel: freshName });
    assert.ok(!ch.joined && client.state !== "open", "the client is still away");

    const joinsBefore = sent.length;
    gate.open = true; // the client's own backoff brings it back
    await waitFor(() => eventWithId(r, whileAway.id).length, { timeout: 70000, what: "the message posted while away" });
    const rejoin = sent.slice(joinsBefore).find((f) => f.action === "join" && f.options.channel === ROOM);
    assert.deepEqual(rejoin, { action: "join", options: { channel: ROOM }, payload: { history: false, presence: true, since: seen, epoch } });
    assert.equal(ch.epoch, epoch, "the epoch survives a restart");
    await waitFor(() => eventWithId(rf, freshAway.id).length, { what: "the new room's message posted while away" });
    const freshRejoin = sent.filter((f) => f.action === "join" && f.options.channel === freshName).at(-1);
    assert.deepEqual(freshRejoin.payload, { history: false, presence: false, since: freshSeen, epoch: "" });
    assert.notEqual(fresh.epoch, "", "the rejoin reply brings the room's epoch");
    assert.equal(eventWithId(rf, freshFirst.id).length, 1);
    assert.equal(eventWithId(rf, freshAway.id).length, 1);
    assert.ok(rf.errors.length === 0, `no errors on the new room: ${JSON.stringify(rf.errors)}`);

    const after = await postMessage(server, "after the restart");
    await waitFor(() => eventWithId(r, after.id).length, { what: "a live event after the restart" });
    assert.equal(eventWithId(r, before.id).length, 1, "the message from before the restart arrived once");
    assert.equal(eventWithId(r, whileAway.id).length, 1, "the message posted while away arrived once");
    assert.equal(eventWithId(r, after.id).length, 1);
    const order = r.events.map((f) => f.payload.id);
    assert.ok(order.indexOf(whileAway.id) < order.indexOf(after.id), "in order");
    assert.ok(r.errors.every((f) => f.payload.code !== "history_gap"), "a resume, not a gap");
    assert.ok(ch.getPresence().some((c) => c.socketId === ch.self.socketId), "presence rebuilt after the rejoin");
    assert.equal(new Set(ch.getPresence().map((c) => c.socketId)).size, ch.getPresence().length);

    // A resume the server can't serve (unknown epoch): history_gap, then the full history.
    ch.epoch = "no-such-epoch";
    const historyCount = r.frames.filter((f) => f.action === "history").length;
    client.realtimeReconnect();
    const gap = await waitFor(() => r.errors.find((f) => f.payload.code === "history_gap"), { what: "history_gap" });
    assert.equal(gap.options.channel, ROOM);
    const history = await waitFor(() => r.frames.filter((f) => f.action === "history")[historyCount], { what: "the full history" });
    const ids = history.payload.history.map((f) => f.payload.id);
    for (const m of [before, whileAway, after]) assert.ok(ids.includes(m.id), `history has message ${m.id}`);
    assert.ok(history.payload.history.every((f) => typeof f.created_at === "number" && typeof f.offset === "number"));
    assert.equal(ch.epoch, epoch);
    assert.equal(ch.offset, Math.max(...history.payload.history.map((f) => f.offset)));
  });

  test("HTTP helpers: JSON in and out, bearer token, query strings, errors with status/code/payload", async () => {
    const chat = rb.api(server.apiChat);
    const row = await chat.post("messages", { channel: "room/http", text: "via api()", author: "Helper" });
    assert.equal(row.text, "via api()");
    const page = await chat.get("/messages", { channel: "room/http", page: 1, per_page: 10 });
    for (const key of ["items", "itemsReceived", "curPage", "nextPage", "prevPage", "offset", "perPage"]) {
      assert.ok(key in page, `paging has ${key}`);
    }
    assert.equal(page.items[0].id, row.id);

    const input = await chat.post("messages", { channel: "room/http", text: "", author: "Helper" }).catch((e) => e);
    assert.ok(input instanceof rb.RelaybaseError && input instanceof Error);
    assert.equal(input.status, 400);
    assert.equal(input.code, "ERROR_CODE_INPUT_ERROR");
    assert.deepEqual(input.payload, { param: "text" });
    assert.ok(input.message.length > 0);

    const anon = await chat.get("auth/me").catch((e) => e);
    assert.equal(anon.status, 401);
    assert.equal(anon.code, "ERROR_CODE_UNAUTHORIZED");

    const email = `thor-${Date.now()}@example.com`;
    const { authToken } = await chat.post("auth/signup", { name: "Thor", email, password: "mjolnir-42" });
    const denied = await chat.post("auth/login", { email, password: "wrong-password" }).catch((e) => e);
    assert.equal(denied.status, 403);
    assert.equal(denied.code, "ERROR_CODE_ACCESS_DENIED");
    const authed = rb.api(server.apiChat, { token: authToken });
    const me = await authed.get("auth/me");
    assert.equal(me.name, "Thor");
    assert.equal(me.email, email);
    authed.setToken(null);
    assert.equal((await authed.get("auth/me").catch((e) => e)).status, 401);

    const missing = await chat.delete("nothing/here", { ids: [1, 2] }).catch((e) => e);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "ERROR_CODE_NOT_FOUND");

    const down = await rb.api(`http://127.0.0.1:${await freePort()}/api:chat`).get("messages").catch((e) => e);
    assert.ok(down instanceof rb.RelaybaseError);
    assert.equal(down.status, 0);
    assert.equal(down.code, "ERROR_NETWORK");

    // What goes on the wire, seen through a fetch of our own.
    const calls = [];
    const spy = rb.api("http://h/api:x/", {
      token: "T",
      fetch: async (url, init) => { calls.push({ url, init }); return new Response("{}", { status: 200 }); },
    });
    await spy.get("things", { tags: ["a", "b c"], filter: { k: "v" }, n: 1, skip: null });
    await spy.patch("things/1", { name: "x" });
    assert.equal(decodeURIComponent(calls[0].url), "http://h/api:x/things?tags[]=a&tags[]=b c&filter[k]=v&n=1");
    assert.equal(calls[0].init.method, "GET");
    assert.equal(calls[0].init.body, undefined);
    assert.equal(calls[0].init.headers.Authorization, "Bearer T");
    assert.equal(calls[1].init.method, "PATCH");
    assert.equal(calls[1].init.headers["Content-Type"], "application/json");
    assert.equal(calls[1].init.body, JSON.stringify({ name: "x" }));
  });
});
