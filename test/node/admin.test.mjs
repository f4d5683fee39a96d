// The admin console at /_/ in a real browser: headless Chromium driven by playwright-core,
// against a relaybase serving examples/chat with a table trigger laid over it
// (test/node/workspaces/admin/). One context is the operator in the console, another a guest
// on the chat page, so what one does the other must see.
//
//   RELAYBASE_TEST_CHROMIUM=/usr/bin/chromium node --test test/node/admin.test.mjs
//
// Screenshots of the main views go to test-artifacts/admin-*.png; with
// RELAYBASE_UPDATE_SCREENSHOTS=1 they go to docs/admin/*.png instead, which docs/admin.md and
// the README show (review them in the diff, like golden files).

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

import {
  ROOT, buildRelaybase, startRelaybase, tempDir, removeDir, http, postMessage, overlayWorkspace,
} from "./lib/relaybase.mjs";

const CHROMIUM = process.env.RELAYBASE_TEST_CHROMIUM;
const TO_DOCS = process.env.RELAYBASE_UPDATE_SCREENSHOTS === "1";
const SHOTS = TO_DOCS ? join(ROOT, "docs/admin") : join(ROOT, "test-artifacts");
const WAIT = 15000;
const EMAIL = "ops@example.com";
const PASSWORD = "correct horse battery";
const ROOM = "marvel_chat_room";

/** Runs `relaybase admin create EMAIL DIR --data DATA` with the password on stdin. */
function createAdmin(bin, dir, data) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ["admin", "create", EMAIL, dir, "--data", data], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (s) => { out += s; });
    proc.stderr.on("data", (s) => { out += s; });
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`relaybase admin create exited ${code}:\n${out}`))));
    proc.stdin.end(`${PASSWORD}\n`);
  });
}

describe("admin console in Chromium", { timeout: 300000 }, () => {
  let bin;
  let ws;
  let data;
  let server;
  let browser;
  let consoleCtx;
  let op; // the operator's page: the console
  let chatCtx;
  let guest; // a guest on the chat page
  const problems = []; // page errors and dialogs: there must be none
  const writes = []; // every non-GET request the console made to its API: {path, csrf}

  before(async () => {
    if (!CHROMIUM) {
      throw new Error("RELAYBASE_TEST_CHROMIUM is not set: it must name a Chromium binary (./scripts/test sets /usr/bin/chromium)");
    }
    mkdirSync(SHOTS, { recursive: true });
    bin = await buildRelaybase();
    ws = overlayWorkspace("admin");
    data = tempDir();
    await createAdmin(bin, ws.dir, data);
    server = await startRelaybase({ bin, dir: ws.dir, data });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    consoleCtx = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    // Which EventSources the page holds open, seen from the browser's side.
    await consoleCtx.addInitScript(() => {
      const Native = window.EventSource;
      window.__openStreams = new Set();
      window.EventSource = class extends Native {
        constructor(url, init) {
          super(url, init);
          window.__openStreams.add(this.url);
          this.addEventListener("error", () => { if (this.readyState === Native.CLOSED) window.__openStreams.delete(this.url); });
        }
        close() {
          window.__openStreams.delete(this.url);
          super.close();
        }
      };
    });
    op = await consoleCtx.newPage();
    chatCtx = await browser.newContext({ viewport: { width: 420, height: 760 } });
    guest = await chatCtx.newPage();
    op.on("request", (req) => {
      const url = new URL(req.url());
      if (url.pathname.startsWith("/_/api/") && !["GET", "HEAD"].includes(req.method())) {
        writes.push({ path: `${req.method()} ${url.pathname}`, csrf: req.headers()["x-csrf-token"] });
      }
    });
    for (const [name, page] of [["console", op], ["chat", guest]]) {
      page.on("pageerror", (err) => problems.push(`${name}: page error: ${err.message}`));
      page.on("dialog", (d) => { problems.push(`${name}: dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (data) removeDir(data);
    if (ws) removeDir(ws.tmp);
  });

  const consoleURL = () => `${server.base}/_/`;
  const shot = (page, name, fullPage = false) => page.screenshot({
    path: join(SHOTS, TO_DOCS ? `${name}.png` : `admin-${name}.png`), fullPage,
  });
  const cellTexts = (field) => op.$$eval(`#rows tbody td[data-field="${field}"]`, (els) => els.map((e) => e.textContent));
  const rowIds = () => op.$$eval("#rows tbody tr", (els) => els.map((e) => Number(e.dataset.id)));
  /** Waits for the rows table to be drawn for the hash the page is at now. */
  const rowsShown = async () => {
    await op.waitForSelector("#rows", { timeout: WAIT });
    await op.waitForSelector("#page-info", { timeout: WAIT });
  };
  const goto = async (hash) => {
    await op.evaluate((h) => { location.hash = h; }, hash);
  };

  test("the login form refuses a wrong password, then lets the admin in", async () => {
    await op.goto(consoleURL());
    await op.waitForSelector("#login-form", { timeout: WAIT });
    assert.equal(await op.isVisible("#app"), false, "nothing of the console before logging in");
    await op.fill('#login-form [name="email"]', EMAIL);
    await op.fill('#login-form [name="password"]', "not the password");
    await op.click('#login-form button[type="submit"]');
    await op.waitForSelector("#login-error:not([hidden])", { timeout: WAIT });
    assert.match(await op.textContent("#login-error"), /wrong email or password/i);
    assert.equal(await op.isVisible("#app"), false);
    await shot(op, "login");

    await op.fill('#login-form [name="password"]', PASSWORD);
    await op.click('#login-form button[type="submit"]');
    await op.waitForSelector("#app:not([hidden])", { timeout: WAIT });
    assert.equal(await op.textContent("#me-email"), EMAIL);
    // The session outlives a reload (the cookie), and the first view is Tables.
    await op.reload();
    await op.waitForSelector('#nav a[data-view="tables"][aria-current="page"]', { timeout: WAIT });
    assert.equal(await op.textContent("#me-email"), EMAIL);
  });

  test("logout ends the session", async () => {
    await op.click("#logout");
    await op.waitForSelector("#login:not([hidden])", { timeout: WAIT });
    const status = await op.evaluate(async () => (await fetch("api/session")).status);
    assert.equal(status, 401, "the session is gone on the server");
    await op.reload();
    await op.waitForSelector("#login:not([hidden])", { timeout: WAIT });
    assert.deepEqual(problems, [], "no page errors, no dialogs");

    // Every write the console made carried the session's CSRF token (login has none yet).
    const paths = new Set(writes.map((w) => w.path.replace(/\/\d+$/, "/{id}")));
    for (const want of ["POST /_/api/login", "POST /_/api/logout"]) {
      assert.ok(paths.has(want), `the console sent ${want}`);
    }
    const tokens = new Set(writes.filter((w) => !w.path.endsWith("/login")).map((w) => w.csrf));
    assert.equal(tokens.size, 1, `one CSRF token for the session: ${[...tokens]}`);
    assert.ok([...tokens][0]?.length >= 16, "a real token in X-CSRF-Token");
  });
});
