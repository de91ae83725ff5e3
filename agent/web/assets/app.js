// Pantau web UI: pages, API calls, login. Every name from the agent is
// put into the page with textContent, never as HTML.
"use strict";

const P = (window.Pantau = window.Pantau || {});
let session = { csrf: "" };
let cleanup = [];

// el builds an element: el("td", {class: "x"}, "text", child…).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
P.el = el;

// api calls /api/v1; it returns {status, body, etag}. A 401 shows the
// login form.
async function api(method, path, body, headers) {
  const h = Object.assign({ "X-Pantau-UI": "1" }, headers || {});
  if (method !== "GET") h["X-CSRF-Token"] = session.csrf;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch("/api/v1" + path, {
    method, headers: h, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) { showLogin(); throw new Error("login required"); }
  return { status: r.status, body: data, etag: r.headers.get("ETag") };
}
P.api = api;

function firstError(res) {
  const e = res.body && res.body.errors && res.body.errors[0];
  return e ? (e.key ? e.key + ": " : "") + e.message : "HTTP " + res.status;
}
P.firstError = firstError;

function onCleanup(f) { cleanup.push(f); }
P.onCleanup = onCleanup;

function setMain(...kids) {
  for (const f of cleanup.splice(0)) { try { f(); } catch (e) { /* already closed */ } }
  const m = document.getElementById("main");
  m.replaceChildren(...kids);
  return m;
}
P.setMain = setMain;

function showLogin() {
  document.getElementById("nav").hidden = true;
  const form = document.getElementById("login-tpl").content.cloneNode(true);
  setMain(form);
  const f = document.getElementById("login");
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("login-error");
    err.textContent = "";
    const r = await fetch("/api/v1/login", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: f.user.value, password: f.password.value }),
    });
    const b = await r.json().catch(() => ({}));
    f.password.value = "";
    if (r.status === 200) { session = b; start(); return; }
    err.textContent = r.status === 429 ? "Too many attempts: wait a minute." : (b.error || "Login failed.");
  });
  document.getElementById("user").focus();
}

async function start() {
  const r = await fetch("/api/v1/session", { credentials: "same-origin" });
  const s = await r.json();
  if (!s.logged_in) { showLogin(); return; }
  session = s;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = !s.auth_required;
  route();
}

function route() {
  const h = location.hash || "#/cameras";
  const parts = h.slice(2).split("/");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === parts[0] || (parts[0] === "camera" && a.dataset.page === "cameras"));
  if (parts[0] === "camera" && parts[1]) P.liveView(decodeURIComponent(parts[1]));
  else if (parts[0] === "discover") discoverPage();
  else if (parts[0] === "events") eventsPage();
  else camerasPage();
}

function fmtAge(s) {
  if (s < 0) return "never";
  if (s < 60) return s.toFixed(1) + " s ago";
  return Math.round(s / 60) + " min ago";
}

function countsTable(counts) {
  const names = Object.keys(counts || {}).sort();
  if (!names.length) return el("p", { class: "muted" }, "No crossings today.");
  const t = el("table", {}, el("tr", {}, el("th", {}, "Rule"), el("th", {}, "In"), el("th", {}, "Out"), el("th", {}, "By class")));
  for (const n of names) {
    const c = counts[n];
    const bc = Object.entries(c.by_class || {}).map(([k, v]) => k + " " + v).join(", ");
    t.append(el("tr", {}, el("td", {}, n), el("td", {}, c.in), el("td", {}, c.out), el("td", {}, bc)));
  }
  return t;
}
P.countsTable = countsTable;

