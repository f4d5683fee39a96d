// The relaybase console: one page at /_/ that talks to the admin API under /_/api/
// (docs/admin.md). Plain JS, no build step and nothing from a CDN, so the binary serves it
// as is and it works offline.
//
// Every view is drawn from scratch when the hash changes (#/tables/message?page=2): the URL
// holds the whole state of a view, so reload and back work. A view registers what it opened
// (EventSources, timers) with its Scope, which closes them when another view is shown or the
// tab is hidden: no console on screen, no stream open.
//
// Text from the server goes into the DOM through textContent only, never innerHTML: rows,
// frames and messages are data, not markup.

const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element: h("a", {href: "#"}, "text", child). Attributes starting "on" are listeners. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// ---- the admin API ----

/** An error answer of the admin API: status plus relaybase's {code, message, payload}. */
class APIError extends Error {
  constructor(status, body) {
    const message = (body && typeof body === "object" && body.message) ||
      (typeof body === "string" && body) || `The server answered ${status}.`;
    super(message);
    this.status = status;
    this.code = body?.code;
    this.payload = body?.payload;
  }
}

const session = { csrf: "", admin: null };

/**
 * Calls the admin API. Paths are relative to the page (api/...), so the console works under
 * any prefix a proxy puts in front of /_/. Every request that is not a GET carries the CSRF
 * token; a 401 anywhere but the login itself means the session is gone.
 */
async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = session.csrf;
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`api/${path}`, init);
  } catch {
    throw new APIError(0, { message: "Can't reach the server." });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    if (res.status === 401 && path !== "login") showLogin("Your session has ended. Log in again.");
    throw new APIError(res.status, data);
  }
  return data;
}

/** A query string from an object, leaving out empty values. */
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// ---- scopes: what a shown view holds open ----

/** What one drawing of a view opened; close() ends all of it. */
class Scope {
  constructor() {
    this.closers = [];
    this.closed = false;
    this.live = false; // holds a stream or a timer: worth closing while the tab is hidden
  }
  /** Registers fn to run when the view goes away. */
  add(fn) {
    if (this.closed) fn();
    else this.closers.push(fn);
  }
  /** Runs fn every ms while the view is shown. */
  every(ms, fn) {
    this.live = true;
    const id = setInterval(() => { if (!this.closed) fn(); }, ms);
    this.add(() => clearInterval(id));
  }
  /**
   * Opens an SSE stream (EventSource sends the session cookie: same origin), parsing each
   * data line as JSON. status(state) hears "open", "error" (EventSource retries by itself).
   */
  stream(path, onData, status = () => {}) {
    this.live = true;
    const es = new EventSource(`api/${path}`);
    es.onopen = () => status("open");
    es.onerror = () => status(es.readyState === EventSource.CLOSED ? "closed" : "retrying");
    es.onmessage = (ev) => {
      let data;
      try { data = JSON.parse(ev.data); } catch { data = ev.data; }
      onData(data);
    };
    this.add(() => es.close());
    return es;
  }
  close() {
    this.closed = true;
    for (const fn of this.closers.splice(0)) {
      try { fn(); } catch { /* a closer must not stop the others */ }
    }
  }
}

// ---- login, logout, routing ----

const els = {
  login: $("#login"),
  loginForm: $("#login-form"),
  loginError: $("#login-error"),
  app: $("#app"),
  view: $("#view"),
  banner: $("#banner"),
  me: $("#me-email"),
};
let current = null; // the Scope of the view on screen

function showLogin(message = "") {
  current?.close();
  current = null;
  session.csrf = "";
  session.admin = null;
  document.body.dataset.state = "login";
  els.app.hidden = true;
  els.login.hidden = false;
  els.view.replaceChildren();
  els.loginError.hidden = !message;
  els.loginError.textContent = message;
  els.loginForm.elements.password.value = "";
  els.loginForm.elements.email.focus();
}

function showApp({ admin, csrf }) {
  session.csrf = csrf;
  session.admin = admin;
  els.me.textContent = admin?.email ?? "";
  els.login.hidden = true;
  els.app.hidden = false;
  document.body.dataset.state = "app";
  render();
}

els.loginForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = els.loginForm.elements;
  const button = els.loginForm.querySelector("button");
  button.disabled = true;
  els.loginError.hidden = true;
  try {
    showApp(await api("POST", "login", { email: f.email.value.trim(), password: f.password.value }));
    f.password.value = "";
  } catch (err) {
    els.loginError.textContent = err.status === 401 ? "Wrong email or password."
      : err.status === 429 ? "Too many attempts: wait a minute and try again." : err.message;
    els.loginError.hidden = false;
  } finally {
    button.disabled = false;
  }
});

