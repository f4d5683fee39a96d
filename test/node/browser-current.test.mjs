// The chat room's second page (static/current.html), on Xano's current realtime (/ws/), in
// a real browser: headless Chromium driven by playwright-core, against a relaybase started
// by the test. Screenshots go to test-artifacts/ (gitignored).
//
//   RELAYBASE_TEST_CHROMIUM=/usr/bin/chromium node --test test/node/browser-current.test.mjs
//
// Without RELAYBASE_TEST_CHROMIUM the test fails: it is not optional.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { ROOT, buildRelaybase, startRelaybase, tempDir, removeDir } from "./lib/relaybase.mjs";

const CHROMIUM = process.env.RELAYBASE_TEST_CHROMIUM;
const ARTIFACTS = join(ROOT, "test-artifacts");
const WAIT = 15000;
const RECONNECT_WAIT = 30000; // the page's backoff tops out at 10 s

describe("chat page on the current realtime, in Chromium", { timeout: 240000 }, () => {
  let bin;
  let data;
  let server;
  let browser;
  const pages = {}; // alice, bob
  const problems = [];

  before(async () => {
    if (!CHROMIUM) {
      throw new Error("RELAYBASE_TEST_CHROMIUM is not set: it must name a Chromium binary (./scripts/test sets /usr/bin/chromium)");
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    bin = await buildRelaybase();
    data = tempDir();
    server = await startRelaybase({ bin, data });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    for (const name of ["alice", "bob"]) {
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      const page = await context.newPage();
      page.on("pageerror", (err) => problems.push(`${name}: page error: ${err.message}`));
      pages[name] = { context, page };
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (data) removeDir(data);
  });

  const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `browser-current-${name}.png`), fullPage: true });
  const connected = (page, timeout = WAIT) => page.waitForSelector('body[data-connection="connected"]', { timeout });
  const texts = (page) => page.$$eval("#messages .text", (els) => els.map((e) => e.textContent));
  const ids = (page) => page.$$eval("#messages .msg", (els) => els.map((e) => Number(e.dataset.id)));
  const onlineNames = (page) => page.$$eval("#online li", (els) => els.map((e) => e.dataset.name));
  const waitForText = (page, text, timeout = WAIT) => page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === t), text, { timeout });
  const waitOnline = (page, names, timeout = WAIT) => page.waitForFunction(
    (want) => want.every((n) => document.querySelector(`#online li[data-name="${n}"]`)), names, { timeout });

  async function send(page, text) {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
  }

  async function onceEach(page, who) {
    const list = await ids(page);
    assert.equal(new Set(list).size, list.length, `${who} shows a message twice: ${list}`);
    assert.deepEqual(list, [...list].sort((a, b) => a - b), `${who}'s messages are out of order`);
  }

  test("two guests pick names, join rooms/marvel and see each other online", async () => {
    for (const [key, name] of [["alice", "Alice"], ["bob", "Bob"]]) {
      const { page } = pages[key];
      await page.goto(`${server.base}/current.html`);
      await connected(page); // watching anonymously first
      await page.fill("#guest-name", name);
      await page.click('#guest-form button[type="submit"]');
      await page.waitForSelector("#composer:not([hidden])", { timeout: WAIT });
      await connected(page);
    }
    await waitOnline(pages.alice.page, ["Alice", "Bob"]);
    await waitOnline(pages.bob.page, ["Alice", "Bob"]);
    assert.deepEqual(await onlineNames(pages.bob.page), ["Alice", "Bob"]);
    await shot(pages.alice.page, "1-joined-alice");
  });

  test("Alice sends, Bob sees it live, once", async () => {
    await send(pages.alice.page, "Hello on the current protocol 👋");
    await waitForText(pages.bob.page, "Hello on the current protocol 👋");
    await send(pages.bob.page, "<b>not bold</b>");
    await waitForText(pages.alice.page, "<b>not bold</b>");
    assert.equal(await pages.alice.page.$$eval("#messages b", (els) => els.length), 0, "text is never HTML");
    for (const key of ["alice", "bob"]) await onceEach(pages[key].page, key);
    await shot(pages.bob.page, "2-live-bob");
  });

  test("Bob reloads: the conversation brings the messages back, each once", async () => {
    const { page } = pages.bob;
    const before = await texts(page);
    await page.reload();
    await connected(page);
    await page.waitForFunction((n) => document.querySelectorAll("#messages .msg").length >= n, before.length, { timeout: WAIT });
    assert.deepEqual(await texts(page), before);
    assert.equal(await page.textContent("#me-name"), "Bob");
    await onceEach(page, "bob");
  });

  test("a restart while Bob is offline: he comes back to what he missed", async () => {
    const alice = pages.alice.page;
    const bob = pages.bob.page;
    await pages.bob.context.setOffline(true);
    const port = server.port;
    await server.stop(); // 1012: the pages reconnect
    server = await startRelaybase({ bin, data, port });
    await connected(alice, RECONNECT_WAIT);
    await send(alice, "sent while Bob was away");
    await waitForText(alice, "sent while Bob was away");
    await pages.bob.context.setOffline(false);
    await connected(bob, RECONNECT_WAIT);
    await waitForText(bob, "sent while Bob was away");
    await send(bob, "Bob is back");
    await waitForText(alice, "Bob is back");
    await waitOnline(alice, ["Alice", "Bob"]);
    for (const [key, page] of [["alice", alice], ["bob", bob]]) await onceEach(page, key);
    await shot(bob, "3-after-restart-bob");
    assert.deepEqual(problems, []);
  });
});
