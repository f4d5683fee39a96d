// The chat room on Xano's current realtime (docs/realtime.md, "The current realtime"): the
// page joins rooms/<room> of the realtime server at /ws/chatv2 and sends each message as a
// `broadcast` of type "send"; the server's message handler (message/send.xs) stores it and
// what it returns reaches everyone as a `message` frame. On join the server pushes the
// conversation (the last 50 messages), then replays, oldest first, what this browser missed
// since the last message it acknowledged (at-least-once: every message carries an id the
// page acks). Messages are kept by id, so one shown twice (in the conversation and again
// in the replay, say) appears once.
//
// What the page shows is drawn by chat-ui.js, which the classic page (chat.js) shares; every
// piece of text that came from a person is put into the page with textContent, never as HTML.

import * as ui from "./chat-ui.js";

const CANONICAL = "chatv2"; // realtime_server/chat_rt.xs
const room = new URLSearchParams(location.search).get("room") || "marvel";
const CHANNEL = `rooms/${room}`;
const IDENTITY_KEY = "relaybase-chat-current:identity";
const CLIENT_KEY = "relaybase-chat-current:client";

const els = { ...ui.chatElements(), guestForm: ui.$("guest-form"), guestName: ui.$("guest-name") };
const store = ui.identityStore(IDENTITY_KEY);
els.title.textContent = room === "marvel" ? "Marvel chat room" : `Room ${room}`;

/** @type {{token: string, name: string} | null} */
let identity = store.load();
// The at-least-once cursor's handle for this browser: stable across reloads and reconnects.
let clientID = localStorage.getItem(CLIENT_KEY);
if (!clientID) {
  clientID = crypto.randomUUID();
  localStorage.setItem(CLIENT_KEY, clientID);
}

const messages = new Map(); // id → row shown
const members = new Map(); // "dbo:id" → name, for signed-in people online
let anonymous = 0; // anonymous watchers online, besides this page
let socket = null;
let backoff = 500;
let retry = null;
let acked = 0; // highest id acked
let ackTimer = null;

// ---- the socket ----

function connect() {
  clearTimeout(retry);
  ui.setConnection(els, "connecting", "Connecting…");
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${CANONICAL}`;
  const ws = identity ? new WebSocket(url, identity.token) : new WebSocket(url);
  socket = ws;
  ws.addEventListener("open", () => {
    send({ action: "join", channel: CHANNEL, options: { client_id: clientID } });
  });
  ws.addEventListener("message", (ev) => {
    let frame;
    try { frame = JSON.parse(ev.data); } catch { return; }
    onFrame(frame);
  });
  ws.addEventListener("close", (ev) => {
    if (socket !== ws) return;
    socket = null;
    members.clear();
    anonymous = 0;
    renderOnline();
    if (ev.code === 4401) {
      // The token is no longer good: sign out, and watch anonymously.
      ui.setConnection(els, "disconnected", "Signed out");
      signOut();
      return;
    }
    ui.setConnection(els, "disconnected", "Reconnecting…");
    retry = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  });
}

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function onFrame(f) {
  switch (f.action) {
    case "join":
      backoff = 500;
      ui.setConnection(els, "connected", "Live");
      ui.hideBanner(els);
      break;
    case "presence_full":
      members.clear();
      anonymous = 0;
      for (const m of f.payload.members) addMember(m);
      renderOnline();
      break;
    case "presence_join":
      addMember(f.payload.member);
      renderOnline();
      break;
    case "presence_leave":
      if (f.payload.member.authenticated) members.delete(`${f.payload.member.dbo_id}:${f.payload.member.id}`);
      else anonymous = Math.max(0, anonymous - 1);
      renderOnline();
      break;
    case "message":
    case "replay":
      show(f);
      if (f.id && !f.conversation) ackLater(Number(f.id));
      break;
    case "broadcast":
      ui.hideError(els.composerError);
      break;
    case "error":
      if (f.type) {
        ui.showError(els.composerError, f.payload.message);
      } else {
        ui.showBanner(els, f.payload.message);
      }
      break;
  }
}

function addMember(m) {
  if (m.authenticated) members.set(`${m.dbo_id}:${m.id}`, (m.extras && m.extras.name) || `user ${m.id}`);
  else anonymous++;
}

// Acks go out in batches: the highest id read so far, once the frames in hand are shown.
function ackLater(id) {
  if (id <= acked) return;
  acked = id;
  if (ackTimer) return;
  ackTimer = setTimeout(() => {
    ackTimer = null;
    send({ action: "ack", channel: CHANNEL, id: String(acked) });
  }, 100);
}

// ---- rendering ----

function show(f) {
  const row = f.payload;
  if (!row || row.id == null || messages.has(row.id)) return;
  messages.set(row.id, row);
  // In id order whatever order frames came in.
  ui.insertMessage(els, row, !!identity && row.author === identity.name);
  els.empty.hidden = true;
  ui.scrollToEnd(els);
}

function renderOnline() {
  const people = [...members].map(([key, name]) => ({ key, name }));
  // This page counts itself as soon as it is connected, before its presence_join comes back.
  if (identity && socket && !people.some((p) => p.name === identity.name)) people.push({ key: "self", name: identity.name });
  ui.showOnline(els, people, null, anonymous);
}

// ---- forms ----

els.guestForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  ui.hideError(els.signInError);
  const res = await fetch(`${location.origin}/api:chat/auth/guest`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: els.guestName.value }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    ui.showError(els.signInError, body.message || `Could not join (${res.status}).`);
    return;
  }
  identity = { token: body.authToken, name: els.guestName.value.trim() };
  store.save(identity);
  ui.showIdentity(els, identity);
  reconnect();
});

els.signOut.addEventListener("click", () => {
  signOut();
  reconnect();
});

function signOut() {
  identity = null;
  store.forget();
  ui.showIdentity(els, identity);
}

function reconnect() {
  const old = socket;
  socket = null;
  if (old) old.close(1000);
  connect();
}

els.composer.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = els.text.value.trim();
  if (!text) return;
  send({ action: "broadcast", channel: CHANNEL, type: "send", payload: { text } });
  els.text.value = "";
});

ui.enterSends(els);

ui.showIdentity(els, identity);
els.empty.hidden = false;
connect();
