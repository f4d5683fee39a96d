// The harness of the chat pages' browser tests (browser.test.mjs for index.html,
// browser-current.test.mjs for current.html): a relaybase built and started on the chat
// example, headless Chromium driven by playwright-core, one browser context per person, and
// the questions the tests ask a page. Page errors and dialogs are collected in problems,
// which each test file asserts is empty at its end. Screenshots go to test-artifacts/
// (gitignored).
//
// Without RELAYBASE_TEST_CHROMIUM the tests fail: they are not optional.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { ROOT, buildRelaybase, startRelaybase, tempDir, removeDir } from "./relaybase.mjs";

const ARTIFACTS = join(ROOT, "test-artifacts");

/** How long an ordinary wait for the page may take. */
export const WAIT = 15000;

/**
 * Registers, in the calling describe, the hooks that start relaybase and Chromium and open
 * one page per person (people: {key: contextOptions}); screenshots are named prefix-name.png.
 * The returned harness holds bin, data, server (restart() replaces it), browser, pages
 * ({key: {context, page}}) and problems.
 */
export function chatBrowser({ prefix, people }) {
  const h = { bin: null, data: null, server: null, browser: null, pages: {}, problems: [] };

  /** Watches a page for errors and dialogs (there must be none). */
  h.watch = (page, name) => {
    page.on("pageerror", (err) => h.problems.push(`${name}: page error: ${err.message}`));
    page.on("dialog", (d) => { h.problems.push(`${name}: dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
    return page;
  };

  /** Starts relaybase again on the same data (and port, when given). */
  h.restart = async (port) => {
    h.server = await startRelaybase({ bin: h.bin, data: h.data, port });
    return h.server;
  };

  h.shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}.png`), fullPage: true });

  before(async () => {
    const chromiumPath = process.env.RELAYBASE_TEST_CHROMIUM;
    if (!chromiumPath) {
      throw new Error("RELAYBASE_TEST_CHROMIUM is not set: it must name a Chromium binary (./scripts/test sets /usr/bin/chromium)");
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    h.bin = await buildRelaybase();
    h.data = tempDir();
    h.server = await startRelaybase({ bin: h.bin, data: h.data });
    h.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    for (const [key, options] of Object.entries(people)) {
      const context = await h.browser.newContext(options);
      h.pages[key] = { context, page: h.watch(await context.newPage(), key) };
    }
  });

  after(async () => {
    await h.browser?.close();
    await h.server?.stop();
    if (h.data) removeDir(h.data);
  });

  return h;
}

/** Waits until the page says it is connected (body[data-connection="connected"]). */
export const connected = (page, timeout = WAIT) => page.waitForSelector('body[data-connection="connected"]', { timeout });

/** The texts of the messages shown, in order. */
export const messageTexts = (page) => page.$$eval("#messages .text", (els) => els.map((e) => e.textContent));

/** The ids of the messages shown, in order. */
export const messageIds = (page) => page.$$eval("#messages .msg", (els) => els.map((e) => Number(e.dataset.id)));

/** The names in the online list, in order. */
export const onlineNames = (page) => page.$$eval("#online li", (els) => els.map((e) => e.dataset.name));

/** Waits until a message with this text is shown. */
export const waitForText = (page, text, timeout = WAIT) => page.waitForFunction(
  (t) => [...document.querySelectorAll("#messages .text")].some((e) => e.textContent === t), text, { timeout });

/** Waits until every one of names is in the online list. */
export const waitOnline = (page, names, timeout = WAIT) => page.waitForFunction(
  (want) => want.every((n) => document.querySelector(`#online li[data-name="${n}"]`)), names, { timeout });

/** How many messages with this text are shown. */
export async function countOf(page, text) {
  return (await messageTexts(page)).filter((t) => t === text).length;
}

/** Types a message and sends it with Enter. */
export async function send(page, text) {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

/** Asserts that the page shows each message once, in id order. */
export async function assertNoDuplicates(page, who) {
  const ids = await messageIds(page);
  assert.equal(new Set(ids).size, ids.length, `${who} shows a message twice: ${ids}`);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `${who}'s messages are out of order`);
}

/** Picks a guest name in the sign-in form and waits until the page is connected as that person. */
export async function joinAsGuest(page, name) {
  await page.fill("#guest-name", name);
  await page.click('#guest-form button[type="submit"]');
  await page.waitForFunction((n) => document.getElementById("me-name").textContent === n, name, { timeout: WAIT });
  await page.waitForSelector("#composer:not([hidden])", { timeout: WAIT });
  await connected(page);
}

/** Reloads the page and asserts that it comes back as the same person (name), with the same messages. */
export async function assertReloadKeeps(page, name) {
  const before = await messageTexts(page);
  await page.reload();
  await connected(page);
  await page.waitForFunction((n) => document.querySelectorAll("#messages .msg").length >= n, before.length, { timeout: WAIT });
  assert.deepEqual(await messageTexts(page), before);
  assert.equal(await page.textContent("#me-name"), name);
}
