// The admin console at /_/ in a real browser: headless Chromium driven by playwright-core,
// against a relaybase serving examples/chat with a table trigger laid over it
// (test/node/workspaces/admin/). One context is the operator in the console, another a guest
// on the chat page, so what one does the other must see.
//
//   RELAYBASE_TEST_CHROMIUM=/usr/bin/chromium node --test test/node/admin.test.mjs
//
// Screenshots of the main views go to test-artifacts/admin-*.png; with
// RELAYBASE_UPDATE_SCREENSHOTS=1 the documented ones go to docs/admin/*.png instead, which
// docs/admin.md and the README show (review them in the diff, like golden files).

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
const ARTIFACTS = join(ROOT, "test-artifacts");
const WAIT = 15000;
const EMAIL = "ops@example.com";
const PASSWORD = "correct horse battery";
const ROOM = "marvel_chat_room";
// Markup in a row is data: the console shows it as text, never runs it.
const markup = `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`;

/** Runs the relaybase binary with args and stdin; resolves to its output, rejects unless it exits 0. */
function runRelaybase(bin, args, stdin = "") {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (s) => { out += s; });
    proc.stderr.on("data", (s) => { out += s; });
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`relaybase ${args.join(" ")} exited ${code}:\n${out}`))));
    proc.stdin.end(stdin);
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
    mkdirSync(ARTIFACTS, { recursive: true });
    if (TO_DOCS) mkdirSync(join(ROOT, "docs/admin"), { recursive: true });
    bin = await buildRelaybase();
    ws = overlayWorkspace("admin");
    data = tempDir();
    await runRelaybase(bin, ["admin", "create", EMAIL, ws.dir, "--data", data], `${PASSWORD}\n`);
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
  const runCLI = (args) => runRelaybase(bin, args);
  // The views docs/admin.md shows; the other screenshots only go to test-artifacts/.
  const DOCUMENTED = ["tables", "endpoints", "realtime", "workspace", "tasks"];
  const shot = (page, name) => page.screenshot({
    path: TO_DOCS && DOCUMENTED.includes(name) ? join(ROOT, "docs/admin", `${name}.png`) : join(ARTIFACTS, `admin-${name}.png`),
  });
  const cellTexts = (field) => op.$$eval(`#rows tbody td[data-field="${field}"]`, (els) => els.map((e) => e.textContent));
  const rowIds = () => op.$$eval("#rows tbody tr", (els) => els.map((e) => Number(e.dataset.id)));
  /** Waits for the rows table to be drawn for the hash the page is at now. */
  const rowsShown = async () => {
    await op.waitForSelector("#rows", { timeout: WAIT });
    await op.waitForSelector("#page-info", { timeout: WAIT });
  };
  /** The audit table's actions for one message, as the page shows them (newest first). */
  const auditOf = (id) => op.$$eval("#rows tbody tr", (trs, i) => trs
    .filter((tr) => tr.querySelector('td[data-field="message_id"]')?.textContent === String(i))
    .map((tr) => tr.querySelector('td[data-field="action"]').textContent), id);
  /** Goes to a view and waits until the page has drawn it (not the view it came from). */
  const goto = async (hash) => {
    await op.evaluate((h) => { location.hash = h; }, hash);
    await op.waitForFunction((h) => document.body.dataset.ready === h, hash, { timeout: WAIT });
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

  test("browse a table: schema, paging, sort, filter; a password is never on the page", async () => {
    // 30 messages by two authors, and a user with a password.
    await postMessage(server, markup, { author: "Mallory" });
    for (let i = 1; i <= 29; i++) await postMessage(server, `seed ${i}`, { author: i % 3 === 0 ? "Carol" : "Dave" });
    const signup = await http("POST", `${server.apiChat}/auth/signup`, { name: "Erin", email: "erin@example.com", password: "erin-secret-42" });
    assert.equal(signup.status, 200, signup.text);

    await goto("#/tables/message");
    await rowsShown();
    assert.match(await op.textContent(".view-tables .schema"), /channel/);
    assert.match(await op.textContent(".view-tables"), /message_audit/, "the table's trigger is named");
    assert.deepEqual(await rowIds(), Array.from({ length: 25 }, (_, i) => i + 1), "page 1: ids 1..25 in id order");
    assert.match(await op.textContent("#page-info"), /Page 1 of 2 · 30 rows/);
    assert.equal((await cellTexts("text"))[0], markup, "the markup row shows its text");
    assert.equal(await op.$$eval("#rows img, #rows script", (els) => els.length), 0, "no markup became elements");
    assert.equal(await op.evaluate(() => window.__xss), undefined);

    await op.click("text=Next →");
    await op.waitForFunction(() => /Page 2 of 2/.test(document.getElementById("page-info")?.textContent), null, { timeout: WAIT });
    assert.deepEqual(await rowIds(), [26, 27, 28, 29, 30]);

    // Sort by id, then click again for descending.
    await op.click('#rows th a:text-is("id")');
    await op.waitForSelector('#rows th[aria-sort="ascending"]', { timeout: WAIT });
    await op.click('#rows th a:has-text("id")');
    await op.waitForSelector('#rows th[aria-sort="descending"]', { timeout: WAIT });
    const desc = await rowIds();
    assert.equal(desc[0], 30, "descending starts at the last id");
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a));

    // Filter: author = Carol, every third seed.
    await op.selectOption('#filter [name="field"]', "author");
    await op.fill('#filter [name="value"]', "Carol");
    await op.click('#filter button[type="submit"]');
    await op.waitForFunction(() => /9 rows/.test(document.getElementById("page-info")?.textContent), null, { timeout: WAIT });
    assert.deepEqual([...new Set(await cellTexts("author"))], ["Carol"]);
    assert.deepEqual(await cellTexts("text"), [27, 24, 21, 18, 15, 12, 9, 6, 3].map((i) => `seed ${i}`), "still newest first");
    await shot(op, "tables");

    // The user table: the password field is in the schema, marked, and in no row.
    await goto("#/tables/user");
    await op.waitForFunction(() => document.querySelector('.side a[aria-current="page"]')?.textContent === "user", null, { timeout: WAIT });
    await rowsShown();
    await op.waitForSelector('#rows tbody td[data-field="email"]', { timeout: WAIT });
    assert.match(await op.textContent(".view-tables .schema"), /sensitive: never shown/);
    assert.equal(await op.$$eval('#rows td[data-field="password"], #rows th', (els) => els.filter((e) => e.matches("td") || e.textContent.trim() === "password").length), 0,
      "no password column");
    const html = await op.content();
    assert.ok(!html.includes("$argon2"), "no password hash in the page");
    assert.ok(!html.includes("erin-secret-42"));
  });

  test("add, edit and delete a row through the table trigger, which the audit table shows", async () => {
    await goto("#/tables/message");
    await rowsShown();

    // A text the trigger refuses: its message in the form, nothing stored.
    const before = await http("GET", `${server.apiChat}/messages?channel=console-room`);
    assert.equal(before.status, 200);
    await op.click("#new-row");
    await op.waitForSelector("#row-form", { timeout: WAIT });
    await op.fill("#field-channel", "console-room");
    await op.fill("#field-text", "forbidden");
    await op.fill("#field-author", "Console");
    await op.click('#row-form button[type="submit"]');
    await op.waitForFunction(() => {
      const e = document.querySelector("#row-form .error");
      return e && !e.hidden && /not allowed/.test(e.textContent);
    }, null, { timeout: WAIT });
    const still = await http("GET", `${server.apiChat}/messages?channel=console-room`);
    assert.equal(still.json.itemsTotal ?? still.json.items.length, before.json.itemsTotal ?? before.json.items.length, "the refused row was not stored");

    await op.fill("#field-text", "added from the console");
    await op.click('#row-form button[type="submit"]');
    await op.waitForSelector("#row-form", { state: "detached", timeout: WAIT });
    // Newest on top to find it.
    await goto("#/tables/message?sort=id&order=desc");
    await op.waitForFunction(() => document.querySelector('#rows tbody td[data-field="text"]')?.textContent === "added from the console", null, { timeout: WAIT });
    const id = (await rowIds())[0];
    const stored = await http("GET", `${server.apiChat}/messages?channel=console-room`);
    assert.deepEqual(stored.json.items.map((m) => [m.id, m.text, m.author]), [[id, "added from the console", "Console"]]);

    // Edit it.
    await op.click(`#rows tr[data-id="${id}"] .edit`);
    await op.waitForSelector("#row-form", { timeout: WAIT });
    assert.equal(await op.inputValue("#field-text"), "added from the console");
    await op.fill("#field-text", "edited in the console");
    await op.click('#row-form button[type="submit"]');
    await op.waitForFunction((i) => document.querySelector(`#rows tr[data-id="${i}"] td[data-field="text"]`)?.textContent === "edited in the console", id, { timeout: WAIT });
    const edited = await http("GET", `${server.apiChat}/messages?channel=console-room`);
    assert.equal(edited.json.items[0].text, "edited in the console");

    // The trigger's effect: an audit row for the insert and one for the update, none for the refused write.
    // (Newest first rather than a filter on message_id: the console's int filter refuses "7" today.)
    await goto("#/tables/audit?sort=id&order=desc");
    await rowsShown();
    assert.deepEqual(await auditOf(id), ["update", "insert"]);
    await shot(op, "trigger");

    // Delete asks once more on the button, then the row is gone and audited.
    await goto("#/tables/message?sort=id&order=desc");
    await op.waitForSelector(`#rows tr[data-id="${id}"]`, { timeout: WAIT });
    await op.click(`#rows tr[data-id="${id}"] .delete`);
    assert.equal(await op.textContent(`#rows tr[data-id="${id}"] .delete`), "Really delete?");
    await op.click(`#rows tr[data-id="${id}"] .delete`);
    await op.waitForSelector(`#rows tr[data-id="${id}"]`, { state: "detached", timeout: WAIT });
    const gone = await http("GET", `${server.apiChat}/messages?channel=console-room`);
    assert.deepEqual(gone.json.items, []);
    await goto("#/tables/audit?sort=id&order=desc");
    await op.waitForFunction(() => document.querySelector('#rows tbody td[data-field="action"]')?.textContent === "delete", null, { timeout: WAIT });
    assert.deepEqual(await auditOf(id), ["delete", "update", "insert"]);
  });

  test("run an endpoint with inputs: status, response and time", async () => {
    await goto("#/endpoints");
    const route = '.route[data-method="GET"][data-path="messages"]';
    await op.waitForSelector(route, { timeout: WAIT });
    assert.ok(await op.$('.route[data-method="POST"][data-path="messages"]'), "POST messages is listed");
    await op.click(`${route} .try`);
    await op.fill(`${route} [name="channel"]`, ROOM);
    await op.fill(`${route} [name="per_page"]`, "3");
    await op.click(`${route} .run-form button[type="submit"]`);
    await op.waitForSelector(`${route} .status`, { timeout: WAIT });
    assert.equal(await op.getAttribute(`${route} .status`, "data-status"), "200");
    assert.match(await op.textContent(`${route} .duration`), /^\d+(\.\d)? ms$/);
    const body = JSON.parse(await op.textContent(`${route} .response`));
    assert.deepEqual(body.items.map((m) => m.text), ["seed 29", "seed 28", "seed 27"], "newest first, 3 of them");

    // A missing required input: the endpoint's own 400, shown as such.
    await op.fill(`${route} [name="channel"]`, "");
    await op.click(`${route} .run-form button[type="submit"]`);
    await op.waitForSelector(`${route} .status[data-status="400"]`, { timeout: WAIT });
    assert.match(await op.textContent(`${route} .response`), /ERROR_CODE_INPUT_ERROR/);
    await op.fill(`${route} [name="channel"]`, ROOM);
    await op.click(`${route} .run-form button[type="submit"]`);
    await op.waitForSelector(`${route} .status[data-status="200"]`, { timeout: WAIT });
    await shot(op, "endpoints");
  });

  test("the live tail shows a chat message a guest posts; the console's publish reaches the chat page", async () => {
    await guest.goto(server.app);
    await guest.waitForSelector('body[data-connection="connected"]', { timeout: WAIT });
    await guest.fill("#guest-name", "Grace");
    await guest.click('#guest-form button[type="submit"]');
    await guest.waitForSelector("#composer:not([hidden])", { timeout: WAIT });
    await guest.waitForSelector('body[data-connection="connected"]', { timeout: WAIT });

    await goto("#/realtime");
    await op.waitForSelector(`#channels tr[data-channel="${ROOM}"]`, { timeout: WAIT });
    await op.waitForFunction((c) => Number(document.querySelector(`#channels tr[data-channel="${c}"] .members`)?.textContent) >= 1, ROOM, { timeout: WAIT });
    await op.waitForFunction(() => Number(document.querySelector('[data-stat="connections"] strong')?.textContent) >= 1, null, { timeout: WAIT });
    await op.click(`#channels tr[data-channel="${ROOM}"] a`);
    await op.waitForSelector(`.channel[data-channel="${ROOM}"]`, { timeout: WAIT });
    await op.waitForFunction(() => [...document.querySelectorAll(".channel .live")].every((e) => e.dataset.state === "open"), null, { timeout: WAIT });
    await op.waitForFunction(() => /Grace/.test(document.getElementById("presence")?.textContent), null, { timeout: WAIT });
    await op.waitForFunction(() => /seed 29/.test(document.getElementById("history")?.textContent), null, { timeout: WAIT });

    const text = `from the chat page ${Date.now()}`;
    await guest.fill("#text", text);
    await guest.press("#text", "Enter");
    await op.waitForFunction((t) => [...document.querySelectorAll("#tail .frame")].some((e) => e.textContent.includes(t)), text, { timeout: WAIT });
    const frame = JSON.parse(await op.$$eval("#tail .frame", (els, t) => els.find((e) => e.textContent.includes(t)).textContent, text));
    assert.equal(frame.payload.text, text);
    assert.equal(frame.payload.author, "Grace");

    // Publish from the console: a message-shaped payload the chat page shows.
    const published = { id: 900000 + (Date.now() % 100000), channel: ROOM, text: `announced from the console ${Date.now()}`, author: "Console", created_at: Date.now() };
    await op.fill("#publish-payload", JSON.stringify(published));
    await op.click('#publish button[type="submit"]');
    await op.waitForFunction(() => /^sent/.test(document.getElementById("publish-result")?.textContent), null, { timeout: WAIT });
    await guest.waitForFunction((t) => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === t), published.text, { timeout: WAIT });
    await op.waitForFunction((t) => [...document.querySelectorAll("#tail .frame")].some((e) => e.textContent.includes(t)), published.text, { timeout: WAIT });
    await shot(op, "realtime");
    await shot(guest, "chat-page");
  });

  test("leaving the realtime view, or hiding the tab, closes its streams", async () => {
    const open = () => op.evaluate(() => window.__openStreams.size);
    await goto("#/realtime/" + ROOM);
    await op.waitForFunction(() => [...document.querySelectorAll(".live")].every((e) => e.dataset.state === "open"), null, { timeout: WAIT });
    assert.deepEqual(await op.evaluate(() => [...window.__openStreams].map((u) => new URL(u).pathname).sort()),
      ["/_/api/realtime/stats", "/_/api/realtime/tail"], "the stats stream and the channel's tail");
    // The tab goes to the background: its streams close; back in front, they open again.
    const setHidden = (hidden) => op.evaluate((h) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
    await setHidden(true);
    assert.equal(await open(), 0, "a hidden tab holds no stream");
    await setHidden(false);
    await op.waitForFunction(() => window.__openStreams.size === 2, null, { timeout: WAIT });
    await op.waitForFunction(() => [...document.querySelectorAll(".live")].every((e) => e.dataset.state === "open"), null, { timeout: WAIT });

    await goto("#/workspace");
    await op.waitForSelector("#config", { timeout: WAIT });
    assert.equal(await open(), 0, "no stream open outside the realtime view");
    await goto("#/realtime");
    await op.waitForSelector('.live[data-state="open"]', { timeout: WAIT });
    assert.equal(await open(), 1, "the stats stream only: no channel chosen");
    await goto("#/tables");
    await op.waitForSelector("#rows", { timeout: WAIT });
    assert.equal(await open(), 0);
  });

  test("the workspace view: objects, diagnostics with file:line:col, the configuration", async () => {
    await goto("#/workspace");
    await op.waitForSelector("#objects", { timeout: WAIT });
    const objects = await op.$$eval("#objects tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const has = (kind, name) => objects.some(([k, n]) => k === kind && n === name);
    assert.ok(has("table", "message"), "table message listed");
    assert.ok(has("table_trigger", "message_audit"), "the overlay's trigger listed");
    assert.ok(has("realtime_channel", ROOM));
    const file = objects.find(([k, n]) => k === "table_trigger" && n === "message_audit")[2];
    assert.match(file, /^table\/trigger\/message_audit\.xs(:\d+)?$/);
    assert.ok(await op.$$eval("#config tbody tr", (trs) => trs.length) > 0, "some configuration shown");
    await shot(op, "workspace");
  });

  test("the tasks view: schedule, next run, and a run made with relaybase task run", async () => {
    await goto("#/tasks");
    const row = '#tasks tr[data-task="prune_audit"]';
    await op.waitForSelector(row, { timeout: WAIT });
    assert.match(await op.textContent(`${row} td:nth-child(2)`), /every 24h/);
    assert.equal(await op.textContent(`${row} td:nth-child(3)`), "yes");
    assert.match(await op.textContent(`${row} td:nth-child(5)`), /not run yet/);

    const out = await runCLI(["task", "run", "prune_audit", ws.dir, "--data", data]);
    assert.match(out, /"deleted"\s*:\s*0/);
    await op.reload();
    await op.waitForSelector(`${row} .run-item`, { timeout: WAIT });
    assert.equal(await op.textContent(`${row} .run-item .result`), "ok");
    assert.match(await op.textContent(`${row} .run-item`), /manual/);
    await shot(op, "tasks");
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
    for (const want of ["POST /_/api/login", "POST /_/api/tables/message/rows", "PATCH /_/api/tables/message/rows/{id}",
      "DELETE /_/api/tables/message/rows/{id}", "POST /_/api/endpoints/run", "POST /_/api/realtime/publish", "POST /_/api/logout"]) {
      assert.ok(paths.has(want), `the console sent ${want}`);
    }
    const tokens = new Set(writes.filter((w) => !w.path.endsWith("/login")).map((w) => w.csrf));
    assert.equal(tokens.size, 1, `one CSRF token for the session: ${[...tokens]}`);
    assert.ok([...tokens][0]?.length >= 16, "a real token in X-CSRF-Token");
  });
});