$("#logout").addEventListener("click", async () => {
  try {
    await api("POST", "logout");
  } catch (err) {
    if (err.status !== 401) return showBanner(`Log out failed: ${err.message}`);
  }
  showLogin();
});

function showBanner(text) {
  els.banner.textContent = text;
  els.banner.hidden = !text;
}

const views = { tables: tablesView, endpoints: endpointsView, realtime: realtimeView, workspace: workspaceView, tasks: tasksView };

/** Parses #/view/arg?k=v into {name, arg, params}. */
function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, q = ""] = hash.split("?");
  const [name, ...rest] = path.split("/");
  return {
    name: views[name] ? name : "tables",
    arg: rest.length ? decodeURIComponent(rest.join("/")) : "",
    params: Object.fromEntries(new URLSearchParams(q)),
  };
}

/** The hash for a view: link("tables", "message", {page: 2}). */
function link(name, arg = "", params = {}) {
  return `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ""}${query(params)}`;
}

async function render() {
  if (!session.admin) return;
  current?.close();
  const scope = (current = new Scope());
  const hash = location.hash;
  const { name, arg, params } = route();
  document.body.dataset.view = name;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  showBanner("");
  const root = h("div", { class: `view-${name}` });
  els.view.replaceChildren(root);
  try {
    await views[name](root, arg, params, scope);
  } catch (err) {
    if (!scope.closed && err.status !== 401) root.replaceChildren(h("p", { class: "error" }, err.message));
  } finally {
    // Which address the view on screen was drawn for: tests wait on it, people never see it.
    if (current === scope) document.body.dataset.ready = hash;
  }
}

window.addEventListener("hashchange", render);
// A hidden tab holds no stream open; a live view is drawn again when the tab is shown.
document.addEventListener("visibilitychange", () => {
  if (!session.admin) return;
  if (document.hidden) {
    if (!current?.live) return; // a still view (a form, a result) stays as it is
    current.close();
    current = null;
  } else if (!current) {
    render();
  }
});

// ---- showing values ----

function isTimestamp(field, v) {
  return typeof v === "number" && /^(timestamp|date)/.test(field?.type ?? "");
}

/** A cell's text for a row value; timestamps (ms since epoch) as UTC dates. */
function cell(v, field) {
  if (v === null || v === undefined) return h("span", { class: "muted" }, "null");
  if (isTimestamp(field, v)) return h("time", { title: String(v) }, new Date(v).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"));
  if (typeof v === "object") return h("code", {}, JSON.stringify(v));
  if (typeof v === "boolean") return h("span", { class: v ? "yes" : "no" }, String(v));
  return String(v);
}

const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

function table(headers, rows, attrs = {}) {
  return h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    rows instanceof HTMLTableSectionElement ? rows : h("tbody", {}, rows));
}

function empty(text) {
  return h("p", { class: "muted" }, text);
}

// ---- Tables ----

async function tablesView(root, name, params) {
  const tables = await api("GET", "tables");
  if (!tables.length) return root.append(empty("This workspace has no tables."));
  let t = tables.find((x) => x.name === name);
  if (!t) {
    // No table named (or one that is gone): show the first, and say so in the address
    // without another hashchange.
    t = tables[0];
    params = {};
    history.replaceState(null, "", link("tables", t.name));
  }
  const side = h("nav", { class: "side", "aria-label": "Tables" },
    tables.map((x) => h("a", { href: link("tables", x.name), "aria-current": x.name === t.name ? "page" : null }, x.name)));
  const main = h("div", { class: "main" });
  root.append(h("div", { class: "split" }, side, main));

  main.append(section(`Table ${t.name}`,
    h("p", { class: "muted" }, t.auth ? "Auth table: its rows can log in." : "", t.triggers?.length ? ` Triggers: ${t.triggers.join(", ")}.` : ""),
    table(["field", "type", "nullable", ""], t.fields.map((f) => h("tr", {},
      h("td", {}, h("code", {}, f.name)),
      h("td", {}, typeText(f)),
      h("td", {}, f.nullable ? "yes" : ""),
      h("td", {}, f.sensitive ? h("span", { class: "tag" }, "sensitive: never shown") : "",
        extras(f)))), { class: "schema" }),
    t.indexes?.length ? h("details", {}, h("summary", {}, `${t.indexes.length} index${t.indexes.length === 1 ? "" : "es"}`),
      h("ul", {}, t.indexes.map((i) => h("li", {}, indexText(i))))) : ""));

  const rowsCard = h("section", { class: "card" });
  main.append(rowsCard);
  await drawRows(rowsCard, t, params);
}

