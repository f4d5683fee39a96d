// relaybase.js: relaybase's own JavaScript client. Dependency-free ES module, served by every
// relaybase at /relaybase.js. Documented in docs/client.md; the wire protocol is protocol.md.
//
//   import { RelaybaseClient, api } from "/relaybase.js";
//   const rt = new RelaybaseClient({ url: "ws://localhost:8080/rt/marvel-chat", token });
//   const room = rt.channel("marvel_chat_room", { presence: true });
//   room.on((frame) => console.log(frame.action, frame.payload), (err) => console.warn(err.payload));
//   const chat = api("http://localhost:8080/api:chat", { token });
//   await chat.post("messages", { channel: "marvel_chat_room", text: "hi", author: "Cap" });
//
// It offers the realtime surface of Xano's JavaScript SDK (@xano/js-sdk 3.0.1) with these
// differences: it takes the full realtime URL (ws:// or wss://, any port), each client object
// owns one socket, presence never holds the same connection twice, and after a reconnect every
// channel is rejoined with {since, epoch} so frames sent while the client was away arrive once.
// It keeps, per channel, the offsets it has not seen below the newest (holes): a rejoin asks
// from the oldest hole, a history_gap from the server makes it ask at once, and a frame whose
// offset it has seen is dropped.

/** Close codes after which the client reconnects by itself (protocol.md §1). */
export const RECONNECT_CODES = Object.freeze([1006, 1011, 1012, 1013, 1014, 4000]);

/** WebSocket readyState of an open socket (the same in browsers and in the `ws` package). */
const OPEN = 1;

/**
 * A realtime frame, as received from the server or made by the client.
 * @typedef {object} Frame
 * @property {string} action   "join", "leave", "message", "event", "history", "presence_full",
 *                             "presence_update", "error", or "connection_status" (made by the client)
 * @property {PresenceClient} [client]  the sender, or yourself on a "join" reply
 * @property {{channel?: string, socketId?: string, authenticated?: boolean}} options
 * @property {*} payload
 * @property {number} [offset]  position in the channel's stored sequence (channels with history)
 */

/**
 * A connection as the server describes it.
 * @typedef {object} PresenceClient
 * @property {string} socketId
 * @property {object} extras       the extras of the connection's auth token ({} if anonymous)
 * @property {{dbo_id: number, row_id: number}} permissions  auth table id and user row id (0, 0 if anonymous)
 */

/**
 * @typedef {object} ChannelOptions
 * @property {boolean} [presence]  ask for presence (presence_full, presence_update frames)
 * @property {boolean} [history]   ask for the stored history on the first join
 * @property {boolean} [queueOfflineActions]  keep message() calls made while disconnected and
 *                                 send them once the channel is joined again
 */

/**
 * The realtime side: one WebSocket, any number of channels, reconnect and resume.
 *
 * The socket is opened when the first channel is created and closed (code 1000) when the last
 * one is destroyed. After a close with one of {@link RECONNECT_CODES} (or a failed attempt), it
 * reconnects after a jittered delay that starts at 1 s and doubles up to 60 s, and rejoins every
 * channel. It does not reconnect after 1000, 1001 or 4401 (bad or expired token): call
 * {@link RelaybaseClient#realtimeReconnect} after fixing the cause.
 */
export class RelaybaseClient {
  /**
   * @param {object} options
   * @param {string} options.url  the realtime URL, e.g. "ws://localhost:8080/rt/marvel-chat"
   * @param {string} [options.token]  auth token, sent as the WebSocket subprotocol
   * @param {typeof WebSocket} [options.WebSocket]  WebSocket constructor; defaults to the
   *   global one. In Node 20, pass the `ws` package's: `new RelaybaseClient({url, WebSocket})`.
   * @param {{initialDelay?: number, maxDelay?: number}|false} [options.reconnect]  backoff in ms
   *   (default 1000 doubling to 60000), or false to never reconnect by itself
   */
  constructor({ url, token = null, WebSocket: WebSocketImpl, reconnect } = {}) {
    const parsed = new URL(url);
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
      throw new TypeError(`relaybase: the realtime URL must start with ws:// or wss://, got ${url}`);
    }
    this.url = parsed.href;
    this.WebSocket = WebSocketImpl || globalThis.WebSocket;
    if (typeof this.WebSocket !== "function") {
      throw new TypeError("relaybase: no WebSocket here; pass one: new RelaybaseClient({url, WebSocket})");
    }
    this.token = token || null;
    this.reconnectOptions = reconnect === false ? null : { initialDelay: 1000, maxDelay: 60000, ...reconnect };

