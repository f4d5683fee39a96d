// Conformance with the official SDK (issue 3): Xano's own JavaScript SDK, @xano/js-sdk@3.0.1,
// drives relaybase unchanged. Its XanoNodeClient is used through its public API only, and
// every assertion is on what the SDK hands to its callbacks (the objects it parsed), never on
// raw frames.
//
//   node --test test/node/sdk-conformance.test.mjs      (RELAYBASE_BIN=... to skip the build)
//
// The SDK's world differs from a browser's in one respect: the WebSocket global rewrites the
// SDK's wss://<host>/rt/<canonical> (port dropped, TLS assumed, protocol.md §1) to the local
// ws://127.0.0.1:PORT/rt/<canonical> (lib/sdk-world.mjs). Each simulated member loads its own
// copy of the SDK, because the SDK keeps one socket per loaded copy.
//
// The server serves examples/chat (canonical marvel-chat) with the channels of
// test/node/workspaces/sdk-conformance/ added: sdk/* allows public messaging, which the chat
// example's rooms leave out.

import { describe, test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";

import {
  buildRelaybase, startRelaybase, tempDir, removeDir, postMessage, guestToken,
} from "./lib/relaybase.mjs";
import { installWebSocket, freshSDK, overlayWorkspace, sockets, Recorder } from "./lib/sdk-world.mjs";

const CANONICAL = "marvel-chat";
const ROOM = "marvel_chat_room"; // anonymous watch, presence, history 100, no client messaging
const RECONNECT_WAIT = 70000; // the SDK's backoff: 1 s, doubling while the server is down, at most 60 s

describe("@xano/js-sdk@3.0.1 against relaybase", { timeout: 180000 }, () => {
  let bin;
  let workspace;
  let data;
  let server;
  const members = [];

  before(async () => {
    bin = await buildRelaybase();
    workspace = overlayWorkspace("sdk-conformance");
    data = tempDir();
    server = await startRelaybase({ bin, dir: workspace.dir, data });
    assert.equal(new URL(server.realtime).pathname, `/rt/${CANONICAL}`);
    installWebSocket(() => server.port);
  });

  // Each test's members leave the SDK's way (destroy() sends leave; a copy's last channel
  // closes its socket with 1000), so the next test's presence holds its own members only.
  const leaveAll = () => {
    for (const m of members.splice(0)) {
      for (const ch of m.channels) {
        try { ch.destroy(); } catch { /* its socket is not open: nothing to leave */ }
      }
    }
  };
  afterEach(leaveAll);

  after(async () => {
    leaveAll();
    await server?.stop();
    if (data) removeDir(data);
    if (workspace) removeDir(workspace.tmp);
  });

  /**
   * A simulated member: its own copy of the SDK and an XanoNodeClient pointed at relaybase
   * as an app would point it (the SDK drops the port and assumes TLS; the WebSocket global
   * fixes that). With a token, the member is authenticated (setRealtimeAuthToken).
   */
  function member(name, token) {
    const sdk = freshSDK();
    const client = new sdk.XanoNodeClient({ instanceBaseUrl: server.base, realtimeConnectionHash: CANONICAL });
    if (token) client.setRealtimeAuthToken(token);
    const m = { name, token, sdk, client, channels: [], self: {} };
    members.push(m);
    return m;
  }

  /**
   * Joins channels the SDK's way: client.channel(name, options), then .on(...) (the first
   * observer opens the socket; on open the SDK sends every channel's join). Resolves with a
   * Recorder per channel once each has its join reply; m.self[name] is the reply's client.
   * On a member whose socket is open, client.channel() sends the join itself.
   * @param {{name: string}} m
   * @param {...[string, object?]} specs  [channel, {presence, history}]
   */
  async function join(m, ...specs) {
    const channels = specs.map(([name, options = {}]) => m.client.channel(name, options));
    const recorders = channels.map((ch) => new Recorder(ch, `${m.name}@${ch.channel}`));
    m.channels.push(...channels);
    const replies = await Promise.all(recorders.map((r) => r.next("join")));
    recorders.forEach((r, i) => { m.self[r.channel.channel] = replies[i].client; });
    return recorders;
  }

  /** An authenticated member: a guest token from POST /api:chat/auth/guest, name in its extras. */
  async function guest(name) {
    return member(name, await guestToken(server, name));
  }

  const names = (ch) => ch.getPresence().map((c) => c.extras?.name ?? "(anonymous)").sort();
  const ids = (ch) => ch.getPresence().map((c) => c.socketId);
  const noDuplicates = (ch, who) => assert.equal(new Set(ids(ch)).size, ids(ch).length, `${who}: presence lists a member twice: ${ids(ch)}`);
  const hasPayload = (r, action, key, value) => r.of(action).filter((f) => f.payload?.[key] === value);

  test("each member has its own socket to wss://<host>/rt/<canonical>, the token as subprotocol; join replies", async () => {
    const before = sockets.length;
    const anon = member("anon");
    const alice = await guest("Alice");
    const [anonRoom] = await join(anon, [ROOM]);
    const [aliceRoom] = await join(alice, [ROOM]);

    const opened = sockets.slice(before);
    assert.equal(opened.length, 2, "one socket per SDK copy");
    assert.notEqual(opened[0].socket, opened[1].socket);
    for (const s of opened) assert.equal(s.url, `wss://127.0.0.1/rt/${CANONICAL}`, "the URL the SDK builds");
    assert.equal(opened[0].protocols, undefined, "anonymous: no subprotocol");
    assert.deepEqual(opened[1].protocols, [alice.token], "the token is the subprotocol");
    for (const s of opened) assert.equal(s.socket.protocol, s.protocols?.[0] ?? "", "the server echoes the subprotocol");

    for (const [r, who] of [[anonRoom, anon], [aliceRoom, alice]]) {
      const [reply] = r.of("join");
      assert.deepEqual(Object.keys(reply).sort(), ["action", "client", "options", "payload"]);
      assert.deepEqual(reply.options, { channel: ROOM });
      assert.equal(typeof reply.payload.epoch, "string", "the room keeps history: the reply has an epoch");
      assert.equal(typeof reply.payload.offset, "number");
      assert.equal(typeof reply.client.socketId, "string");
      assert.ok(reply.client.socketId.length >= 16, `an unguessable socketId: ${reply.client.socketId}`);
      assert.deepEqual(r.of("connection_status").map((f) => f.payload.status), ["connected"], `${who.name}: connected once`);
      assert.equal(r.errors.length, 0);
    }
    assert.notEqual(anon.self[ROOM].socketId, alice.self[ROOM].socketId);
    assert.deepEqual(anon.self[ROOM].permissions, { dbo_id: 0, row_id: 0 });
    assert.deepEqual(anon.self[ROOM].extras, {});
    assert.ok(alice.self[ROOM].permissions.dbo_id > 0 && alice.self[ROOM].permissions.row_id > 0);
    assert.equal(alice.self[ROOM].extras.name, "Alice");
  });

  test("message: the sender gets its own broadcast back and every other member gets it", async () => {
    const channel = "sdk/echo";
    const anna = member("Anna"); // anonymous
    const ben = await guest("Ben");
    const cleo = member("Cleo"); // anonymous
    const [ra] = await join(anna, [channel]);
    const [rb] = await join(ben, [channel]);
    const [rc] = await join(cleo, [channel]);

    const payload = { text: "hello from Anna", n: 1, nested: { list: [1, "two", null] } };
    anna.channels[0].message(payload);
    for (const [r, who] of [[ra, "Anna (the sender)"], [rb, "Ben"], [rc, "Cleo"]]) {
      const got = await r.next("message", (f) => f.payload?.text === payload.text);
      assert.deepEqual(got.payload, payload, who);
      assert.deepEqual(got.options, { channel }, `${who}: a broadcast has only the channel in its options`);
      assert.deepEqual(got.client, anna.self[channel], `${who}: client is the sender`);
      assert.deepEqual(Object.keys(got).sort(), ["action", "client", "options", "payload"]);
    }

    // An authenticated sender's message with {authenticated: true} reaches authenticated
    // members only: Ben (the sender) gets it, the anonymous members don't, and the message
    // Ben sends next reaches everyone.
    ben.channels[0].message({ text: "members only" }, { authenticated: true });
    ben.channels[0].message({ text: "for everyone" });
    const secret = await rb.next("message", (f) => f.payload?.text === "members only");
    assert.deepEqual(secret.options, { channel, authenticated: true });
    assert.equal(secret.client.extras.name, "Ben");
    assert.ok(secret.client.permissions.dbo_id > 0);
    for (const r of [ra, rc]) {
      await r.next("message", (f) => f.payload?.text === "for everyone");
      assert.equal(hasPayload(r, "message", "text", "members only").length, 0, `${r.label} got an authenticated-only message`);
    }
    for (const r of [ra, rb, rc]) {
      await r.next("message", (f) => f.payload?.text === "for everyone");
      assert.equal(hasPayload(r, "message", "text", payload.text).length, 1, `${r.label}: each message once`);
      assert.equal(r.errors.length, 0, `${r.label}: ${JSON.stringify(r.errors)}`);
    }
  });

  test("presence: getPresence() lists the right members, once each, as members join, rejoin and leave", async () => {
    const alice = await guest("Alice");
    const bob = await guest("Bob");
    const [ra] = await join(alice, [ROOM, { presence: true }]);
    const [rb] = await join(bob, [ROOM, { presence: true }]);
    const room = (m) => m.channels.find((ch) => ch.channel === ROOM);
    const sorted = (...ms) => ms.map((x) => x.self[ROOM].socketId).sort();
    // Exactly these members: the previous test's members left, but their leave may still be
    // on its way when these join, so wait for the settled view.
    const exactly = (m, r, ...ms) => r.until(() => JSON.stringify([...ids(room(m))].sort()) === JSON.stringify(sorted(...ms)),
      () => `${m.name}'s presence to be ${ms.map((x) => x.name)}: ${names(room(m))}`);

    await exactly(alice, ra, alice, bob);
    await exactly(bob, rb, alice, bob);
    assert.deepEqual(names(room(alice)), ["Alice", "Bob"]);
    assert.deepEqual(names(room(bob)), ["Alice", "Bob"]);
    assert.ok(rb.of("presence_full")[0].payload.presence.some((c) => c.socketId === bob.self[ROOM].socketId),
      "the joiner is in its own presence_full");
    for (const m of [alice, bob]) noDuplicates(room(m), m.name);
    const [full] = rb.of("presence_full");
    assert.deepEqual(full.options, { channel: ROOM });
    const aliceEntry = room(bob).getPresence().find((c) => c.socketId === alice.self[ROOM].socketId);
    assert.equal(aliceEntry.extras.name, "Alice", "presence carries the token's extras");
    assert.deepEqual(aliceEntry.permissions, alice.self[ROOM].permissions);
    assert.equal(typeof aliceEntry.message, "function", "entries are the SDK's presence clients");

    // A second channel object of the same name makes the SDK send the join again: relaybase
    // answers it but changes nothing (no second membership, no presence update).
    const [ra2] = await join(alice, [ROOM, { presence: true }]);
    await ra.until(() => ra.of("join").length === 2, "the reply to the repeated join"); // both objects get it
    assert.deepEqual(ra.of("join")[1].client, alice.self[ROOM], "the same member, on the same socket");
    assert.equal(ra2.of("join").at(-1).client.socketId, alice.self[ROOM].socketId);

    const carol = await guest("Carol");
    const [rc] = await join(carol, [ROOM, { presence: true }]);
    const carolId = carol.self[ROOM].socketId;
    for (const [m, r] of [[alice, ra], [bob, rb]]) {
      const update = await r.next("presence_update", (f) => f.payload.presence.socketId === carolId);
      assert.deepEqual(update.options, { channel: ROOM });
      assert.equal(update.payload.action, "join");
      assert.equal(update.payload.presence.extras.name, "Carol");
      await exactly(m, r, alice, bob, carol);
      noDuplicates(room(m), m.name);
    }
    assert.equal(rb.of("presence_update").filter((f) => f.payload.presence.socketId === alice.self[ROOM].socketId).length, 0,
      "Alice's repeated join sent Bob no presence update");
    await exactly(carol, rc, alice, bob, carol);
    assert.deepEqual(names(room(carol)), ["Alice", "Bob", "Carol"]);
    assert.equal(rc.of("presence_update").filter((f) => f.payload.presence.socketId === carolId).length, 0,
      "the joiner is not told of its own join");

    // Carol leaves the SDK's way: destroy() sends leave (and, her last channel, closes).
    room(carol).destroy();
    carol.channels = [];
    for (const [m, r] of [[alice, ra], [bob, rb]]) {
      const update = await r.next("presence_update", (f) => f.payload.action === "leave" && f.payload.presence.socketId === carolId);
      assert.equal(update.payload.presence.extras.name, "Carol");
      await exactly(m, r, alice, bob);
      noDuplicates(room(m), m.name);
      assert.equal(r.of("presence_update").filter((f) => f.payload.action === "join" && f.payload.presence.socketId === carolId).length, 1);
    }
    assert.deepEqual(names(room(alice)), ["Alice", "Bob"]);
    assert.deepEqual(names(room(bob)), ["Alice", "Bob"]);
  });

  test("history(): the join's history and the reply to history() hold the stored frames, oldest first", async () => {
    const channel = "sdk/history";
    const writer = member("Writer");
    const [rw] = await join(writer, [channel]);
    const sent = [{ text: "one" }, { text: "two" }, { text: "three" }];
    for (const p of sent) writer.channels[0].message(p);
    await rw.next("message", (f) => f.payload?.text === "three");
    const row = await postMessage(server, "an event in history", { channel, author: "Endpoint" });
    await rw.next("event", (f) => f.payload?.id === row.id);

    const reader = member("Reader");
    const [rr] = await join(reader, [channel, { presence: true, history: true }]);
    const onJoin = await rr.next("history");
    assert.deepEqual(rr.frames.filter((f) => f.action !== "connection_status").slice(0, 3).map((f) => f.action),
      ["join", "presence_full", "history"], "the order of frames on join (§2.3)");
    assert.deepEqual(onJoin.options, { channel });
    const stored = onJoin.payload.history;
    assert.deepEqual(stored.map((f) => f.action), ["message", "message", "message", "event"]);
    assert.deepEqual(stored.slice(0, 3).map((f) => f.payload), sent);
    for (const f of stored.slice(0, 3)) assert.deepEqual(f.client, writer.self[channel]);
    assert.deepEqual(stored[3].payload, row);
    assert.equal(stored[3].client, undefined, "an event without auth_table has no client");
    for (const f of stored) {
      assert.equal(f.options.channel, channel);
      assert.equal(typeof f.created_at, "number", "a stored frame has created_at (ms)");
      assert.ok(Math.abs(f.created_at - Date.now()) < 60000, `created_at ${f.created_at} is about now`);
    }

    // history() asks again; so does a presence client's history() (it adds options.socketId,
    // which the server ignores).
    const count = rr.of("history").length;
    reader.channels[0].history();
    const again = await rr.until(() => rr.of("history")[count], "the reply to history()");
    assert.deepEqual(again.payload.history, stored);
    reader.channels[0].getPresence().find((c) => c.socketId === reader.self[channel].socketId).history();
    const viaClient = await rr.until(() => rr.of("history")[count + 1], "the reply to a presence client's history()");
    assert.deepEqual(viaClient.payload.history, stored);
    assert.equal(rr.errors.length, 0, JSON.stringify(rr.errors));
  });

  test("private message: a presence client's message() reaches that member only, and is not stored", async () => {
    const channel = "room/sdk-private"; // the chat example's rooms: private messaging needs auth
    const alice = await guest("Alice");
    const bob = await guest("Bob");
    const carol = await guest("Carol");
    const [ra] = await join(alice, [channel, { presence: true }]);
    const [rb] = await join(bob, [channel, { presence: true }]);
    const [rc] = await join(carol, [channel, { presence: true }]);
    const bobId = bob.self[channel].socketId;
    const bobEntry = await ra.until(() => alice.channels[0].getPresence().find((c) => c.socketId === bobId), "Bob in Alice's presence");

    bobEntry.message({ text: "psst, Bob" });
    const got = await rb.next("message", (f) => f.payload?.text === "psst, Bob");
    assert.deepEqual(got.payload, { text: "psst, Bob" });
    assert.deepEqual(got.options, { channel, socketId: bobId }, "options name the recipient");
    assert.deepEqual(got.client, alice.self[channel], "client is the sender");

    // Carol, then Alice, get a private message after the one to Bob: had they been sent it,
    // it would have come first.
    const carolEntry = bob.channels[0].getPresence().find((c) => c.socketId === carol.self[channel].socketId);
    carolEntry.message({ text: "hi Carol" });
    await rc.next("message", (f) => f.payload?.text === "hi Carol");
    bob.channels[0].getPresence().find((c) => c.socketId === alice.self[channel].socketId).message({ text: "hi Alice" });
    await ra.next("message", (f) => f.payload?.text === "hi Alice");
    assert.equal(hasPayload(rc, "message", "text", "psst, Bob").length, 0, "Carol did not get Bob's message");
    assert.equal(hasPayload(ra, "message", "text", "psst, Bob").length, 0, "the sender gets no copy of a private message");
    assert.equal(hasPayload(rb, "message", "text", "psst, Bob").length, 1);

    // Private messages are never stored in history.
    const count = rb.of("history").length;
    bob.channels[0].history();
    const h = await rb.until(() => rb.of("history")[count], "the room's history");
    assert.ok(!h.payload.history.some((f) => f.options?.socketId), `no private message in history: ${JSON.stringify(h.payload.history)}`);
    for (const r of [ra, rb, rc]) assert.equal(r.errors.length, 0, `${r.label}: ${JSON.stringify(r.errors)}`);
  });

  test("event: POST /api:chat/messages fires an event that reaches every member, and is in history", async () => {
    const watcher = member("Watcher"); // anonymous
    const dana = await guest("Dana");
    const [rw] = await join(watcher, [ROOM]);
    const [rd] = await join(dana, [ROOM, { presence: true }]);
    const onEvent = []; // the SDK's other form: .on(action, fn)
    watcher.channels[0].on("event", (f) => onEvent.push(f));
    const row = await postMessage(server, "Avengers, assemble", { author: "Cap" });
    assert.equal(row.text, "Avengers, assemble");
    for (const r of [rw, rd]) {
      const ev = await r.next("event", (f) => f.payload?.id === row.id);
      assert.deepEqual(ev.payload, row, "the event's data is the stored row, as the stack gave it");
      assert.deepEqual(ev.options, { channel: ROOM });
      assert.equal(ev.client, undefined, "an event without auth_table/auth_id has no client");
    }
    assert.deepEqual(onEvent.map((f) => f.payload), [row], ".on(\"event\", fn) gets the event and nothing else");
    const count = rw.of("history").length;
    watcher.channels[0].history();
    const h = await rw.until(() => rw.of("history")[count], "the room's history");
    const stored = h.payload.history.find((f) => f.payload?.id === row.id);
    assert.equal(stored.action, "event");
    assert.deepEqual(stored.payload, row);
    assert.equal(h.payload.history.at(-1).payload.id, row.id, "newest last");
  });

  test("errors reach the SDK's error callback: forbidden, unauthorized, channel_not_found", async () => {
    const anon = member("Anon");
    const [rr, rp] = await join(anon, [ROOM], ["room/sdk-errors", { presence: true }]);
    // Joins that are refused get no join reply: these channels are opened by hand. The
    // socket is open, so client.channel() sends the join itself.
    const [rm, rn] = ["members/lounge", "no_such_channel"].map((name) => {
      const ch = anon.client.channel(name);
      anon.channels.push(ch);
      return new Recorder(ch, `Anon@${name}`);
    });

    // marvel_chat_room allows no client messaging: a broadcast is refused.
    anon.channels[0].message({ text: "straight to the socket" });
    const forbidden = await rr.error("forbidden");
    assert.equal(forbidden.action, "error");
    assert.deepEqual(forbidden.options, { channel: ROOM });
    assert.equal(typeof forbidden.payload.message, "string");
    assert.ok(forbidden.payload.message.length > 0, "a message for a person");
    assert.equal(rr.of("error").length, 0, "errors go to onError, not to the frame callback");
    assert.equal(rr.of("message").length, 0, "the refused message was not delivered");

    // A members-only room refuses an anonymous join; an unknown channel has no rule.
    const unauthorized = await rm.error("unauthorized");
    assert.deepEqual(unauthorized.options, { channel: "members/lounge" });
    assert.equal(rm.of("join").length, 0);
    const notFound = await rn.error("channel_not_found");
    assert.deepEqual(notFound.options, { channel: "no_such_channel" });
    assert.equal(rn.of("join").length, 0);

    // room/* allows private messages between authenticated members only.
    const self = anon.channels[1].getPresence().find((c) => c.socketId === anon.self["room/sdk-errors"].socketId);
    self.message({ text: "to myself" });
    const privateRefused = await rp.error("forbidden");
    assert.deepEqual(privateRefused.options, { channel: "room/sdk-errors" });

    // The errors went to their own channel object only.
    assert.equal(rr.errors.length, 1, JSON.stringify(rr.errors));
    assert.deepEqual(rm.errors.map((f) => f.payload.code), ["unauthorized"]);
    assert.deepEqual(rn.errors.map((f) => f.payload.code), ["channel_not_found"]);
  });

  test("realtimeReconnect(): the SDK closes with 4000, comes back after its backoff and rejoins", async () => {
    const channel = "sdk/reconnect";
    const stay = member("Stay");
    const hop = await guest("Hop");
    const [rs] = await join(stay, [channel, { presence: true }]);
    const [rh] = await join(hop, [channel, { presence: true }]);
    const oldId = hop.self[channel].socketId;
    const socketsBefore = sockets.length;
    const framesBefore = rh.frames.length;

    hop.client.realtimeReconnect();
    const rejoin = await rh.next("join", () => true, { from: framesBefore, timeout: RECONNECT_WAIT });
    assert.notEqual(rejoin.client.socketId, oldId, "a new connection, a new socketId");
    const hopSockets = sockets.filter((s) => s.protocols?.[0] === hop.token);
    assert.equal(hopSockets.length, 2, "the SDK opened one new socket");
    assert.equal(hopSockets[0].closeCode, 4000, "the server echoes the SDK's close code 4000, on which the SDK reconnects");
    assert.ok(sockets.length > socketsBefore);
    assert.deepEqual(rh.of("connection_status", framesBefore).map((f) => f.payload.status), ["disconnected", "connected"]);
    const newId = rejoin.client.socketId;
    hop.self[channel] = rejoin.client;

    await rs.until(() => ids(stay.channels[0]).includes(newId) && !ids(stay.channels[0]).includes(oldId),
      () => `Stay's view of Hop's rejoin: ${ids(stay.channels[0])}`);
    noDuplicates(stay.channels[0], "Stay");
    await rh.until(() => ids(hop.channels[0]).includes(stay.self[channel].socketId) && ids(hop.channels[0]).includes(newId), "Hop's new presence");
    assert.ok(!ids(hop.channels[0]).includes(oldId), "the old connection is gone from Hop's presence_full");
    noDuplicates(hop.channels[0], "Hop");

    hop.channels[0].message({ text: "back again" });
    const got = await rs.next("message", (f) => f.payload?.text === "back again");
    assert.equal(got.client.socketId, newId);
  });

  test("restart: relaybase closes with 1012, the SDK reconnects after its backoff, rejoins, and hears what follows", async () => {
    const channel = "sdk/restart";
    const watcher = member("Watcher"); // anonymous
    const talker = await guest("Talker");
    const [rwRoom, rwChan] = await join(watcher, [ROOM, { history: true }], [channel, { presence: true }]);
    const [rtChan] = await join(talker, [channel, { presence: true }]);
    const beforeRow = await postMessage(server, "before the restart", { author: "Cap" });
    await rwRoom.next("event", (f) => f.payload?.id === beforeRow.id);
    const mark = new Map([rwRoom, rwChan, rtChan].map((r) => [r, r.frames.length]));
    const open = sockets.filter((s) => s.socket.readyState === 1);
    assert.equal(open.length, 2, "the watcher's socket and the talker's");
    const socketsBefore = sockets.length;

    const port = server.port;
    const stopped = server.stop();
    for (const r of mark.keys()) {
      const down = await r.next("connection_status", (f) => f.payload.status === "disconnected", { from: mark.get(r) });
      assert.deepEqual(down.options, {});
    }
    await stopped;
    for (const s of open) assert.equal(s.closeCode, 1012, "a graceful shutdown closes with 1012 (service restart)");

    // relaybase stays down until each member's first attempt (1 s after the close) has been
    // refused, so the SDK goes on through a failed connection (1006, next try 2 s later).
    for (const r of [rwChan, rtChan]) {
      await r.until(() => r.of("connection_status", mark.get(r)).filter((f) => f.payload.status === "disconnected").length >= 2,
        "the SDK's first reconnect attempt to fail", RECONNECT_WAIT);
    }
    const refused = sockets.slice(socketsBefore);
    assert.equal(refused.length, 2, "one attempt per member so far");
    for (const s of refused) assert.equal(s.closeCode, 1006);

    server = await startRelaybase({ bin, dir: workspace.dir, data, port });

    // The SDK's own backoff brings each member back; on open it re-sends every join.
    const rejoins = await Promise.all([...mark].map(([r, from]) => r.next("join", () => true, { from, timeout: RECONNECT_WAIT })));
    const reopened = sockets.slice(socketsBefore).filter((s) => s.socket.readyState === 1);
    assert.equal(reopened.length, 2, "one new socket per member");
    for (const s of reopened) assert.equal(s.url, `wss://127.0.0.1/rt/${CANONICAL}`);
    assert.equal(rejoins[0].client.socketId, rejoins[1].client.socketId, "the watcher's two channels share its new socket");
    assert.notEqual(rejoins[0].client.socketId, watcher.self[ROOM].socketId);
    assert.equal(rejoins[0].payload.epoch, rwRoom.of("join")[0].payload.epoch, "the room's epoch survives the restart");
    watcher.self[ROOM] = watcher.self[channel] = rejoins[0].client;
    talker.self[channel] = rejoins[2].client;

    // The rejoin asked for history again: what was stored before the restart is still there.
    const history = await rwRoom.next("history", () => true, { from: mark.get(rwRoom) });
    assert.ok(history.payload.history.some((f) => f.payload?.id === beforeRow.id), "history survives the restart");

    // Presence is rebuilt with the new connections, once each.
    const both = [watcher.self[channel].socketId, talker.self[channel].socketId].sort();
    for (const [m, r] of [[watcher, rwChan], [talker, rtChan]]) {
      const ch = m.channels.find((c) => c.channel === channel);
      await r.until(() => JSON.stringify([...ids(ch)].sort()) === JSON.stringify(both), () => `${m.name}'s presence after the restart: ${ids(ch)}`);
      noDuplicates(ch, m.name);
    }

    // A message and an event after the restart reach the members.
    talker.channels[0].message({ text: "after the restart" });
    for (const r of [rwChan, rtChan]) {
      const got = await r.next("message", (f) => f.payload?.text === "after the restart", { from: mark.get(r) });
      assert.equal(got.client.socketId, talker.self[channel].socketId);
    }
    const afterRow = await postMessage(server, "after the restart", { author: "Cap" });
    const ev = await rwRoom.next("event", (f) => f.payload?.id === afterRow.id, { from: mark.get(rwRoom) });
    assert.deepEqual(ev.payload, afterRow);
    assert.equal(hasPayload(rwRoom, "event", "id", afterRow.id).length, 1, "once");
    for (const r of [rwRoom, rwChan, rtChan]) assert.equal(r.errors.length, 0, `${r.label}: ${JSON.stringify(r.errors)}`);
  });
});
