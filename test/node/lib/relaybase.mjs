// Helpers for the Node tests: build relaybase, run `relaybase serve` on a free port, load
// /relaybase.js from it, and wait for things with a deadline (never a fixed sleep).

import { spawn, execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (test/node/lib/../../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const run = promisify(execFile);

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = "relaybase-test-") {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Copies examples/chat and lays test/node/workspaces/<overlay>/ over it, in a new temporary
 * directory `tmp` (the caller removes it); the workspace is `dir`.
 * @returns {{tmp: string, dir: string}}
 */
export function overlayWorkspace(overlay) {
  const tmp = tempDir("relaybase-sdk-ws-");
  const dir = join(tmp, "workspace");
  // Not the data a `relaybase serve examples/chat` may have left there.
  const notData = (src) => !src.split(sep).includes(".relaybase");
  cpSync(join(ROOT, "examples/chat"), dir, { recursive: true, filter: notData });
  cpSync(join(ROOT, "test/node/workspaces", overlay), dir, { recursive: true });
  return { tmp, dir };
}

/** Removes a directory made by tempDir, ignoring errors. */
export function removeDir(dir) {
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
}

/**
 * Builds the relaybase binary once into a temporary directory and returns its path.
 * RELAYBASE_BIN, when set, names a binary already built (./scripts/test may pass one).
 */
export async function buildRelaybase() {
  if (process.env.RELAYBASE_BIN) return process.env.RELAYBASE_BIN;
  const dir = tempDir("relaybase-bin-");
  const bin = join(dir, "relaybase");
  try {
    await run("go", ["build", "-o", bin, "./cmd/relaybase"], { cwd: ROOT, maxBuffer: 16 << 20 });
  } catch (err) {
    throw new Error(`go build ./cmd/relaybase failed:\n${err.stderr || err.message}`);
  }
  return bin;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * A running `relaybase serve`.
 * @typedef {object} Relaybase
 * @property {string} base      http://127.0.0.1:PORT (https://HOST:PORT when serving TLS)
 * @property {string} app       the printed app URL (with 127.0.0.1 for localhost)
 * @property {string} apiChat   http://127.0.0.1:PORT/api:chat
 * @property {string} realtime  ws://127.0.0.1:PORT/rt/CANONICAL
 * @property {number} port
 * @property {string} data
 * @property {() => string} logs  stdout and stderr so far
 * @property {() => Promise<number|null>} stop  SIGTERM (graceful: realtime closes with 1012), then wait
 */

/**
 * Starts `relaybase serve DIR --addr 127.0.0.1:PORT --data DATA ...args` and waits for its
 * printed URLs. With --tls-cert among args, base is https://localhost:PORT as printed.
 * @param {{bin: string, dir?: string, port?: number, data: string, timeout?: number, args?: string[]}} options
 * @returns {Promise<Relaybase>}
 */
export async function startRelaybase({ bin, dir = "examples/chat", port, data, timeout = 30000, args: extra = [] }) {
  port ??= await freePort();
  const args = ["serve", dir, "--addr", `127.0.0.1:${port}`, "--data", data, ...extra];
  const proc = spawn(bin, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (s) => { out += s; });
  proc.stderr.setEncoding("utf8").on("data", (s) => { err += s; });
  const exited = new Promise((res) => proc.on("exit", (code, signal) => res(code ?? signal)));
  const logs = () => `--- stdout\n${out}--- stderr\n${err}`;

  const urls = await new Promise((res, rej) => {
    const timer = setTimeout(() => { proc.kill("SIGKILL"); rej(new Error(`relaybase did not print its URLs within ${timeout} ms\n${logs()}`)); }, timeout);
    const check = () => {
      const rt = /realtime:\s+(wss?:\/\/\S+)/.exec(out);
      if (!rt) return;
      clearTimeout(timer);
      proc.stdout.off("data", check);
      const app = /app:\s+(https?:\/\/\S+)/.exec(out);
      const apiChat = /api:\s+(https?:\/\/\S+\/api:chat)\b/.exec(out);
      res({ realtime: rt[1], app: app && app[1], apiChat: apiChat && apiChat[1] });
    };
    proc.stdout.on("data", check);
    exited.then((code) => { clearTimeout(timer); rej(new Error(`relaybase exited (${code}) before serving\n${logs()}`)); });
  });

  // The server listens on 127.0.0.1 only; "localhost" may resolve to ::1 first.
  const local = (u) => u && u.replace("//localhost:", "//127.0.0.1:");
  const tls = urls.realtime.startsWith("wss:");
  const realtime = tls ? urls.realtime : local(urls.realtime);
  const base = tls ? new URL(urls.realtime.replace(/^wss:/, "https:")).origin : `http://127.0.0.1:${port}`;
  let stopped = null;
  return {
    base,
    port,
    data,
    app: (tls ? urls.app : local(urls.app)) || `${base}/`,
    apiChat: (tls ? urls.apiChat : local(urls.apiChat)) || `${base}/api:chat`,
    realtime,
    proc,
    logs,
    stop() {
      if (stopped) return stopped;
      stopped = (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 15000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopped;
    },
  };
}

/**
 * Loads /relaybase.js as the server serves it, as an ES module.
 * @param {string} base  http://127.0.0.1:PORT
 */
export async function loadClient(base) {
  const res = await fetch(`${base}/relaybase.js`);
  if (!res.ok) throw new Error(`GET /relaybase.js: ${res.status}`);
  const src = await res.text();
  return import(`data:text/javascript;base64,${Buffer.from(src).toString("base64")}`);
}

/**
 * Polls `probe` until it returns a truthy value (which is returned) or the deadline passes.
 * @template T
 * @param {() => T | Promise<T>} probe
 * @param {{timeout?: number, interval?: number, what?: string | (() => string)}} [options]
 * @returns {Promise<T>}
 */
export async function waitFor(probe, { timeout = 10000, interval = 20, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let lastErr;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const label = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeout} ms waiting for ${label}${lastErr ? `: ${lastErr.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** POST/GET JSON helper for the test itself (not the client under test). */
export async function http(method, url, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

/** Posts a chat message through the endpoint and returns the stored row (throws on non-200). */
export async function postMessage(server, text, { channel = "marvel_chat_room", author = "Test" } = {}) {
  const r = await http("POST", `${server.apiChat}/messages`, { channel, text, author });
  if (r.status !== 200) throw new Error(`POST messages: ${r.status} ${r.text}`);
  return r.json;
}

/** A guest token whose extras carry `name`. */
export async function guestToken(server, name) {
  const r = await http("POST", `${server.apiChat}/auth/guest`, { name });
  if (r.status !== 200 || !r.json?.authToken) throw new Error(`POST auth/guest: ${r.status} ${r.text}`);
  return r.json.authToken;
}