/** "btree|unique: email" for an index; the JSON when its shape is not the documented one. */
function indexText(i) {
  const fields = i.fields ?? i.field;
  if (!i.type || !Array.isArray(fields)) return h("code", {}, JSON.stringify(i));
  return h("span", {}, h("code", {}, `${i.type}${i.unique ? " unique" : ""}`), " ", fields.map((f) => (typeof f === "string" ? f : `${f.name}${f.op ? ` ${f.op}` : ""}`)).join(", "));
}

/** Whatever else the API says about a field (default, filters, ...), compactly. */
function extras(f) {
  const rest = Object.entries(f).filter(([k, v]) => !["name", "type", "array", "nullable", "sensitive"].includes(k) && v !== false && v !== null && v !== undefined);
  return rest.length ? h("span", { class: "muted small" }, " ", rest.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")) : "";
}

async function drawRows(card, t, params) {
  const page = Math.max(1, Number(params.page) || 1);
  const perPage = Number(params.per_page) || 25;
  const sort = params.sort || "";
  const order = params.order === "desc" ? "desc" : "asc";
  const state = { page, per_page: perPage, sort, order, field: params.field || "", value: params.value ?? "" };
  const go = (changes) => { location.hash = link("tables", t.name, { ...state, ...changes }); };

  const visible = t.fields.filter((f) => !f.sensitive);
  const filterField = h("select", { name: "field", "aria-label": "Filter field" },
    visible.map((f) => h("option", { value: f.name, selected: f.name === state.field }, f.name)));
  const filterValue = h("input", { name: "value", placeholder: "equals…", value: state.value, "aria-label": "Filter value" });
  const filter = h("form", { class: "toolbar", id: "filter",
    onsubmit: (ev) => { ev.preventDefault(); go({ field: filterField.value, value: filterValue.value, page: 1 }); } },
    h("span", {}, "Where"), filterField, h("span", {}, "="), filterValue,
    h("button", { type: "submit" }, "Filter"),
    state.field ? h("button", { type: "button", onclick: () => go({ field: "", value: "", page: 1 }) }, "Clear") : "",
    h("span", { class: "grow" }),
    h("button", { type: "button", class: "primary", id: "new-row", onclick: () => rowDialog(t, null) }, "New row"));

  card.append(h("h2", {}, "Rows"), filter);
  const q = { page, per_page: perPage, sort, order: sort ? order : "", field: state.field ? state.field : "", value: state.field ? state.value : "" };
  let res;
  try {
    res = await api("GET", `tables/${encodeURIComponent(t.name)}/rows${query(q)}`);
  } catch (err) {
    card.append(h("p", { class: "error" }, err.message));
    return;
  }
  const items = res.items ?? [];
  const known = new Set(t.fields.map((f) => f.name));
  // Columns the schema names, then anything else the rows carry (never sensitive ones).
  const cols = [...visible.map((f) => f.name)];
  for (const r of items) for (const k of Object.keys(r)) if (!known.has(k) && !cols.includes(k)) cols.push(k);
  const byName = Object.fromEntries(t.fields.map((f) => [f.name, f]));

  const head = cols.map((c) => {
    const on = sort === c;
    const next = on && order === "asc" ? "desc" : "asc";
    return h("th", { "aria-sort": on ? (order === "asc" ? "ascending" : "descending") : null },
      h("a", { href: link("tables", t.name, { ...state, sort: c, order: next, page: 1 }), title: `Sort by ${c}` },
        c, on ? (order === "asc" ? " ▲" : " ▼") : ""));
  });
  const body = items.map((r) => h("tr", { dataset: { id: String(r.id ?? "") } },
    cols.map((c) => h("td", { dataset: { field: c } }, cell(r[c], byName[c]))),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "edit", onclick: () => rowDialog(t, r) }, "Edit"),
      h("button", { type: "button", class: "delete", onclick: (ev) => deleteRow(ev.currentTarget, t, r) }, "Delete"))));
  card.append(h("div", { class: "scroll" }, h("table", { id: "rows", class: "rows" },
    h("thead", {}, h("tr", {}, head, h("th", {}, ""))), h("tbody", {}, body))));
  if (!items.length) card.append(empty(state.field ? "No row matches." : "No rows yet."));

  const total = Number(res.total ?? items.length);
  const pages = Math.max(1, Math.ceil(total / (res.per_page || perPage)));
  card.append(h("div", { class: "toolbar pager" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => go({ page: page - 1 }) }, "← Previous"),
    h("span", { id: "page-info" }, `Page ${res.page ?? page} of ${pages} · ${total} row${total === 1 ? "" : "s"}`),
    h("button", { type: "button", disabled: page >= pages, onclick: () => go({ page: page + 1 }) }, "Next →"),
    h("label", {}, "per page ", h("select", { onchange: (ev) => go({ per_page: ev.target.value, page: 1 }) },
      [10, 25, 50, 100].map((n) => h("option", { value: n, selected: n === perPage }, n))))));
}