    /** @type {Map<string, RelaybaseChannel>} channels by name */
    this.channels = new Map();
    /** "idle" | "connecting" | "open" | "waiting" (a reconnect is scheduled) | "closed" */
    this.state = "idle";
    this.socket = null;
    this.attempt = 0; // consecutive failed attempts, for the backoff
    this.timer = null;
    this.lastClose = null; // {code, reason} of the last close
    // Back online (browsers): don't wait out the backoff, and drop an attempt begun offline.
    this.onOnline = () => {
      if (this.state === "waiting") {
        this.connect();
      } else if (this.state === "connecting" && this.socket) {
        const stale = this.socket;
        this.detach(stale);
        try { stale.close(); } catch { /* ignore */ }
        this.connect();
      }
    };
    globalThis.addEventListener?.("online", this.onOnline);
  }

  /**
   * The channel called `name`, joined as soon as the socket is open. A client keeps one object
   * per name: asking again returns the same object (asking for presence or history it did not
   * have yet adds them and joins again).
   * @param {string} name  e.g. "marvel_chat_room" or "room/42"
   * @param {ChannelOptions} [options]
   * @returns {RelaybaseChannel}
   */
  channel(name, options = {}) {
    if (typeof name !== "string" || name === "") throw new TypeError("relaybase: a channel needs a name");
    let ch = this.channels.get(name);
    if (ch) {
      const more = (options.presence && !ch.options.presence) || (options.history && !ch.options.history);
      ch.options = {
        presence: ch.options.presence || !!options.presence,
        history: ch.options.history || !!options.history,
        queueOfflineActions: ch.options.queueOfflineActions || !!options.queueOfflineActions,
      };
      if (more) ch.join();
      return ch;
    }
    ch = new RelaybaseChannel(this, name, options);
    this.channels.set(name, ch);
    if (this.isOpen()) ch.join();
    else if (this.state === "idle" || this.state === "closed") this.connect();
    return ch;
  }

  /**
   * Sets the token used by the next connection (null for anonymous). Like the SDK, it does not
   * touch an open connection: call {@link RelaybaseClient#realtimeReconnect} to apply it now.
   * @param {string|null} token
   */
  setRealtimeAuthToken(token) {
    this.token = token || null;
  }

  /**
   * Reconnects now: closes the open socket (code 4000) or skips a pending backoff delay, then
   * connects and rejoins every channel (resuming where each left off).
   */
  realtimeReconnect() {
    this.attempt = 0;
    if (this.socket) {
      const old = this.socket;
      this.detach(old);
      try { old.close(4000, "reconnect"); } catch { /* already closing */ }
      this.disconnected(4000, "reconnect", false);
    }
    this.connect();
  }

  /** Opens the socket if it is not open or opening. Channels are joined once it is. */
  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.socket) return;
    this.state = "connecting";
    let ws;
    try {
      ws = this.token ? new this.WebSocket(this.url, [this.token]) : new this.WebSocket(this.url);
    } catch (err) {
      // A malformed URL or token: retrying would not help.
      this.state = "closed";
      this.broadcast({ action: "error", options: {}, payload: { code: "bad_connection", message: String(err && err.message || err) } });
      return;
    }
    this.socket = ws;
    ws.addEventListener("open", () => this.opened(ws));
    ws.addEventListener("message", (ev) => this.received(ws, ev.data));
    ws.addEventListener("close", (ev) => {
      if (this.socket !== ws) return; // a socket we already let go of
      this.detach(ws);
      this.disconnected(ev.code, ev.reason || "", true);
    });
    ws.addEventListener("error", () => { /* a close event follows */ });
  }

  /** Closes the socket (code 1000) and stops reconnecting. Channels stay; connect() rejoins them. */
  disconnect() {
    clearTimeout(this.timer);
    this.timer = null;
    const ws = this.socket;
    if (ws) {
      this.detach(ws);
      try { ws.close(1000); } catch { /* ignore */ }
      this.disconnected(1000, "", false);
    }
    this.state = "closed";
  }

  /** Destroys every channel, closes the socket and forgets the client's listeners. */
  close() {
    for (const ch of [...this.channels.values()]) ch.destroy();
    this.disconnect();
    globalThis.removeEventListener?.("online", this.onOnline);
  }

  /** @returns {boolean} whether the socket is open */
  isOpen() {
    return !!this.socket && this.socket.readyState === OPEN && this.state === "open";
  }

  /** Sends one frame if the socket is open. @returns {boolean} whether it was sent */
  send(action, options, payload = null) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify({ action, options, payload }));
    return true;
  }

  // ---- internals ----

  opened(ws) {
    if (this.socket !== ws) return;
    this.state = "open";
    this.broadcast({ action: "connection_status", options: {}, payload: { status: "connected" } });
    for (const ch of this.channels.values()) {
      ch.join();
      ch.flushQueue();
    }
  }

  received(ws, data) {
    if (this.socket !== ws) return;
    let frame;
    try {
      frame = JSON.parse(typeof data === "string" ? data : String(data));
    } catch {
      return; // not JSON: nothing a channel could use
    }
    if (!frame || typeof frame !== "object" || typeof frame.action !== "string") return;
    if (!frame.options || typeof frame.options !== "object") frame.options = {};
    if (frame.action === "join") this.attempt = 0; // the server is really back: reset the backoff
    const name = frame.options.channel;
    if (typeof name === "string") {
      this.channels.get(name)?.receive(frame);
    } else {
      this.broadcast(frame);
    }
  }

  detach(ws) {
    if (this.socket === ws) this.socket = null;
  }

  /** Bookkeeping after the socket went away; schedules a reconnect when the code calls for one. */
  disconnected(code, reason, mayRetry) {
    this.lastClose = { code, reason };
    for (const ch of this.channels.values()) ch.joined = false;
    const retry = mayRetry && this.reconnectOptions && this.channels.size > 0 && RECONNECT_CODES.includes(code);
    let retryIn;
    if (retry) {
      const { initialDelay, maxDelay } = this.reconnectOptions;
      const ceiling = Math.min(initialDelay * 2 ** this.attempt, maxDelay);
      retryIn = Math.round(ceiling / 2 + Math.random() * (ceiling / 2)); // "equal jitter"
      this.attempt++;
      this.state = "waiting";
      this.timer = setTimeout(() => { this.timer = null; this.connect(); }, retryIn);
    } else {
      this.state = "closed";
    }
    const payload = { status: "disconnected", code, reason, reconnecting: !!retry || code === 4000 };
    if (retry) payload.retryIn = retryIn;
    this.broadcast({ action: "connection_status", options: {}, payload });
  }

  broadcast(frame) {
    for (const ch of [...this.channels.values()]) ch.receive(frame);
  }
}

