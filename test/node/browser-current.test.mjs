// The chat room's second page (static/current.html), on Xano's current realtime (/ws/), in
// a real browser: headless Chromium driven by playwright-core, against a relaybase started
// by the test (the harness is lib/chat-browser.mjs). Screenshots go to test-artifacts/
// (gitignored).
//
//   RELAYBASE_TEST_CHROMIUM=/usr/bin/chromium node --test test/node/browser-current.test.mjs
//
// Without RELAYBASE_TEST_CHROMIUM the test fails: it is not optional.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import {
  chatBrowser, connected, onlineNames, waitForText, waitOnline, send, joinAsGuest,
  assertNoDuplicates, assertReloadKeeps,
} from "./lib/chat-browser.mjs";

const RECONNECT_WAIT = 30000; // the page's backoff tops out at 10 s

describe("chat page on the current realtime, in Chromium", { timeout: 240000 }, () => {
  const viewport = { width: 1000, height: 700 };
  const h = chatBrowser({ prefix: "browser-current", people: { alice: { viewport }, bob: { viewport } } });
  const { pages, problems, shot } = h;

  test("two guests pick names, join rooms/marvel and see each other online", async () => {
    for (const [key, name] of [["alice", "Alice"], ["bob", "Bob"]]) {
      const { page } = pages[key];
      await page.goto(`${h.server.base}/current.html`);
      await connected(page); // watching anonymously first
      await joinAsGuest(page, name);
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
    for (const key of ["alice", "bob"]) await assertNoDuplicates(pages[key].page, key);
    await shot(pages.bob.page, "2-live-bob");
  });

  test("Bob reloads: the conversation brings the messages back, each once", async () => {
    const { page } = pages.bob;
    await assertReloadKeeps(page, "Bob");
    await assertNoDuplicates(page, "bob");
  });

  test("a restart while Bob is offline: he comes back to what he missed", async () => {
    const alice = pages.alice.page;
    const bob = pages.bob.page;
    await pages.bob.context.setOffline(true);
    const port = h.server.port;
    await h.server.stop(); // 1012: the pages reconnect
    await h.restart(port);
    await connected(alice, RECONNECT_WAIT);
    await send(alice, "sent while Bob was away");
    await waitForText(alice, "sent while Bob was away");
    await pages.bob.context.setOffline(false);
    await connected(bob, RECONNECT_WAIT);
    await waitForText(bob, "sent while Bob was away");
    await send(bob, "Bob is back");
    await waitForText(alice, "Bob is back");
    await waitOnline(alice, ["Alice", "Bob"]);
    for (const [key, page] of [["alice", alice], ["bob", bob]]) await assertNoDuplicates(page, key);
    await shot(bob, "3-after-restart-bob");
    assert.deepEqual(problems, []);
  });
});
