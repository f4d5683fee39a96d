// The official Xano SDK's world for the conformance test: a WebSocket global that sends the
// SDK's wss://<host>/rt/... to a local relaybase, a fresh copy of the SDK per simulated
// member (the SDK keeps one socket per loaded copy), and a recorder that turns the SDK's
// callbacks into promises with deadlines.

import { createRequire } from "node:module";
import { dirname, sep } from "node:path";
import WS from "ws";

export { overlayWorkspace } from "./relaybase.mjs";

const require = createRequire(import.meta.url);
const SDK_DIR = dirname(require.resolve("@xano/js-sdk/package.json"));

/**
 * Every socket the SDK opened, in order: what it asked for and how it ended.
 * @type {{url: string, protocols: string[] | undefined, target: string, closeCode: number | null, socket: WS}[]}
 */
export const sockets = [];

/**
 * Installs globalThis.WebSocket for the SDK: the `ws` package's WebSocket, with the SDK's
 * `wss://<any host>/rt/<canonical>` rewritten to `ws://127.0.0.1:<port()>/rt/<canonical>`.
 * That rewrite is the only change; the subprotocol (the token) passes through untouched.
 * Two things are recorded, not changed: the URL and protocols the SDK asked for, and the
 * close code each socket saw.
 *
 * One more difference between `ws` and a browser's WebSocket is bridged: a browser reports
 * a failed connection as an `error` event and goes on, while an EventEmitter with no `error`
 * listener throws. The SDK listens for `close` only (which follows every `error`), so the
 * socket gets a listener that ignores `error`, as a browser would.
 * @param {() => number} port  the relaybase port, read at each connection (restarts keep it)
 */
export function installWebSocket(port) {
  class SDKWebSocket extends WS {
    constructor(url, protocols) {
      const asked = new URL(url);
      if (asked.protocol !== "wss:" || !asked.pathname.startsWith("/rt/")) {
        throw new Error(`the SDK asked for ${url}, not wss://<host>/rt/<canonical>`);
      }
      const target = `ws://127.0.0.1:${port()}${asked.pathname}`;
      super(target, protocols);
      const record = { url: String(url), protocols, target, closeCode: null, socket: this };
      sockets.push(record);
      this.on("error", () => { /* a browser reports it as an event; close follows */ });
      this.on("close", (code) => { record.closeCode = code; });
    }
  }
  globalThis.WebSocket = SDKWebSocket;
  return SDKWebSocket;
}

/**
 * Loads a fresh copy of @xano/js-sdk: its modules are evaluated again, so the copy has its
 * own realtime state (its own socket). Its dependencies (axios, ...) are shared, as they hold
 * no realtime state.
 */
export function freshSDK() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(SDK_DIR + sep)) delete require.cache[key];
  }
  return require("@xano/js-sdk");
}


/**
 * Records what one SDK channel object hands to its callbacks: `.on(fn, onError)`, so frames
 * (connection_status, join, message, event, presence_*, history, leave) land in `frames` and
 * errors in `errors`, exactly as the SDK parsed them.
 */
export class Recorder {
  /** @param {any} channel an XanoRealtimeChannel */
  constructor(channel, label = channel.channel) {
    this.channel = channel;
    this.label = label;
    this.frames = [];
    this.errors = [];
    this.waiters = new Set();
    channel.on((f) => this.#push(this.frames, f), (f) => this.#push(this.errors, f));
  }

  #push(list, frame) {
    list.push(frame);
    for (const w of [...this.waiters]) w();
  }

  /** Frames of one action, in arrival order, from index `from` of all frames. */
  of(action, from = 0) {
    return this.frames.slice(from).filter((f) => f.action === action);
  }

  /**
   * Resolves with probe()'s first truthy value. probe runs now and after every callback of
   * this channel (frames and errors), so it may look at frames, errors or getPresence(); it
   * rejects when the deadline passes first.
   * @template T
   * @param {() => T} probe
   * @param {string | (() => string)} what
   * @param {number} [timeout]
   * @returns {Promise<T>}
   */
  until(probe, what, timeout = 10000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v;
        try { v = probe(); } catch (err) { finish(); reject(err); return; }
        if (v) { finish(); resolve(v); }
      };
      const timer = setTimeout(() => {
        finish();
        const label = typeof what === "function" ? what() : what;
        const seen = JSON.stringify([...this.frames, ...this.errors].map((f) => [f.action, f.payload]).slice(-12));
        reject(new Error(`${this.label}: timed out after ${timeout} ms waiting for ${label}; last callbacks: ${seen}`));
      }, timeout);
      const finish = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves with the first frame of `action` at or after index `from` matching `pred`. */
  next(action, pred = () => true, { from = 0, timeout } = {}) {
    return this.until(() => this.of(action, from).find(pred), `a ${action} frame`, timeout);
  }

  /** Resolves with the first error callback whose payload.code is `code`. */
  error(code, timeout) {
    return this.until(() => this.errors.find((f) => f.payload?.code === code), `an error ${code}`, timeout);
  }
}