/** Asks once more on the button itself (no window.confirm), then deletes. */
async function deleteRow(button, t, r) {
  if (button.dataset.armed !== "yes") {
    button.dataset.armed = "yes";
    button.textContent = "Really delete?";
    button.classList.add("danger");
    return;
  }
  button.disabled = true;
  try {
    await api("DELETE", `tables/${encodeURIComponent(t.name)}/rows/${encodeURIComponent(r.id)}`);
    render();
  } catch (err) {
    showBanner(`Delete failed: ${err.message}`);
    button.disabled = false;
  }
}

// A list is {type: "text", array: true} (docs/admin.md); "text[]" is read the same way.
const isList = (f) => f.array === true || /\[\]$/.test(f.type);
const isJSON = (f) => f.type === "json" || f.type === "object" || isList(f);
const typeText = (f) => `${f.type}${f.array && !/\[\]$/.test(f.type) ? "[]" : ""}`;

/** The input for one field of the row form. */
function fieldInput(f, value, editing) {
  const common = { name: f.name, id: `field-${f.name}` };
  if (isList(f)) {
    return h("textarea", { ...common, rows: 3, placeholder: "[ ]" },
      value === undefined || value === null ? "" : JSON.stringify(value, null, 2));
  }
  if (f.type === "bool") return h("input", { ...common, type: "checkbox", checked: value === true });
  if (f.sensitive || f.type === "password") {
    return h("input", { ...common, type: "password", autocomplete: "new-password", placeholder: editing ? "unchanged" : "" });
  }
  if (Array.isArray(f.values) && f.values.length) {
    return h("select", common, h("option", { value: "" }, "—"),
      f.values.map((v) => h("option", { value: v, selected: v === value }, v)));
  }
  if (isJSON(f)) {
    return h("textarea", { ...common, rows: 3, placeholder: isList(f) ? "[ ]" : "{ }" },
      value === undefined || value === null ? "" : JSON.stringify(value, null, 2));
  }
  const type = f.type === "int" || f.type === "decimal" ? "number" : f.type === "email" ? "email" : "text";
  return h("input", { ...common, type, step: f.type === "decimal" ? "any" : null,
    value: value === undefined || value === null ? "" : String(value) });
}