/** How many unseen offsets (holes) a channel remembers; past it the oldest are given up. */
const MAX_HOLES = 4096;

/** How long after a history_gap the channel waits for the frames that reveal its holes
 * before it asks the server for them (ms). */
const GAP_SETTLE = 250;

/**
 * One channel of a {@link RelaybaseClient}. Get it with `client.channel(name, options)`.
 */
export class RelaybaseChannel {
  /** @private use RelaybaseClient#channel */
  constructor(client, name, options = {}) {
    this.client = client;
    /** The channel's name. */
    this.channel = name;
    this.options = {
      presence: !!options.presence,
      history: !!options.history,
      queueOfflineActions: !!options.queueOfflineActions,
    };
    /** Whether the server has confirmed the join on the current socket. */
    this.joined = false;
    /** @type {PresenceClient|null} this connection, as the last join reply described it */
    this.self = null;
    /** The channel's epoch (from the join reply), null until known or if it keeps no history. */
    this.epoch = null;
    /** Highest offset seen on this channel (in {@link RelaybaseChannel#epoch}). */
    this.offset = null;
    /** Offsets below {@link RelaybaseChannel#offset} not seen yet: frames this member may not
     * receive, or frames missed. A rejoin asks for everything after the oldest. */
    this.holes = new Set();
    this.settleAt = null; // after a resume: holes up to here are settled once a frame reaches it
    this.resumeSent = false; // the last join sent asked for a resume (since)
    this.afterResume = false; // the last join reply answered a resume; its history_gap may follow
    this.gapTimer = null;
    /** @type {Map<string, PresenceClient>} presence by socketId */
    this.presence = new Map();
    this.handlers = [];
    this.queue = [];
    this.destroyed = false;
  }