async function camerasPage() {
  const grid = el("div", { class: "grid", id: "cameras" });
  setMain(el("h1", {}, "Cameras"), grid);
  const thumbs = {};
  async function refresh() {
    const r = await api("GET", "/cameras");
    if (r.status !== 200) { grid.replaceChildren(el("p", { class: "error" }, firstError(r))); return; }
    if (!r.body.length) grid.replaceChildren(el("p", { class: "muted" }, "No cameras. Add one in the config file or from Discovery."));
    const seen = new Set();
    for (const c of r.body) {
      seen.add(c.name);
      const id = "cam-" + c.name;
      let card = document.getElementById(id);
      const img = thumbs[c.name] || el("img", { alt: "Live picture of " + c.name, width: 320, height: 240 });
      thumbs[c.name] = img;
      const facts = el("dl", { class: "facts" },
        el("dt", {}, "Source"), el("dd", {}, c.source || "config"),
        el("dt", {}, "Resolution"), el("dd", {}, c.width ? c.width + "×" + c.height + (c.codec ? " " + c.codec : "") : "unknown"),
        el("dt", {}, "Decode"), el("dd", {}, c.decode || "—"),
        el("dt", {}, "Analysed"), el("dd", {}, c.fps.toFixed(1) + " fps"),
        el("dt", {}, "Last picture"), el("dd", {}, fmtAge(c.last_frame_age_s)),
        c.error ? el("dt", {}, "Error") : null, c.error ? el("dd", { class: "error" }, c.error) : null);
      const body = [
        el("div", { class: "title" }, el("strong", {}, c.name), el("span", { class: "state " + c.state, "data-state": c.state }, c.state)),
        img, facts, el("h2", {}, "Today"), countsTable(c.counts),
      ];
      if (!card) {
        card = el("a", { class: "cam card", id, href: "#/camera/" + encodeURIComponent(c.name) });
        grid.append(card);
      }
      card.replaceChildren(...body);
      if (c.state === "online") img.src = "/api/v1/cameras/" + encodeURIComponent(c.name) + "/snapshot.jpg?t=" + Date.now();
    }
    for (const card of [...grid.querySelectorAll(".cam")]) if (!seen.has(card.id.slice(4))) card.remove();
  }
  await refresh();
  const t = setInterval(() => refresh().catch(() => {}), 2000);
  onCleanup(() => clearInterval(t));
}

async function discoverPage() {
  const out = el("div", {});
  const btn = el("button", { id: "run-discovery" }, "Run discovery");
  const msg = el("p", { class: "hint" });
  setMain(el("h1", {}, "Discovery"), el("p", { class: "muted" }, "Finds ONVIF cameras on the LAN (and the hosts in discovery.probe), logs in with the discovery credentials and lists their profiles."), btn, msg, out);
  btn.addEventListener("click", async () => {
    btn.disabled = true; msg.textContent = "Searching…"; out.replaceChildren();
    try {
      const r = await api("POST", "/discover", {});
      if (r.status !== 200) { msg.textContent = firstError(r); return; }
      msg.textContent = r.body.devices.length + " device(s) found.";
      for (const d of r.body.devices) out.append(foundCard(d));
    } finally { btn.disabled = false; }
  });
}

function foundCard(d) {
  const sel = el("select", { "aria-label": "Profile" });
  for (const p of d.profiles || []) {
    const o = el("option", { value: p.token }, (p.name || p.token) + " — " + (p.encoding || "?") + " " + p.width + "×" + p.height + (p.fps ? " @" + p.fps : ""));
    if (p.token === d.profile) o.selected = true;
    sel.append(o);
  }
  const name = el("input", { placeholder: "camera name (a-z 0-9 _ -)", "aria-label": "Camera name" });
  const err = el("p", { class: "error" });
  const add = el("button", {}, "Add camera");
  add.addEventListener("click", async () => {
    err.textContent = "";
    const r = await api("POST", "/cameras", { name: name.value, address: d.address, profile: sel.value });
    if (r.status === 201) { err.className = "ok"; err.textContent = "Added: " + r.body.name; return; }
    err.className = "error"; err.textContent = firstError(r);
  });
  const auth = d.auth === "ok" ? "logged in" + (d.password_set ? " (password set)" : "") : d.auth === "failed" ? "login refused" : "no login";
  return el("div", { class: "card rule" },
    el("dl", { class: "facts" },
      el("dt", {}, "Model"), el("dd", {}, [d.manufacturer, d.model].filter(Boolean).join(" ") || "unknown"),
      el("dt", {}, "Address"), el("dd", {}, d.address),
      el("dt", {}, "Serial"), el("dd", {}, d.serial || "—"),
      el("dt", {}, "Auth"), el("dd", {}, auth),
      d.error ? el("dt", {}, "Error") : null, d.error ? el("dd", { class: "error" }, d.error) : null),
    (d.profiles || []).length ? el("div", {}, el("label", {}, "Profile", sel), el("label", {}, "Name", name), add, err) : null);
}