/** Reads a field's input: undefined when left empty, else the value in the field's type. */
function readInput(f, input) {
  if (f.type === "bool" && !isList(f)) return input.checked;
  const raw = input.value;
  if (raw.trim() === "") return undefined;
  if (f.type === "int" && !isList(f)) {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`${f.name}: a whole number, please.`);
    return n;
  }
  if (f.type === "decimal" && !isList(f)) {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${f.name}: a number, please.`);
    return n;
  }
  if (isJSON(f)) {
    try { return JSON.parse(raw); } catch { throw new Error(`${f.name}: not valid JSON.`); }
  }
  if (/^timestamp/.test(f.type) && /^\d+$/.test(raw.trim())) return Number(raw);
  return raw;
}

/** The dialog to add a row (row null) or edit one: only changed fields are sent. */
function rowDialog(t, row) {
  const editing = row !== null;
  const fields = t.fields.filter((f) => !(f.name === "id"));
  const inputs = {};
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { method: "dialog", id: "row-form" },
    h("h2", {}, editing ? `Edit ${t.name} #${row.id}` : `New ${t.name}`),
    fields.map((f) => {
      const shown = editing && !f.sensitive ? row[f.name] : undefined;
      const input = (inputs[f.name] = fieldInput(f, isTimestamp(f, shown) ? new Date(shown).toISOString() : shown, editing));
      return h("label", { class: f.type === "bool" ? "check" : "" },
        h("span", {}, f.name, f.required && !editing ? h("span", { class: "bad" }, " *") : "", " ",
          h("span", { class: "muted small" }, typeText(f), f.nullable ? "?" : "", f.table ? ` → ${f.table}` : "")), input);
    }),
    error,
    h("div", { class: "toolbar" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      h("span", { class: "grow" }),
      h("button", { type: "submit", class: "primary" }, editing ? "Save" : "Add row")));
  const dialog = h("dialog", { class: "card" }, form);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const data = {};
    try {
      for (const f of fields) {
        const v = readInput(f, inputs[f.name]);
        if (!editing) {
          if (v !== undefined && !(f.type === "bool" && v === false && f.nullable)) data[f.name] = v;
          continue;
        }
        if (v === undefined) {
          if (!f.sensitive && row[f.name] !== null && row[f.name] !== undefined && !isTimestamp(f, row[f.name])) data[f.name] = null;
          continue;
        }
        const before = isTimestamp(f, row[f.name]) ? new Date(row[f.name]).toISOString() : row[f.name];
        if (JSON.stringify(v) !== JSON.stringify(before)) data[f.name] = v;
      }
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      return;
    }
    const path = `tables/${encodeURIComponent(t.name)}/rows`;
    try {
      if (editing) await api("PATCH", `${path}/${encodeURIComponent(row.id)}`, data);
      else await api("POST", path, data);
      dialog.close();
      render();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      const param = err.payload?.param;
      if (param && inputs[param]) inputs[param].setAttribute("aria-invalid", "true");
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// ---- Endpoints ----

async function endpointsView(root) {
  const endpoints = await api("GET", "endpoints");
  if (!endpoints.length) return root.append(empty("This workspace has no endpoints."));
  const groups = new Map();
  for (const e of endpoints) {
    if (!groups.has(e.group)) groups.set(e.group, []);
    groups.get(e.group).push(e);
  }
  const verbs = ["GET", "POST", "PUT", "PATCH", "DELETE"];
  const verb = (m) => (verbs.includes(m) ? verbs.indexOf(m) : verbs.length);
  for (const [group, list] of groups) {
    list.sort((a, b) => a.path.localeCompare(b.path) || verb(a.method) - verb(b.method));
    root.append(section(`API group ${group}`, h("ul", { class: "routes" }, list.map((e) => routeItem(e)))));
  }
}

function routeItem(e) {
  const panel = h("div", { class: "run", hidden: true });
  const li = h("li", { class: "route", dataset: { method: e.method, path: e.path } },
    h("div", { class: "route-line" },
      h("span", { class: `method m-${e.method.toLowerCase()}` }, e.method),
      h("code", {}, e.url || e.path),
      e.auth ? h("span", { class: "tag" }, `auth: ${e.auth}`) : h("span", { class: "tag muted" }, "public"),
      h("span", { class: "muted small grow" }, e.inputs?.length ? e.inputs.map((i) => `${i.name}${i.required ? "" : "?"}: ${typeText(i)}`).join(", ") : "no inputs"),
      h("button", { type: "button", class: "try", onclick: () => { panel.hidden = !panel.hidden; if (!panel.firstChild) runForm(panel, e); } }, "Try")),
    panel);
  return li;
}

function runForm(panel, e) {
  const inputs = {};
  const out = h("div", { class: "result", hidden: true });
  const form = h("form", { class: "run-form" },
    (e.inputs ?? []).map((i) => {
      const input = (inputs[i.name] = isJSON(i)
        ? h("textarea", { name: i.name, rows: 2, placeholder: typeText(i) })
        : i.type === "bool" ? h("select", { name: i.name }, h("option", { value: "" }, "—"), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"))
          : h("input", { name: i.name, placeholder: `${typeText(i)}${i.required ? "" : " (optional)"}` }));
      return h("label", {}, h("span", {}, i.name, i.required ? h("span", { class: "bad" }, " *") : ""), input);
    }),
    h("label", {}, h("span", {}, "Bearer token", h("span", { class: "muted small" }, e.auth ? ` (${e.auth})` : " (optional)")),
      h("input", { name: "token", autocomplete: "off", spellcheck: "false" })),
    h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary" }, `Run ${e.method}`)),
    out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const values = {};
    let url = e.url || e.path;
    try {
      for (const i of e.inputs ?? []) {
        const raw = inputs[i.name].value;
        if (raw === "") continue;
        let v = raw;
        if (isJSON(i)) {
          try { v = JSON.parse(raw); } catch { throw new Error(`${i.name}: not valid JSON.`); }
        } else if (i.type === "bool") v = raw === "true";
        else if ((i.type === "int" || i.type === "decimal") && raw.trim() !== "" && Number.isFinite(Number(raw))) v = Number(raw);
        // A {name} in the path takes the input; the rest go as the request's inputs.
        if (url.includes(`{${i.name}}`)) url = url.replaceAll(`{${i.name}}`, encodeURIComponent(raw));
        else values[i.name] = v;
      }
    } catch (err) {
      out.hidden = false;
      out.replaceChildren(h("p", { class: "error" }, err.message));
      return;
    }
    const body = { method: e.method, url, inputs: values };
    const token = form.elements.token.value.trim();
    if (token) body.token = token.replace(/^Bearer\s+/i, "");
    out.hidden = false;
    out.replaceChildren(h("p", { class: "muted" }, "Running…"));
    try {
      const r = await api("POST", "endpoints/run", body);
      const ok = r.status >= 200 && r.status < 300;
      out.replaceChildren(
        h("p", { class: "status-line" },
          h("span", { class: `status ${ok ? "ok" : "bad"}`, dataset: { status: String(r.status) } }, String(r.status)),
          " ", h("span", { class: "duration" }, `${Math.round(Number(r.duration_ms) * 10) / 10} ms`)),
        h("pre", { class: "response" }, pretty(r.body)),
        r.headers ? h("details", {}, h("summary", {}, "Headers"),
          h("pre", {}, Object.entries(r.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join("\n"))) : "");
    } catch (err) {
      out.replaceChildren(h("p", { class: "error" }, err.message));
    }
  });
  panel.append(form);
}

// ---- Realtime ----

const STAT_LABELS = [["connections", "connections"], ["members", "members"], ["frames_in_per_s", "frames in/s"], ["frames_out_per_s", "frames out/s"]];

async function realtimeView(root, channel, params, scope) {
  const first = await api("GET", "realtime");
  const statEls = {};
  const stats = h("div", { class: "stats", id: "stats" }, STAT_LABELS.map(([k, label]) =>
    h("div", { class: "stat", dataset: { stat: k } }, (statEls[k] = h("strong", {}, "–")), h("span", {}, label))));
  const live = h("span", { class: "live", title: "stats stream" }, "connecting");
  const showStats = (s) => {
    for (const [k] of STAT_LABELS) {
      if (s[k] === undefined) continue;
      const v = Number(s[k]);
      statEls[k].textContent = Number.isInteger(v) ? String(v) : v.toFixed(1);
    }
  };
  showStats(first);

  const channelsBody = h("tbody");
  const open = h("form", { class: "toolbar", onsubmit: (ev) => { ev.preventDefault(); const c = ev.target.elements.channel.value.trim(); if (c) location.hash = link("realtime", c); } },
    h("input", { name: "channel", placeholder: "channel name", "aria-label": "Channel name", value: channel }),
    h("button", { type: "submit" }, "Open"));
  const drawChannels = (list) => {
    channelsBody.replaceChildren(...list.map((c) => h("tr", { dataset: { channel: c.name }, "aria-current": c.name === channel ? "true" : null },
      h("td", {}, h("a", { href: link("realtime", c.name) }, c.name)),
      h("td", {}, c.protocol ?? ""),
      h("td", { class: "num members" }, String(c.members ?? 0)),
      h("td", {}, c.history?.enabled ? `epoch ${c.history.epoch} · offsets ${c.history.oldest ?? "–"}…${c.history.head ?? "–"}` : h("span", { class: "muted" }, "no history")))));
    if (!list.length) channelsBody.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No channel has members or history right now.")));
  };
  drawChannels(first.channels ?? []);

  root.append(h("div", { class: "card" }, h("div", { class: "toolbar" }, h("h2", {}, "Realtime"), h("span", { class: "grow" }), live), stats),
    section("Channels", open, h("div", { class: "scroll" }, table(["channel", "protocol", "members", "history"], channelsBody, { id: "channels", class: "channels" }))));

  scope.stream("realtime/stats", showStats, (s) => { live.textContent = s === "open" ? "live" : s; live.dataset.state = s; });
  // The stats stream leaves the channel list out; read it again while the view is shown.
  scope.every(2000, async () => {
    try {
      const r = await api("GET", "realtime");
      if (!scope.closed) drawChannels(r.channels ?? []);
    } catch { /* the next tick tries again */ }
  });

  if (channel) root.append(channelPanel(channel, first.channels?.find((c) => c.name === channel), scope));
}

function channelPanel(channel, info, scope) {
  const presence = h("ul", { id: "presence", class: "presence" });
  const loadPresence = async () => {
    try {
      const list = await api("GET", `realtime/presence${query({ channel })}`);
      if (scope.closed) return;
      // A member's name (extras.name, as the chat example sets it) first, then all it has.
      presence.replaceChildren(...list.map((m) => h("li", {},
        m?.extras?.name ? h("strong", {}, String(m.extras.name), " ") : "", h("code", { class: "muted" }, JSON.stringify(m)))));
      if (!list.length) presence.append(h("li", { class: "muted" }, "nobody"));
    } catch (err) {
      presence.replaceChildren(h("li", { class: "error" }, err.message));
    }
  };
  loadPresence();
  scope.every(2000, loadPresence);

  // History, newest first, with a button for the page before the oldest shown.
  const historyBody = h("tbody");
  const epoch = h("span", { class: "muted" });
  const older = h("button", { type: "button", hidden: true }, "Older");
  let oldest = null;
  const loadHistory = async (before) => {
    try {
      const r = await api("GET", `realtime/history${query({ channel, before, limit: 50 })}`);
      epoch.textContent = r.epoch ? `epoch ${r.epoch}` : "";
      const items = [...(r.items ?? [])].sort((a, b) => b.offset - a.offset);
      for (const it of items) historyBody.append(h("tr", {}, h("td", { class: "num" }, String(it.offset)), h("td", {}, h("code", {}, JSON.stringify(it.frame)))));
      if (items.length) oldest = items[items.length - 1].offset;
      older.hidden = !(items.length >= 50 && oldest > 1);
      if (!historyBody.children.length) historyBody.append(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "No stored history.")));
    } catch (err) {
      historyBody.replaceChildren(h("tr", {}, h("td", { colspan: 2, class: "error" }, err.message)));
    }
  };
  older.addEventListener("click", () => loadHistory(oldest));
  if (info?.history?.enabled !== false) loadHistory();
  else historyBody.append(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "This channel keeps no history.")));

  // The live tail: frames delivered on this node, newest on top, at most 200 kept.
  const tail = h("ol", { id: "tail", class: "tail", reversed: true });
  const tailState = h("span", { class: "live" }, "connecting");
  scope.stream(`realtime/tail${query({ channel })}`, (d) => {
    if (d && typeof d === "object" && "dropped" in d && !("frame" in d)) {
      // The tail could not keep up: the server dropped frames rather than slow the channel.
      tail.prepend(h("li", { class: "dropped" }, h("span", { class: "error" }, `${d.dropped} frame${d.dropped === 1 ? "" : "s"} not shown: the tail fell behind`)));
      return;
    }
    const frame = d && typeof d === "object" && "frame" in d ? d.frame : d;
    tail.prepend(h("li", { dataset: { offset: d?.offset ?? "" } },
      d?.offset !== undefined ? h("span", { class: "offset" }, `#${d.offset}`) : "",
      h("time", {}, new Date().toLocaleTimeString()),
      h("code", { class: "frame" }, JSON.stringify(frame))));
    while (tail.children.length > 200) tail.lastChild.remove();
  }, (s) => { tailState.textContent = s === "open" ? "live" : s; tailState.dataset.state = s; });

  // Publish: the text is sent as JSON when it parses, else as a string.
  const payload = h("textarea", { id: "publish-payload", name: "payload", rows: 3, placeholder: '{"text": "hello"}' });
  const publishResult = h("span", { class: "muted", id: "publish-result", role: "status" });
  const publish = h("form", { id: "publish", onsubmit: async (ev) => {
    ev.preventDefault();
    let value = payload.value;
    try { value = JSON.parse(value); } catch { /* plain text */ }
    publishResult.textContent = "sending…";
    publishResult.className = "muted";
    try {
      const r = await api("POST", "realtime/publish", { channel, payload: value });
      publishResult.textContent = r?.offset !== undefined && r?.offset !== null ? `sent, offset ${r.offset}` : "sent";
    } catch (err) {
      publishResult.textContent = err.message;
      publishResult.className = "error";
    }
  } }, payload, h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary" }, "Publish"), publishResult));

  return h("div", { class: "channel", dataset: { channel } },
    h("h2", { class: "channel-title" }, "Channel ", h("code", {}, channel)),
    h("div", { class: "grid2" },
      h("section", { class: "card" }, h("div", { class: "toolbar" }, h("h3", {}, "Live tail"), h("span", { class: "grow" }), tailState), tail),
      h("div", {},
        h("section", { class: "card" }, h("h3", {}, "Publish an event"), publish),
        h("section", { class: "card" }, h("h3", {}, "Presence"), presence))),
    h("section", { class: "card" }, h("div", { class: "toolbar" }, h("h3", {}, "History"), epoch, h("span", { class: "grow" }), older),
      h("div", { class: "scroll" }, table(["offset", "frame"], historyBody, { id: "history" }))));
}