  /**
   * Listens to the channel's frames. `on(fn, onError)` gets every frame; `on(action, fn,
   * onError)` only frames of that action. Error frames go to `onError` only (as in the SDK),
   * except that a listener registered for "error" without an onError gets them in `fn`.
   * Frames without a channel (connection_status, some errors) reach every channel.
   * @param {string|function(Frame):void} actionOrFn
   * @param {function(Frame):void} [fn]
   * @param {function(Frame):void} [onError]
   * @returns {this}
   */
  on(actionOrFn, fn, onError) {
    if (typeof actionOrFn === "string") {
      this.handlers.push({ action: actionOrFn, fn, onError });
    } else {
      this.handlers.push({ action: null, fn: actionOrFn, onError: fn });
    }
    return this;
  }

  /**
   * Removes every listener registered with this function (as `fn` or `onError`).
   * @param {function} fn
   * @returns {this}
   */
  off(fn) {
    this.handlers = this.handlers.filter((h) => h.fn !== fn && h.onError !== fn);
    return this;
  }

  /**
   * Sends a message to the channel (a broadcast), or to one member with `{socketId}`.
   * While disconnected it is dropped, unless the channel was made with queueOfflineActions.
   * @param {*} payload  any JSON value
   * @param {{socketId?: string, authenticated?: boolean}} [options]
   * @returns {boolean} whether it was sent or queued
   */
  message(payload, options = {}) {
    const opts = { ...options, channel: this.channel };
    if (this.client.send("message", opts, payload)) return true;
    if (this.options.queueOfflineActions) {
      this.queue.push({ options: opts, payload });
      return true;
    }
    return false;
  }

  /** Asks the server for the channel's stored history (a "history" frame answers). */
  history() {
    return this.client.send("history", { channel: this.channel });
  }

  /**
   * Who is in the channel, one entry per connection (never twice), each with a
   * `message(payload)` method for a private message. Empty unless joined with presence.
   * @returns {Array<PresenceClient & {message: function(*): boolean}>}
   */
  getPresence() {
    return [...this.presence.values()];
  }