async function eventsPage() {
  const camSel = el("select", { id: "ev-camera", "aria-label": "Camera" }, el("option", { value: "" }, "All cameras"));
  const ruleIn = el("input", { id: "ev-rule", placeholder: "rule name", "aria-label": "Rule" });
  const list = el("tbody", {});
  const counts = el("div", {});
  setMain(el("h1", {}, "Events"),
    el("div", { class: "filters" }, el("label", {}, "Camera", camSel), el("label", {}, "Rule", ruleIn)),
    el("div", { class: "card evlist" }, el("table", { id: "events" }, el("thead", {}, el("tr", {}, el("th", {}, "Time"), el("th", {}, "Camera"), el("th", {}, "Type"), el("th", {}, "Rule"), el("th", { class: "hide-narrow" }, "Details"))), list)),
    el("h2", {}, "Last counts"), counts);
  const all = [];
  function shown(e) {
    return (!camSel.value || e.camera === camSel.value) && (!ruleIn.value || (e.rule || "").includes(ruleIn.value));
  }
  function row(e) {
    const det = [e.class, e.direction, e.state, e.kind, e.track ? "track " + e.track : ""].filter(Boolean).join(" · ");
    return el("tr", {}, el("td", {}, new Date(e.time).toLocaleTimeString()), el("td", {}, e.camera), el("td", {}, e.type), el("td", {}, e.rule || "—"), el("td", { class: "hide-narrow" }, det));
  }
  function redraw() { list.replaceChildren(...all.filter(shown).slice(-200).reverse().map(row)); }
  async function refreshCounts() {
    const r = await api("GET", "/cameras");
    if (r.status !== 200) return;
    const known = new Set([...camSel.options].map((o) => o.value));
    for (const c of r.body) if (!known.has(c.name)) camSel.append(el("option", { value: c.name }, c.name));
    counts.replaceChildren(...r.body.filter((c) => !camSel.value || c.name === camSel.value).map((c) => {
      const cs = {};
      for (const [k, v] of Object.entries(c.counts || {})) if (!ruleIn.value || k.includes(ruleIn.value)) cs[k] = v;
      return el("div", { class: "card rule" }, el("strong", {}, c.name), countsTable(cs));
    }));
  }
  camSel.addEventListener("change", () => { redraw(); refreshCounts(); });
  ruleIn.addEventListener("input", () => { redraw(); refreshCounts(); });
  const es = new EventSource("/api/v1/events");
  es.addEventListener("event", (m) => {
    const e = JSON.parse(m.data);
    all.push(e);
    if (all.length > 1000) all.shift();
    if (shown(e)) { list.prepend(row(e)); while (list.children.length > 200) list.lastChild.remove(); }
  });
  onCleanup(() => es.close());
  await refreshCounts();
  const t = setInterval(() => refreshCounts().catch(() => {}), 5000);
  onCleanup(() => clearInterval(t));
}

document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/logout").catch(() => {});
  session = { csrf: "" };
  showLogin();
});
window.addEventListener("hashchange", () => { if (session.csrf) route(); });
start();