// ---- Workspace ----

async function workspaceView(root) {
  const w = await api("GET", "workspace");
  const diags = w.diagnostics ?? [];
  const counts = {};
  for (const d of diags) counts[d.severity] = (counts[d.severity] ?? 0) + 1;
  root.append(section("Workspace",
    h("p", {}, h("code", {}, w.path ?? "")),
    h("p", { class: "muted" }, `${(w.objects ?? []).length} objects · `,
      diags.length ? Object.entries(counts).map(([k, n]) => `${n} ${k}${n === 1 ? "" : "s"}`).join(", ") : "check finds nothing wrong")));

  root.append(section("Diagnostics", diags.length
    ? h("ul", { id: "diagnostics", class: "diags" }, diags.map((d) => h("li", { class: `sev-${d.severity}` },
      h("span", { class: "tag" }, d.severity), " ", h("code", {}, `${d.file}:${d.line}:${d.col}`), " ", d.message)))
    : empty("No errors, no unsupported constructs.")));

  const objects = [...(w.objects ?? [])].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  root.append(section("Objects", h("div", { class: "scroll" }, table(["kind", "name", "file"],
    objects.map((o) => h("tr", {}, h("td", {}, o.kind), h("td", {}, h("code", {}, o.name)), h("td", {}, h("code", {}, `${o.file}${o.line ? `:${o.line}` : ""}`)))),
    { id: "objects" }))));

  const config = Object.entries(w.config ?? {}).sort(([a], [b]) => a.localeCompare(b));
  root.append(section("Configuration in force", h("div", { class: "scroll" }, table(["key", "value"],
    config.map(([k, v]) => h("tr", {}, h("td", {}, h("code", {}, k)), h("td", {}, cell(v)))), { id: "config" }))));
}