  /** Leaves the channel and forgets it; the client closes its socket after the last one. */
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.send("leave", { channel: this.channel });
    if (this.client.channels.get(this.channel) === this) this.client.channels.delete(this.channel);
    this.handlers = [];
    this.queue = [];
    this.presence.clear();
    this.joined = false;
    clearTimeout(this.gapTimer);
    this.gapTimer = null;
    if (this.client.channels.size === 0) this.client.disconnect();
  }

  // ---- internals ----

  /** Sends the join: with {since, epoch} when we know where we left off (before the oldest
   * hole, so the server fills the holes it can). */
  join() {
    const payload = { history: this.options.history, presence: this.options.presence };
    if (this.epoch !== null && this.offset !== null) {
      payload.since = this.resumePoint();
      payload.epoch = this.epoch;
    }
    const sent = this.client.send("join", { channel: this.channel }, payload);
    if (sent) this.resumeSent = payload.since !== undefined;
    return sent;
  }

  /** The offset to resume after: the newest seen, or the one before the oldest hole. */
  resumePoint() {
    let p = this.offset;
    for (const h of this.holes) if (h - 1 < p) p = h - 1;
    return p;
  }

  flushQueue() {
    while (this.queue.length && this.client.isOpen()) {
      const { options, payload } = this.queue.shift();
      this.client.send("message", options, payload);
    }
  }

  /** Updates the channel's state from a frame, then hands it to the listeners. */
  receive(frame) {
    if (this.destroyed) return;
    switch (frame.action) {
      case "join": {
        this.joined = true;
        if (frame.client) this.self = frame.client;
        const p = frame.payload;
        this.afterResume = this.resumeSent;
        this.resumeSent = false;
        if (p && typeof p.epoch === "string") {
          if (this.afterResume && this.epoch === "" && this.offset !== null && typeof p.offset === "number") {
            // We joined before the channel stored anything: "" resumes in any epoch, so
            // the server replays what came since. The channel has its real epoch now.
            this.epoch = p.epoch;
            this.settleAt = p.offset;
          } else if (p.epoch !== this.epoch || this.offset === null) {
            // First join, or the stored sequence was reset: start from the newest offset.
            // (If we asked to resume in an old epoch, the server sends history_gap + history.)
            this.epoch = p.epoch;
            this.offset = typeof p.offset === "number" ? p.offset : 0;
            this.holes.clear();
            this.settleAt = null;
          } else if (this.afterResume && typeof p.offset === "number") {
            // The server replays, in order, every frame up to p.offset this member may
            // receive: once one at or past it arrives, holes up to it will never fill.
            this.settleAt = p.offset;
          }
        } else {
          this.epoch = null;
          this.offset = null;
          this.holes.clear();
          this.settleAt = null;
        }
        break;
      }
      case "leave":
        this.joined = false;
        this.presence.clear();
        break;
      case "message":
      case "event":
        this.afterResume = false;
        if (typeof frame.offset === "number" && this.epoch !== null && !this.take(frame.offset)) {
          return; // delivered twice: drop
        }
        break;
      case "history": {
        const items = frame.payload && Array.isArray(frame.payload.history) ? frame.payload.history : [];
        let newest = null;
        for (const item of items) {
          if (item && typeof item.offset === "number" && this.epoch !== null) {
            this.take(item.offset);
            if (newest === null || item.offset > newest) newest = item.offset;
          }
        }
        if (this.afterResume && newest !== null) {
          // The answer to a resume the server could not serve: this is all it keeps.
          this.settle(newest);
        }
        this.afterResume = false;
        break;
      }
      case "error":
        if (frame.payload && frame.payload.code === "history_gap") this.gap();
        break;
      case "presence_full": {
        const list = frame.payload && Array.isArray(frame.payload.presence) ? frame.payload.presence : [];
        this.presence.clear();
        for (const c of list) this.addPresence(c);
        break;
      }
      case "presence_update": {
        const p = frame.payload || {};
        if (p.presence && p.action === "join") this.addPresence(p.presence);
        else if (p.presence && p.action === "leave") this.presence.delete(p.presence.socketId);
        break;
      }
    }
    this.dispatch(frame);
  }

  /** Records a stored frame's offset; false if it was seen already (a duplicate). */
  take(offset) {
    let fresh = false;
    if (this.offset === null || offset > this.offset) {
      if (this.offset !== null) {
        for (let o = Math.max(this.offset + 1, offset - MAX_HOLES); o < offset; o++) this.holes.add(o);
      }
      this.offset = offset;
      fresh = true;
    } else if (this.holes.delete(offset)) {
      fresh = true;
    }
    if (this.holes.size > MAX_HOLES) {
      const sorted = [...this.holes].sort((a, b) => a - b);
      for (const h of sorted.slice(0, this.holes.size - MAX_HOLES)) this.holes.delete(h);
    }
    if (this.settleAt !== null && offset >= this.settleAt) {
      this.settle(this.settleAt);
    }
    return fresh;
  }

  /** Gives up the holes at or below offset: the server has sent all it could of them. */
  settle(offset) {
    for (const h of this.holes) if (h <= offset) this.holes.delete(h);
    if (this.settleAt !== null && this.settleAt <= offset) this.settleAt = null;
  }

  /**
   * The server says frames are missing (history_gap). After a resume that is its answer (a
   * history follows); otherwise the channel waits a moment for the frames that reveal its
   * holes, then joins again from the oldest hole, so the server replays what it still has.
   */
  gap() {
    if (this.afterResume || this.epoch === null || this.gapTimer !== null) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (!this.destroyed && this.joined && this.holes.size > 0) this.join();
    }, GAP_SETTLE);
  }

  addPresence(c) {
    if (!c || typeof c.socketId !== "string") return;
    const channel = this;
    this.presence.set(c.socketId, {
      ...c,
      /** Sends a private message to this member. */
      message(payload) {
        return channel.client.send("message", { channel: channel.channel, socketId: c.socketId }, payload);
      },
    });
  }

  dispatch(frame) {
    for (const h of [...this.handlers]) {
      if (h.action && h.action !== frame.action) continue;
      let fn = h.fn;
      if (frame.action === "error") fn = h.onError || (h.action === "error" ? h.fn : null);
      if (typeof fn !== "function") continue;
      try {
        fn(frame);
      } catch (err) {
        // One failing listener must not starve the others; surface it as an uncaught error.
        setTimeout(() => { throw err; });
      }
    }
  }
}

