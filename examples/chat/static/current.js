// The chat room on Xano's current realtime (docs/realtime.md, "The current realtime"): the
// page joins rooms/<room> of the realtime server at /ws/chatv2 and sends each message as a
// `broadcast` of type "send"; the server's message handler (message/send.xs) stores it and
// what it returns reaches everyone as a `message` frame. On join the server pushes the
// conversation (the last 50 messages), then replays, oldest first, what this browser missed
// since the last message it acknowledged (at-least-once: every message carries an id the
// page acks). Messages are kept by id, so one shown twice (in the conversation and again
// in the replay, say) appears once.
//
// Every piece of text that came from a person is put into the page with textContent, never as HTML.

const CANONICAL = "chatv2"; // realtime_server/chat_rt.xs
const room = new URLSearchParams(location.search).get("room") || "marvel";
const CHANNEL = `rooms/${room}`;
const IDENTITY_KEY = "relaybase-chat-current:identity";
const CLIENT_KEY = "relaybase-chat-current:client";

const $ = (id) => document.getElementById(id);
const els = {
  body: document.body, connection: $("connection"), banner: $("banner"),
  me: $("me"), meName: $("me-name"), signOut: $("sign-out"), pane: document.querySelector(".messages-pane"),
  messages: $("messages"), empty: $("empty"), online: $("online"), onlineCount: $("online-count"),
  watchers: $("watchers"), composer: $("composer"), text: $("text"), composerError: $("composer-error"),
  signIn: $("sign-in"), guestForm: $("guest-form"), guestName: $("guest-name"), signInError: $("sign-in-error"),
  title: $("room-title"),
};
els.title.textContent = room === "marvel" ? "Marvel chat room" : `Room ${room}`;

/** @type {{token: string, name: string} | null} */
let identity = load(IDENTITY_KEY);
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

function load(key) {
  try { return JSON.parse(localStorage.getItem(key)); } catch { return null; }
}

function setConnection(state, label) {
  els.body.dataset.connection = state;
  els.connection.textContent = label;
}

function showBanner(text) {
  els.banner.textContent = text;
  els.banner.hidden = false;
}

function showIdentity() {
  els.me.hidden = !identity;
  els.meName.textContent = identity ? identity.name : "";
  els.composer.hidden = !identity;
  els.signIn.hidden = !!identity;
}

// ---- the socket ----

function connect() {
  clearTimeout(retry);
  setConnection("connecting", "Connecting…");
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
      setConnection("disconnected", "Signed out");
      signOut();
      return;
    }
    setConnection("disconnected", "Reconnecting…");
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
      setConnection("connected", "Live");
      els.banner.hidden = true;
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
      els.composerError.hidden = true;
      break;
    case "error":
      if (f.type) {
        els.composerError.textContent = f.payload.message;
        els.composerError.hidden = false;
      } else {
        showBanner(f.payload.message);
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
  const li = document.createElement("li");
  li.className = "msg";
  li.dataset.id = String(row.id);
  const head = document.createElement("div");
  head.className = "meta";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = row.author;
  const time = document.createElement("time");
  time.textContent = new Date(row.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  head.append(author, " ", time);
  const text = document.createElement("p");
  text.className = "text";
  text.textContent = row.text;
  li.append(head, text);
  // Keep id order whatever order frames came in.
  const after = [...els.messages.children].find((c) => Number(c.dataset.id) > row.id);
  els.messages.insertBefore(li, after || null);
  els.empty.hidden = true;
  els.pane.scrollTop = els.pane.scrollHeight;
}

function renderOnline() {
  const names = [...members.values()];
  if (identity && !names.includes(identity.name) && socket) names.push(identity.name);
  names.sort();
  els.online.replaceChildren(...names.map((n) => {
    const li = document.createElement("li");
    li.dataset.name = n;
    li.textContent = n;
    return li;
  }));
  els.onlineCount.textContent = String(names.length);
  els.watchers.hidden = anonymous === 0;
  els.watchers.textContent = anonymous === 1 ? "and 1 person watching" : `and ${anonymous} people watching`;
}

// ---- forms ----

els.guestForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  els.signInError.hidden = true;
  const res = await fetch(`${location.origin}/api:chat/auth/guest`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: els.guestName.value }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    els.signInError.textContent = body.message || `Could not join (${res.status}).`;
    els.signInError.hidden = false;
    return;
  }
  identity = { token: body.authToken, name: els.guestName.value.trim() };
  localStorage.setItem(IDENTITY_KEY, JSON.stringify(identity));
  showIdentity();
  reconnect();
});

els.signOut.addEventListener("click", () => {
  signOut();
  reconnect();
});

function signOut() {
  identity = null;
  localStorage.removeItem(IDENTITY_KEY);
  showIdentity();
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

els.text.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey) {
    ev.preventDefault();
    els.composer.requestSubmit();
  }
});

showIdentity();
els.empty.hidden = false;
connect();