// ---- Tasks ----

async function tasksView(root) {
  const tasks = await api("GET", "tasks");
  if (!tasks.length) return root.append(section("Tasks", empty("This workspace has no tasks.")));
  const when = (t) => (t ? new Date(t).toLocaleString() : "–");
  root.append(section("Tasks", h("div", { class: "scroll" }, table(["task", "schedule", "active", "next run", "last runs"],
    tasks.map((t) => h("tr", { dataset: { task: t.name } },
      h("td", {}, h("code", {}, t.name)),
      h("td", {}, h("code", {}, typeof t.schedule === "string" ? t.schedule : JSON.stringify(t.schedule))),
      h("td", {}, t.active ? h("span", { class: "yes" }, "yes") : h("span", { class: "no" }, "no")),
      h("td", {}, when(t.next_run)),
      h("td", {}, t.runs?.length ? h("ul", { class: "runs" }, t.runs.slice(0, 5).map((r) => h("li", { class: "run-item" },
        h("span", { class: `result ${r.ok ? "yes" : "no"}` }, r.ok ? "ok" : "failed"), " ", when(r.started_at),
        r.finished_at && r.started_at ? h("span", { class: "muted" }, ` (${new Date(r.finished_at) - new Date(r.started_at)} ms)`) : "",
        r.trigger ? h("span", { class: "tag" }, r.trigger) : "",
        r.node ? h("span", { class: "muted small", title: "node" }, ` ${r.node}`) : "",
        r.error ? h("div", { class: "error small" }, r.error) : "",
        r.result !== undefined && r.result !== null ? h("div", {}, h("code", { class: "small" }, JSON.stringify(r.result))) : ""))) : h("span", { class: "muted" }, "not run yet")))),
    { id: "tasks" }))));
}

// ---- start ----

(async () => {
  try {
    showApp(await api("GET", "session"));
  } catch (err) {
    showLogin(err.status === 401 || err.status === undefined ? "" : err.message);
  }
})();