/**
 * The error thrown by the HTTP helpers: relaybase's error body, plus the status.
 * A request that never got an answer has status 0 and code "ERROR_NETWORK".
 */
export class RelaybaseError extends Error {
  /**
   * @param {{status: number, code: string, message: string, payload?: *}} body
   * @param {{cause?: *}} [options]
   */
  constructor({ status, code, message, payload = "" }, options) {
    super(message, options);
    this.name = "RelaybaseError";
    /** HTTP status, 0 if the server could not be reached */
    this.status = status;
    /** e.g. "ERROR_CODE_INPUT_ERROR" */
    this.code = code;
    /** e.g. {param: "text"} for an input error, else "" */
    this.payload = payload;
  }
}

/**
 * HTTP helpers for one API group.
 *
 *   const chat = api("http://localhost:8080/api:chat", { token });
 *   const page = await chat.get("messages", { channel: "marvel_chat_room", page: 1 });
 *
 * GET and DELETE send inputs as a query string (arrays as `name[]=v`, objects as
 * `name[key]=v`); POST, PUT and PATCH send them as a JSON body. With a token, requests carry
 * `Authorization: Bearer <token>`. Resolves to the parsed JSON response; rejects with a
 * {@link RelaybaseError}.
 *
 * @param {string} baseUrl  the group's base URL, e.g. "http://localhost:8080/api:chat"
 * @param {{token?: string|null, fetch?: typeof fetch, headers?: object}} [options]
 */
export function api(baseUrl, { token = null, fetch: fetchImpl, headers = {} } = {}) {
  const base = String(baseUrl).replace(/\/+$/, "");
  const doFetch = fetchImpl || ((url, init) => globalThis.fetch(url, init));
  const client = {
    /** The bearer token, or null. */
    token,
    /** Replaces the bearer token (null for none). */
    setToken(t) { client.token = t || null; },
    /** @returns {Promise<*>} */ get: (path, inputs) => request("GET", path, inputs),
    /** @returns {Promise<*>} */ post: (path, inputs) => request("POST", path, inputs),
    /** @returns {Promise<*>} */ put: (path, inputs) => request("PUT", path, inputs),
    /** @returns {Promise<*>} */ patch: (path, inputs) => request("PATCH", path, inputs),
    /** @returns {Promise<*>} */ delete: (path, inputs) => request("DELETE", path, inputs),
  };

  async function request(method, path, inputs) {
    let url = `${base}/${String(path).replace(/^\/+/, "")}`;
    const init = { method, headers: { Accept: "application/json", ...headers } };
    if (client.token) init.headers.Authorization = `Bearer ${client.token}`;
    if (method === "GET" || method === "DELETE") {
      const qs = queryString(inputs);
      if (qs) url += (url.includes("?") ? "&" : "?") + qs;
    } else if (inputs !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(inputs);
    }
    let res;
    try {
      res = await doFetch(url, init);
    } catch (err) {
      throw new RelaybaseError(
        { status: 0, code: "ERROR_NETWORK", message: `Could not reach ${base}: ${err && err.message || err}` },
        { cause: err },
      );
    }
    const text = await res.text();
    let body = null;
    if (text !== "") {
      try { body = JSON.parse(text); } catch { body = text; }
    }
    if (!res.ok) {
      const e = body && typeof body === "object" ? body : {};
      throw new RelaybaseError({
        status: res.status,
        code: typeof e.code === "string" ? e.code : `HTTP_${res.status}`,
        message: typeof e.message === "string" && e.message ? e.message : `${method} ${path}: ${res.status} ${res.statusText}`.trim(),
        payload: e.payload === undefined ? "" : e.payload,
      });
    }
    return body;
  }
  return client;
}

/**
 * Encodes inputs as a query string the way relaybase (and Xano) read them:
 * `a=1&list[]=x&list[]=y&obj[key]=v`. null and undefined values are left out.
 * @param {object} [inputs]
 * @returns {string}
 */
export function queryString(inputs) {
  if (!inputs || typeof inputs !== "object") return "";
  const parts = [];
  const add = (key, v) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      for (const item of v) add(`${key}[]`, item);
    } else if (typeof v === "object") {
      for (const [k, item] of Object.entries(v)) add(`${key}[${k}]`, item);
    } else {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  };
  for (const [k, v] of Object.entries(inputs)) add(k, v);
  return parts.join("&");
}
