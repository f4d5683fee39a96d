// The chat room page. Messages go through POST /api:chat/messages (the seed's second option);
// the endpoint stores them and fires a Realtime Event, which reaches every page as an `event`
// frame whose payload is the stored row. On load the page joins the channel first, then reads
// GET /api:chat/messages, and merges both by message id, so nothing posted in between is lost
// or shown twice. After a reconnect, relaybase.js resumes the channel from the last offset it
// saw, so messages sent while the page was away arrive as ordinary events.
//
// Every piece of text that came from a person is put into the page with textContent, never as HTML.

import { RelaybaseClient, api } from "/relaybase.js";
import * as ui from "./chat-ui.js";

const CANONICAL = "marvel-chat"; // workspace/chat.xs: realtime = {canonical: "marvel-chat"}
const room = new URLSearchParams(location.search).get("room");
const CHANNEL = room ? `room/${room}` : "marvel_chat_room";
const PAGE_SIZE = 50;
const IDENTITY_KEY = "relaybase-chat:identity";

const els = { ...ui.chatElements(), older: ui.$("older") };
const store = ui.identityStore(IDENTITY_KEY);

const http = api(`${location.origin}/api:chat`);
const rtURL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/rt/${CANONICAL}`;

/** @type {{token: string, name: string} | null} */
let identity = store.load();
const rt = new RelaybaseClient({ url: rtURL, token: identity?.token });
const channel = rt.channel(CHANNEL, { presence: true });

/** Every message shown, by id. */
const messages = new Map();
let loaded = false; // the latest page of GET messages has been merged
let loading = null; // the GET in flight
let nextPage = null; // for "Load older messages"
let retryTimer = null;
let everJoined = false;

// ---- realtime ----

channel.on(onFrame, onError);

function onFrame(frame) {
  switch (frame.action) {
    case "connection_status":
      if (frame.payload.status === "connected") {
        ui.setConnection(els, "connecting", "Joining…");
      } else {
        disconnected(frame.payload);
      }
      break;
    case "join":
      everJoined = true;
      ui.setConnection(els, "connected", "Live");
      ui.hideBanner(els);
      if (frame.client?.extras?.name && identity) {
        identity.name = frame.client.extras.name; // the server's spelling (trimmed)
        store.save(identity);
        showIdentity();
      }
      renderOnline();
      if (!loaded) loadLatest();
      break;
    case "presence_full":
    case "presence_update":
      renderOnline();
      break;
    case "event":
      addMessage(frame.payload);
      break;
    case "history": // after a history_gap the server sends the whole stored history
      for (const item of frame.payload?.history || []) {
        if (item.action === "event") addMessage(item.payload);
      }
      break;
  }
}

function onError(frame) {
  const { code, message } = frame.payload || {};
  if (code === "history_gap") {
    // We were away longer than the channel's history reaches: read the latest page again.
    loaded = false;
    loadLatest();
    return;
  }
  if (code === "unauthorized") return; // the close (4401) that follows is handled in disconnected()
  ui.showBanner(els, message || `The server refused that (${code}).`);
}

function disconnected({ code, reconnecting, retryIn }) {
  if (code === 4401) {
    // The token is no longer valid (expired, or the server's key changed): watch anonymously.
    forgetIdentity();
    showSignInError("Your session has ended. Pick a name or log in again.");
    rt.setRealtimeAuthToken(null);
    rt.realtimeReconnect();
    return;
  }
  if (code === 4000) return; // our own realtimeReconnect(): it is connecting again already
  if (reconnecting && retryIn !== undefined) {
    ui.setConnection(els, "reconnecting", "Reconnecting…");
    const what = everJoined ? "Lost the connection to the server." : "Can't reach the server.";
    ui.showBanner(els, `${what} Trying again in ${Math.max(1, Math.round(retryIn / 1000))} s…`,
      { label: "Try now", onClick: () => rt.realtimeReconnect() });
  } else {
    ui.setConnection(els, "offline", "Offline");
    ui.showBanner(els, "Disconnected from the server.", { label: "Reconnect", onClick: () => rt.realtimeReconnect() });
  }
}

// ---- messages ----

/** Reads the latest page of messages and merges it with what the socket already delivered. */
function loadLatest() {
  if (loading) return loading;
  clearTimeout(retryTimer);
  loading = http.get("messages", { channel: CHANNEL, page: 1, per_page: PAGE_SIZE })
    .then((page) => {
      for (const row of page.items || []) addMessage(row);
      if (!loaded) setOlder(page.nextPage);
      loaded = true;
      updateEmpty();
    })
    .catch((err) => {
      ui.showBanner(els, `Could not load the messages: ${describe(err)}`, { label: "Retry", onClick: loadLatest });
      if (err.status === 0 || err.status >= 500) retryTimer = setTimeout(loadLatest, 5000);
    })
    .finally(() => { loading = null; });
  return loading;
}

async function loadOlder() {
  if (!nextPage) return;
  els.older.disabled = true;
  const before = els.pane.scrollHeight - els.pane.scrollTop;
  try {
    const page = await http.get("messages", { channel: CHANNEL, page: nextPage, per_page: PAGE_SIZE });
    for (const row of page.items || []) addMessage(row, { scroll: false });
    setOlder(page.nextPage);
    els.pane.scrollTop = els.pane.scrollHeight - before; // keep the reader where they were
  } catch (err) {
    ui.showBanner(els, `Could not load older messages: ${describe(err)}`);
  } finally {
    els.older.disabled = false;
  }
}

function setOlder(page) {
  nextPage = page || null;
  els.older.hidden = !nextPage;
}

/** Shows one stored message row, once, in id order. */
function addMessage(row, { scroll = true } = {}) {
  if (!row || typeof row !== "object" || row.id === undefined || row.id === null) return;
  if (row.channel !== undefined && row.channel !== CHANNEL) return;
  if (messages.has(row.id)) return;
  messages.set(row.id, row);

  const mine = !!identity && row.author === identity.name;
  const follow = ui.atBottom(els) || mine;
  const last = ui.insertMessage(els, row, mine);
  updateEmpty();
  if (scroll && last && follow) ui.scrollToEnd(els);
}

function updateEmpty() {
  els.empty.hidden = !loaded || messages.size > 0;
}

// ---- who is online ----

function renderOnline() {
  const people = new Map(); // one entry per person (auth table + row), however many tabs
  let anonymous = 0;
  for (const c of channel.getPresence()) {
    const key = personKey(c);
    if (!key) { anonymous++; continue; }
    if (!people.has(key)) people.set(key, { key, name: String(c.extras?.name ?? "Someone") });
  }
  ui.showOnline(els, people.values(), channel.self ? personKey(channel.self) : null, anonymous);
}

function personKey(c) {
  const p = c.permissions || {};
  return p.row_id ? `${p.dbo_id}:${p.row_id}` : null;
}

// ---- sending ----

els.composer.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!identity) return;
  ui.hideError(els.composerError);
  els.send.disabled = true;
  try {
    const row = await http.post("messages", { channel: CHANNEL, text: els.text.value, author: identity.name });
    els.text.value = "";
    autoGrow();
    addMessage(row); // the event will bring it too; the id keeps it single
  } catch (err) {
    ui.showError(els.composerError, describe(err), err.payload?.param === "text" ? els.text : null);
  } finally {
    els.send.disabled = false;
    els.text.focus();
  }
});

ui.enterSends(els);
els.text.addEventListener("input", () => {
  autoGrow();
  els.text.removeAttribute("aria-invalid");
});

function autoGrow() {
  els.text.style.height = "auto";
  els.text.style.height = `${Math.min(els.text.scrollHeight + 2, 128)}px`;
}

// ---- who am I ----

for (const tab of document.querySelectorAll("[data-tab]")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t === tab));
    for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== tab.dataset.tab;
    ui.hideError(els.signInError);
  });
}

signInForm("guest-form", async ({ name }) => {
  const { authToken } = await http.post("auth/guest", { name });
  return { token: authToken, name: name.trim() };
});

signInForm("login-form", async ({ email, password }) => {
  const { authToken } = await http.post("auth/login", { email, password });
  const me = await api(`${location.origin}/api:chat`, { token: authToken }).get("auth/me");
  return { token: authToken, name: me.name };
});

signInForm("signup-form", async ({ name, email, password }) => {
  const { authToken } = await http.post("auth/signup", { name, email, password });
  return { token: authToken, name: name.trim() };
});

function signInForm(id, getIdentity) {
  const form = ui.$(id);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    ui.hideError(els.signInError);
    for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const values = Object.fromEntries(new FormData(form));
      signedIn(await getIdentity(values));
      form.reset();
    } catch (err) {
      const param = err.payload?.param;
      ui.showError(els.signInError, describe(err), param ? form.querySelector(`[name="${CSS.escape(param)}"]`) : null);
    } finally {
      button.disabled = false;
    }
  });
}

function signedIn(id) {
  identity = id;
  store.save(id);
  showIdentity();
  // Join again with the token, so the others see our name.
  rt.setRealtimeAuthToken(id.token);
  rt.realtimeReconnect();
  els.text.focus();
}

els.signOut.addEventListener("click", () => {
  forgetIdentity();
  rt.setRealtimeAuthToken(null);
  rt.realtimeReconnect();
});

function showIdentity() {
  const known = !!identity;
  ui.showIdentity(els, identity);
  for (const li of els.messages.children) {
    li.classList.toggle("mine", known && messages.get(Number(li.dataset.id))?.author === identity.name);
  }
}

function forgetIdentity() {
  identity = null;
  store.forget();
  showIdentity();
}

// ---- errors ----

/** A sentence for a person, from a RelaybaseError. */
function describe(err) {
  if (err.status === 0) return "Can't reach the server. Check your connection and try again.";
  if (err.status === 413) return "That is too long to send.";
  const param = err.payload?.param;
  const msg = err.message || "Something went wrong.";
  if (param && !msg.toLowerCase().includes(String(param).toLowerCase())) return `${param}: ${msg}`;
  return msg;
}

function showSignInError(text) {
  ui.showError(els.signInError, text);
}

// ---- start ----

els.title.textContent = room ? `# ${room}` : "Marvel chat room";
if (room) document.title = `# ${room} · relaybase chat`;
els.older.addEventListener("click", loadOlder);
showIdentity();
