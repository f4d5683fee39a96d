// The chat room in a real browser: headless Chromium driven by playwright-core, against a
// relaybase started by the test (the harness is lib/chat-browser.mjs). Screenshots go to
// test-artifacts/ (gitignored).
//
//   RELAYBASE_TEST_CHROMIUM=/usr/bin/chromium node --test test/node/browser.test.mjs
//
// Without RELAYBASE_TEST_CHROMIUM the test fails: it is not optional.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { http, postMessage } from "./lib/relaybase.mjs";
import {
  WAIT, chatBrowser, connected, messageTexts, messageIds, onlineNames, waitForText, waitOnline, countOf, send,
  joinAsGuest, assertNoDuplicates, assertReloadKeeps,
} from "./lib/chat-browser.mjs";

const RECONNECT_WAIT = 70000; // the client's backoff tops out at 60 s

describe("chat page in Chromium", { timeout: 300000 }, () => {
  // Two independent people: separate contexts (no shared storage), a laptop and a phone.
  const h = chatBrowser({
    prefix: "browser",
    people: {
      alice: { viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 },
      bob: { viewport: { width: 390, height: 780 }, deviceScaleFactor: 2 },
    },
  });
  const { pages, problems, shot } = h;
  const posted = []; // every message the test knows was stored, {id, text}

  test("two guests pick names, join the room and see each other online", async () => {
    for (const [key, name] of [["alice", "Alice"], ["bob", "Bob"]]) {
      const { page } = pages[key];
      await page.goto(h.server.app);
      await connected(page); // watching anonymously before picking a name
      await shot(page, `0-pick-a-name-${key}`);
      await joinAsGuest(page, name);
    }
    await waitOnline(pages.alice.page, ["Alice", "Bob"]);
    await waitOnline(pages.bob.page, ["Alice", "Bob"]);
    for (const key of ["alice", "bob"]) {
      const names = await onlineNames(pages[key].page);
      assert.deepEqual(names, ["Alice", "Bob"], `${key}'s online list`);
    }
    await shot(pages.alice.page, "1-joined-alice");
    await shot(pages.bob.page, "1-joined-bob");
  });

  test("Alice sends, Bob sees it live; both see it once", async () => {
    const text = "Hello from Alice 👋";
    await send(pages.alice.page, text);
    await waitForText(pages.bob.page, text);
    await waitForText(pages.alice.page, text);
    // A later message proves the first is not coming again.
    await send(pages.bob.page, "Hi Alice, Bob here");
    await waitForText(pages.alice.page, "Hi Alice, Bob here");
    await waitForText(pages.bob.page, "Hi Alice, Bob here");
    for (const key of ["alice", "bob"]) {
      assert.equal(await countOf(pages[key].page, text), 1, `${key} shows Alice's message once`);
      await assertNoDuplicates(pages[key].page, key);
    }
    assert.equal(await pages.alice.page.locator("#composer-error").isHidden(), true);
    await shot(pages.bob.page, "2-live-bob");
  });

  test("Bob reloads: still Bob, and the history is there", async () => {
    const { page } = pages.bob;
    await assertReloadKeeps(page, "Bob");
    await waitOnline(page, ["Alice", "Bob"]);
    await waitOnline(pages.alice.page, ["Alice", "Bob"]);
    assert.deepEqual(await onlineNames(pages.alice.page), ["Alice", "Bob"], "Bob's reload leaves one Bob");
    await shot(page, "3-reloaded-bob");
  });

  test("joins first, then reads: a message posted between the two shows once", async () => {
    const { page } = pages.alice;
    const text = `posted while Alice's page was reading (${Date.now()})`;
    let joinedWhenRead = null;
    let held = false;
    // Hold the page's first GET messages until the message is posted and its event shown.
    await page.route("**/api:chat/messages?*", async (route) => {
      if (held || route.request().method() !== "GET") return route.continue();
      held = true;
      joinedWhenRead = await page.evaluate(() => document.body.dataset.connection);
      const row = await postMessage(h.server, text, { author: "Someone" });
      posted.push({ id: row.id, text });
      await waitForText(page, text);
      await route.continue();
    });
    await page.reload();
    await connected(page);
    await page.waitForFunction((t) => {
      const texts = [...document.querySelectorAll("#messages .text")].map((e) => e.textContent);
      return texts.includes("Hello from Alice 👋") && texts.includes(t);
    }, text, { timeout: WAIT });
    await page.unroute("**/api:chat/messages?*");
    assert.ok(held, "the page read GET messages");
    assert.equal(joinedWhenRead, "connected", "the page joined the channel before reading the messages");
    assert.equal(await countOf(page, text), 1);
    await assertNoDuplicates(page, "alice");
  });

  test("the server restarts: both pages reconnect, and what was posted meanwhile arrives once", async () => {
    const alice = pages.alice.page;
    const bob = pages.bob.page;
    // Bob's network goes away first, so he is surely still away when the next message is posted.
    await pages.bob.context.setOffline(true);
    const port = h.server.port;
    await h.server.stop();
    for (const page of [alice, bob]) {
      await page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT });
      await page.waitForSelector("#banner:not([hidden])", { timeout: WAIT });
    }
    assert.match(await alice.textContent("#banner"), /connection/i);

    // Sending while the server is down: a readable error, and the text stays for another try.
    await send(alice, "this one can't go out");
    await alice.waitForSelector("#composer-error:not([hidden])", { timeout: WAIT });
    assert.match(await alice.textContent("#composer-error"), /can't reach the server/i);
    assert.equal(await alice.inputValue("#text"), "this one can't go out");
    await shot(alice, "4-server-down-alice");
    await alice.fill("#text", "");

    await h.restart(port);
    await connected(alice, RECONNECT_WAIT);
    const awayText = "posted while Bob was reconnecting";
    const row = await postMessage(h.server, awayText, { author: "Test" });
    posted.push({ id: row.id, text: awayText });
    assert.notEqual(await bob.evaluate(() => document.body.dataset.connection), "connected", "Bob is still away");
    await waitForText(alice, awayText);

    await pages.bob.context.setOffline(false);
    await connected(bob, RECONNECT_WAIT);
    await waitForText(bob, awayText);
    assert.equal(await bob.locator("#banner").isHidden(), true, "the banner goes once connected");

    // And they keep chatting.
    await send(bob, "Bob is back");
    await waitForText(alice, "Bob is back");
    await send(alice, "Welcome back, Bob");
    await waitForText(bob, "Welcome back, Bob");
    await waitOnline(alice, ["Alice", "Bob"]);
    await waitOnline(bob, ["Alice", "Bob"]);
    for (const [key, page] of [["alice", alice], ["bob", bob]]) {
      assert.equal(await countOf(page, awayText), 1, `${key} shows the message posted while Bob was away once`);
      assert.deepEqual(await onlineNames(page), ["Alice", "Bob"], `${key}'s online list after the restart`);
      await assertNoDuplicates(page, key);
      const texts = await messageTexts(page);
      for (const m of posted) assert.ok(texts.includes(m.text), `${key} lost "${m.text}"`);
    }
    await shot(bob, "5-after-restart-bob");
  });

  test("sign up, sign out, log in: the auth forms, their errors, and presence following along", async () => {
    const alice = pages.alice.page;
    const context = await h.browser.newContext({ viewport: { width: 360, height: 640 } });
    const carol = h.watch(await context.newPage(), "carol");
    try {
      await carol.goto(h.server.app);
      await connected(carol);
      const email = `carol-${Date.now()}@example.com`;

      // A password the endpoint refuses: its own message is shown, next to the field.
      const refused = await http("POST", `${h.server.apiChat}/auth/signup`, { name: "Carol", email, password: "short" });
      assert.equal(refused.status, 400);
      await carol.click('[data-tab="signup"]');
      await carol.fill('#signup-form [name="name"]', "Carol");
      await carol.fill('#signup-form [name="email"]', email);
      await carol.fill('#signup-form [name="password"]', "short");
      await carol.click('#signup-form button[type="submit"]');
      await carol.waitForFunction((m) => {
        const el = document.getElementById("sign-in-error");
        return !el.hidden && el.textContent.includes(m);
      }, refused.json.message, { timeout: WAIT });
      assert.equal(await carol.getAttribute('#signup-form [name="password"]', "aria-invalid"), "true");

      await carol.fill('#signup-form [name="password"]', "avengers-42");
      await carol.click('#signup-form button[type="submit"]');
      await carol.waitForFunction(() => document.getElementById("me-name").textContent === "Carol", null, { timeout: WAIT });
      await connected(carol);
      await waitOnline(alice, ["Alice", "Bob", "Carol"]);
      await shot(carol, "6-signed-up-carol");

      // Signing out leaves Carol watching without a name.
      await carol.click("#sign-out");
      await carol.waitForSelector("#sign-in:not([hidden])", { timeout: WAIT });
      await alice.waitForFunction(() => !document.querySelector('#online li[data-name="Carol"]'), null, { timeout: WAIT });
      await alice.waitForSelector("#watchers:not([hidden])", { timeout: WAIT });

      await carol.click('[data-tab="login"]');
      await carol.fill('#login-form [name="email"]', email);
      await carol.fill('#login-form [name="password"]', "wrong-password");
      await carol.click('#login-form button[type="submit"]');
      const denied = await http("POST", `${h.server.apiChat}/auth/login`, { email, password: "wrong-password" });
      assert.equal(denied.status, 403);
      await carol.waitForFunction((m) => {
        const el = document.getElementById("sign-in-error");
        return !el.hidden && el.textContent.includes(m);
      }, denied.json.message, { timeout: WAIT });

      await carol.fill('#login-form [name="password"]', "avengers-42");
      await carol.click('#login-form button[type="submit"]');
      await carol.waitForFunction(() => document.getElementById("me-name").textContent === "Carol", null, { timeout: WAIT });
      await waitOnline(alice, ["Alice", "Bob", "Carol"]);
    } finally {
      await context.close();
    }
    await alice.waitForFunction(() => !document.querySelector('#online li[data-name="Carol"]'), null, { timeout: WAIT });
    assert.deepEqual(await onlineNames(alice), ["Alice", "Bob"]);
  });

  test("bad input from the form: the endpoint's validation errors shown; HTML shown as text, never run", async () => {
    const alice = pages.alice.page;
    const bob = pages.bob.page;

    // What the endpoint says, asked directly, is what the page must show.
    const expected = async (text) => {
      const r = await http("POST", `${h.server.apiChat}/messages`, { channel: "marvel_chat_room", text, author: "Alice" });
      assert.equal(r.status, 400, `the endpoint refuses ${text.length} characters`);
      assert.equal(r.json.code, "ERROR_CODE_INPUT_ERROR");
      return r.json.message;
    };

    for (const [label, text] of [["empty", ""], ["blank", "   "], ["100 KB", "x".repeat(100 * 1024)]]) {
      const message = await expected(text);
      const before = await messageIds(alice);
      await alice.fill("#text", text);
      await alice.click("#send");
      await alice.waitForFunction((m) => {
        const el = document.getElementById("composer-error");
        return !el.hidden && el.textContent.includes(m);
      }, message, { timeout: WAIT });
      assert.equal(await alice.getAttribute("#text", "aria-invalid"), "true", `${label}: the field is marked`);
      assert.deepEqual(await messageIds(alice), before, `${label}: nothing was added`);
      if (label === "100 KB") await shot(alice, "7-too-long-alice");
    }

    const html = [
      `<img src=x onerror="window.__xss=(window.__xss||0)+1;alert('xss')">`,
      `<script>window.__xss=(window.__xss||0)+1;alert('xss')</script>`,
      `<b>bold?</b> & "quotes" 'single' <a href="javascript:alert(1)">link</a>`,
    ];
    for (const text of html) {
      await send(alice, text);
      await alice.waitForSelector("#composer-error", { state: "hidden", timeout: WAIT });
      await waitForText(alice, text);
      await waitForText(bob, text);
    }
    for (const [key, page] of [["alice", alice], ["bob", bob]]) {
      const found = await page.evaluate(() => ({
        xss: window.__xss,
        injected: document.querySelectorAll("#messages img, #messages script, #messages b, #messages a").length,
        childElements: [...document.querySelectorAll("#messages .text")].reduce((n, e) => n + e.children.length, 0),
      }));
      assert.equal(found.xss, undefined, `${key}: script in a message ran`);
      assert.equal(found.injected, 0, `${key}: a message became HTML`);
      assert.equal(found.childElements, 0, `${key}: message text holds elements`);
      for (const text of html) assert.equal(await countOf(page, text), 1, `${key} shows ${text} as text, once`);
    }
    await shot(bob, "8-html-as-text-bob");
    assert.deepEqual(problems, [], "no page errors, no dialogs");
  });
});
