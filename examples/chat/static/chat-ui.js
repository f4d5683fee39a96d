// What both chat pages show, whatever protocol brings it: index.html (chat.js, the legacy
// realtime at /rt/) and current.html (current.js, Xano's current realtime at /ws/) have the
// same markup, and this module fills it in: the connection pill, the banner, the message
// list (one entry per message id, kept in id order), who is online, the signed-in name and
// the errors of the forms. Each page keeps its own protocol code and calls these.
//
// Every piece of text that came from a person is put into the page with textContent, never
// as HTML.

export const $ = (id) => document.getElementById(id);

/** The elements both pages have, by role. */
export function chatElements() {
  return {
    body: document.body,
    title: $("room-title"),
    connection: $("connection"),
    banner: $("banner"),
    me: $("me"),
    meName: $("me-name"),
    signOut: $("sign-out"),
    pane: document.querySelector(".messages-pane"),
    messages: $("messages"),
    empty: $("empty"),
    online: $("online"),
    onlineCount: $("online-count"),
    watchers: $("watchers"),
    composer: $("composer"),
    text: $("text"),
    send: $("send"),
    composerError: $("composer-error"),
    signIn: $("sign-in"),
    signInError: $("sign-in-error"),
  };
}

/** Sets the connection state (body[data-connection], which the tests wait on) and its pill. */
export function setConnection(els, state, label) {
  els.body.dataset.connection = state;
  els.connection.textContent = label;
}

/** Shows a notice above the room, with a button when action ({label, onClick}) is given. */
export function showBanner(els, text, action) {
  els.banner.replaceChildren(document.createTextNode(text));
  if (action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = action.label;
    b.style.marginLeft = ".5rem";
    b.addEventListener("click", action.onClick);
    els.banner.append(b);
  }
  els.banner.hidden = false;
}

export function hideBanner(els) {
  els.banner.hidden = true;
  els.banner.replaceChildren();
}

/**
 * Puts a stored message row ({id, author, text, created_at}) into the list, in id order,
 * and reports whether it went in last (so the page may scroll to it). mine marks the
 * reader's own messages.
 */
export function insertMessage(els, row, mine) {
  const li = document.createElement("li");
  li.className = "msg";
  li.dataset.id = String(row.id);
  if (mine) li.classList.add("mine");

  const meta = document.createElement("div");
  meta.className = "meta";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = row.author ?? "";
  meta.append(author);
  if (typeof row.created_at === "number") {
    const time = document.createElement("time");
    const at = new Date(row.created_at);
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    time.title = at.toLocaleString();
    meta.append(time);
  }
  const text = document.createElement("p");
  text.className = "text";
  text.textContent = row.text ?? "";
  li.append(meta, text);

  let next = null;
  for (const other of els.messages.children) {
    if (Number(other.dataset.id) > Number(row.id)) { next = other; break; }
  }
  els.messages.insertBefore(li, next);
  return next === null;
}

/** Whether the reader is at (or near) the end of the messages, where new ones should scroll into view. */
export function atBottom(els) {
  return els.pane.scrollHeight - els.pane.scrollTop - els.pane.clientHeight < 80;
}

export function scrollToEnd(els) {
  els.pane.scrollTop = els.pane.scrollHeight;
}

/**
 * Lists who is online: people is [{key, name}] with one entry per person (however many
 * tabs), selfKey the reader's key, anonymous how many watch without a name.
 */
export function showOnline(els, people, selfKey, anonymous) {
  const sorted = [...people].sort((a, b) => a.name.localeCompare(b.name));
  els.online.replaceChildren(...sorted.map(({ key, name }) => {
    const li = document.createElement("li");
    li.textContent = name;
    li.dataset.name = name;
    if (selfKey && key === selfKey) {
      li.classList.add("me-entry");
      li.title = "you";
    }
    return li;
  }));
  els.onlineCount.textContent = String(sorted.length);
  els.watchers.hidden = anonymous === 0;
  els.watchers.textContent = anonymous === 1 ? "+1 watching without a name" : `+${anonymous} watching without a name`;
}

/** Shows who the reader is (and the composer) or the sign-in forms. */
export function showIdentity(els, identity) {
  const known = !!identity;
  els.me.hidden = !known;
  els.meName.textContent = known ? identity.name : "";
  els.composer.hidden = !known;
  els.signIn.hidden = known;
}

/** The signed-in identity ({token, name}) kept in localStorage under key. */
export function identityStore(key) {
  return {
    load() {
      try {
        const id = JSON.parse(localStorage.getItem(key) || "null");
        return id && typeof id.token === "string" && typeof id.name === "string" ? id : null;
      } catch {
        return null;
      }
    },
    save(id) {
      try { localStorage.setItem(key, JSON.stringify(id)); } catch { /* private mode */ }
    },
    forget() {
      try { localStorage.removeItem(key); } catch { /* ignore */ }
    },
  };
}

/** Enter sends the message (Shift+Enter is a new line; so is Enter while composing with an IME). */
export function enterSends(els) {
  els.text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      els.composer.requestSubmit();
    }
  });
}

/** Shows an error under a form, marking field (if any) as the one to fix. */
export function showError(el, text, field) {
  el.textContent = text;
  el.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

export function hideError(el) {
  el.hidden = true;
  el.textContent = "";
}
