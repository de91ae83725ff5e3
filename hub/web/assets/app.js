// Pantau hub dashboard: province → region → site → camera, from /api/v1.
// Plain DOM, no libraries; charts are SVG drawn here.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

// h builds an element; strings become text nodes (never HTML).
function h(tag, attrs, ...kids) {
  const el = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const k of kids.flat()) {
    if (k !== undefined && k !== null && k !== false) el.append(k instanceof Node ? k : String(k));
  }
  return el;
}

// session is /api/v1/session's answer (null on a hub without auth).
let session = null;

async function api(path) {
  // X-Pantau-UI: answer 401 without the browser's Basic dialog; the page
  // shows its own login form.
  const r = await fetch("/api/v1/" + path, { headers: { Accept: "application/json", "X-Pantau-UI": "1" } });
  if (r.status === 401) throw new Error("login");
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

async function loadSession() {
  const r = await fetch("/api/v1/session", { headers: { "X-Pantau-UI": "1" } });
  session = r.ok ? await r.json() : null;
}

function loginForm(msg) {
  const user = h("input", { id: "user", name: "user", autocomplete: "username", required: "" });
  const pass = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: "" });
  const err = h("p", { class: "down", role: "alert" }, msg || "");
  const form = h("form", { class: "card login" }, h("h1", {}, "Sign in"),
    h("label", { for: "user" }, "User"), user, h("label", { for: "password" }, "Password"), pass,
    h("button", { class: "btn", type: "submit" }, "Sign in"), err);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json", "X-Pantau-UI": "1" },
      body: JSON.stringify({ user: user.value, password: pass.value }) });
    if (r.ok) { session = await r.json(); render(); return; }
    err.textContent = r.status === 429 ? "Too many attempts; wait a minute." : "Wrong user name or password.";
  });
  return [form];
}

const enc = encodeURIComponent;
const fmt = (n) => Number(n).toLocaleString("en");
function ago(t) {
  if (!t || t.startsWith("0001")) return "never";
  const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}
function pill(ok, yes, no) { return h("span", { class: "pill " + (ok ? "on" : "off") }, ok ? yes : no); }
function missingCount(c) { return c.missing.reduce((n, r) => n + r[1] - r[0] + 1, 0); }
function localMidnight(days) {
  const d = new Date(); d.setHours(0, 0, 0, 0); d.setDate(d.getDate() - (days || 0)); return d.toISOString();
}

// barChart draws values (array of {label, v, v2}) as bars; v2 (optional)
// is drawn behind as the comparison.
function barChart(points, title) {
  const W = 320, H = 130, pad = 18, n = Math.max(points.length, 1);
  const max = Math.max(1, ...points.map((p) => Math.max(p.v, p.v2 || 0)));
  const bw = (W - pad) / n;
  const svg = h("svg:svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  svg.append(h("svg:line", { x1: pad, y1: H - pad, x2: W, y2: H - pad, stroke: "#ccd" }));
  svg.append(h("svg:text", { x: 0, y: 10 }, fmt(max)));
  points.forEach((p, i) => {
    const x = pad + i * bw;
    for (const [val, cls, shrink] of [[p.v2, "bar2", 0], [p.v, "bar", bw * 0.25]]) {
      if (!val) continue;
      const bh = (val / max) * (H - pad - 14);
      svg.append(h("svg:rect", { class: cls, x: x + 1 + shrink / 2, y: H - pad - bh, width: Math.max(1, bw - 2 - shrink), height: bh }));
    }
    if (n <= 14 || i % Math.ceil(n / 8) === 0) svg.append(h("svg:text", { x: x + 1, y: H - 4 }, p.label));
  });
  return svg;
}

// sumSeries adds the in (or entries) of every series per bucket.
function sumSeries(resp) {
  const m = new Map();
  for (const s of resp.series) for (const p of s.points) m.set(p.t, (m.get(p.t) || 0) + (p.in ?? p.entries ?? 0));
  return m;
}

function todayTable(rows) {
  const t = h("table", {}, h("tr", {}, h("th", {}, "rule · class"), h("th", {}, "today"), h("th", {}, "yesterday"), h("th", {}, "last week")));
  if (!rows.length) t.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "no counts today yet")));
  for (const r of rows) {
    const inName = r.kind === "zone" ? "entries" : "in";
    const trend = (then) => h("td", { class: r.in >= then ? "up" : "down" }, fmt(then));
    t.append(h("tr", {}, h("td", {}, `${r.rule} · ${r.class} ${inName}`), h("td", {}, h("b", {}, fmt(r.in))), trend(r.yesterday[0]), trend(r.last_week[0])));
  }
  return t;
}

// byClass merges today's rows over sites: rule·class → sums.
function mergeRows(rows, keep) {
  const m = new Map();
  for (const r of rows.filter(keep)) {
    const k = r.rule + "\u0000" + r.kind + "\u0000" + r.class;
    const a = m.get(k) || { rule: r.rule, kind: r.kind, class: r.class, in: 0, out: 0, yesterday: [0, 0], last_week: [0, 0] };
    a.in += r.in; a.out += r.out; a.yesterday[0] += r.yesterday[0]; a.last_week[0] += r.last_week[0];
    m.set(k, a);
  }
  return [...m.values()];
}

function alertList(alerts) {
  const card = h("section", { class: "card" }, h("h2", {}, `Open alerts (${alerts.length})`));
  if (!alerts.length) card.append(h("p", { class: "muted" }, "none"));
  for (const a of alerts.slice(0, 30)) {
    card.append(h("div", { class: "alert" }, h("b", {}, a.kind.replace("_", " ")), " · ",
      h("a", { href: `#/site/${enc(a.site)}` }, a.site), a.camera ? " / " + a.camera : " / " + a.agent,
      h("div", { class: "muted" }, `${a.detail} · since ${ago(a.since)}`)));
  }
  return card;
}

async function charts(q) {
  const [hours, days] = await Promise.all([
    api(`counts?${q}&step=1h&from=${enc(localMidnight(0))}`),
    api(`counts?${q}&step=1d&from=${enc(localMidnight(13))}`),
  ]);
  const yesterday = await api(`counts?${q}&step=1h&from=${enc(localMidnight(1))}&to=${enc(localMidnight(0))}`);
  const hm = sumSeries(hours), ym = sumSeries(yesterday);
  const hp = [];
  for (let i = 0; i < 24; i++) {
    const t = new Date(Date.parse(localMidnight(0)) + i * 3600e3);
    const ty = new Date(t.getTime() - 86400e3).toISOString().replace(".000Z", "Z");
    hp.push({ label: String(i), v: hm.get(t.toISOString().replace(".000Z", "Z")) || 0, v2: ym.get(ty) || 0 });
  }
  const dm = sumSeries(days);
  const dp = [...dm.keys()].sort().map((k) => ({ label: k.slice(8, 10), v: dm.get(k) }));
  return [
    h("section", { class: "card" }, h("h2", {}, "Per hour today"), h("p", { class: "muted" }, "dark: today · light: yesterday"), barChart(hp, "counts per hour")),
    h("section", { class: "card" }, h("h2", {}, "Per day, 14 days"), barChart(dp, "counts per day")),
  ];
}

async function province() {
  const [sites, cams, alerts, today] = await Promise.all([api("sites"), api("cameras"), api("alerts"), api("today")]);
  const regions = new Map();
  for (const s of sites.sites) {
    const r = regions.get(s.region) || { sites: 0, cams: 0, on: 0, missing: 0 };
    r.sites++; r.cams += s.cameras; r.on += s.cameras_online; r.missing += s.missing;
    regions.set(s.region, r);
  }
  const on = cams.filter((c) => c.online).length;
  const list = h("ul", { class: "list" });
  for (const [name, r] of regions) {
    list.append(h("li", {}, h("a", { href: `#/region/${enc(name)}` }, name),
      h("span", {}, `${r.sites} site${r.sites === 1 ? "" : "s"} · `, h("span", { class: "pill " + (r.on === r.cams ? "on" : "warn") }, `${r.on}/${r.cams} cams`))));
  }
  return [
    h("h1", { class: "wide" }, sites.province),
    h("div", { class: "kpis wide" },
      h("div", { class: "kpi" }, h("b", {}, sites.sites.length), "sites"),
      h("div", { class: "kpi" }, h("b", {}, `${on}/${cams.length}`), "cameras online"),
      h("div", { class: "kpi" }, h("b", {}, alerts.length), "open alerts"),
      h("div", { class: "kpi" }, h("b", {}, fmt(cams.reduce((n, c) => n + missingCount(c), 0))), "messages missing")),
    h("section", { class: "card" }, h("h2", {}, "Regions"), list),
    h("section", { class: "card" }, h("h2", {}, "Today, all sites"), todayTable(mergeRows(today.rows, () => true))),
    alertList(alerts),
    ...(await charts("")),
  ];
}

async function region(name) {
  const [sites, alerts, today] = await Promise.all([api("sites"), api("alerts"), api("today")]);
  const mine = sites.sites.filter((s) => s.region === name);
  const names = new Set(mine.map((s) => s.name));
  const list = h("ul", { class: "list" });
  for (const s of mine) {
    list.append(h("li", {}, h("a", { href: `#/site/${enc(s.name)}` }, s.display_name || s.name),
      h("span", {}, pill(s.cameras > 0 && s.cameras_online === s.cameras, `${s.cameras_online}/${s.cameras} online`, `${s.cameras_online}/${s.cameras} online`),
        s.missing ? h("span", { class: "pill warn" }, `${s.missing} missing`) : "")));
  }
  return [
    h("h1", { class: "wide" }, name),
    h("section", { class: "card" }, h("h2", {}, "Sites"), list),
    h("section", { class: "card" }, h("h2", {}, "Today"), todayTable(mergeRows(today.rows, (r) => names.has(r.site)))),
    alertList(alerts.filter((a) => a.region === name)),
  ];
}

async function site(name) {
  const [sites, cams, agents, alerts, today] = await Promise.all([api("sites"), api(`cameras?site=${enc(name)}`), api("agents"), api("alerts"), api("today")]);
  const s = sites.sites.find((x) => x.name === name) || { name, region: "unassigned" };
  const list = h("ul", { class: "list" });
  for (const c of cams) {
    const miss = missingCount(c);
    list.append(h("li", {}, h("a", { href: `#/camera/${enc(c.site)}/${enc(c.agent)}/${enc(c.camera)}` }, c.camera),
      h("span", {}, pill(c.online, c.state || "online", c.state || "offline"), " ",
        h("span", { class: "pill " + (miss ? "warn" : "idle") }, miss ? `${miss} missing` : `${fmt(c.received)} ✓`))));
  }
  const ag = h("ul", { class: "list" });
  for (const a of agents.filter((x) => x.site === name)) {
    ag.append(h("li", {}, a.agent, h("span", {}, pill(a.online, "online", "offline"), " ", h("span", { class: "muted" }, ago(a.last_seen)))));
  }
  const from = localMidnight(6);
  return [
    h("h1", { class: "wide" }, s.display_name || name, h("div", { class: "muted" }, `${s.region}`)),
    h("section", { class: "card" }, h("h2", {}, "Cameras"), list),
    h("section", { class: "card" }, h("h2", {}, "Agents"), ag),
    h("section", { class: "card" }, h("h2", {}, "Today"), todayTable(mergeRows(today.rows, (r) => r.site === name)),
      h("p", {}, h("a", { class: "btn", href: `/api/v1/counts?site=${enc(name)}&step=1h&from=${enc(from)}&format=csv` }, "CSV, last 7 days"))),
    alertList(alerts.filter((a) => a.site === name)),
    ...(await charts(`site=${enc(name)}`)),
  ];
}

async function camera(siteName, agent, cam) {
  const cams = await api(`cameras?site=${enc(siteName)}`);
  const c = cams.find((x) => x.agent === agent && x.camera === cam);
  if (!c) return [h("p", {}, "unknown camera")];
  const t = h("table", {});
  const row = (k, v) => t.append(h("tr", {}, h("td", {}, k), h("td", {}, v)));
  row("state", pill(c.online, c.state, c.state || "offline"));
  row("last seen", ago(c.last_seen));
  row("received", fmt(c.received));
  row("duplicates dropped", fmt(c.duplicates));
  row("missing", c.missing.length ? c.missing.map((r) => r[0] === r[1] ? r[0] : `${r[0]}–${r[1]}`).join(", ") : "none");
  row("spool lost", c.lost_spool ? `${c.lost_spool} time(s)` : "never");
  if (c.lag) row("lag p50 / p95", `≤ ${c.lag.p50_s} s / ≤ ${c.lag.p95_s} s`);
  return [
    h("h1", { class: "wide" }, `${cam}`, h("div", { class: "muted" }, `${siteName} · ${agent}`)),
    h("section", { class: "card" }, h("h2", {}, "Completeness"), t),
    ...(await charts(`site=${enc(siteName)}&camera=${enc(cam)}`)),
  ];
}

function crumbs(parts) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(h("a", { href: "#/" }, "Province"));
  for (const [label, href] of parts) nav.append("›", h("a", { href }, label));
}

async function render() {
  if (session === null) await loadSession();
  const p = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  let kids;
  try {
    if (p[0] === "region") { crumbs([[p[1], "#/region/" + enc(p[1])]]); kids = await region(p[1]); }
    else if (p[0] === "site") { kids = await site(p[1]); crumbs([[p[1], "#/site/" + enc(p[1])]]); }
    else if (p[0] === "camera") { crumbs([[p[1], "#/site/" + enc(p[1])], [p[3], location.hash]]); kids = await camera(p[1], p[2], p[3]); }
    else { crumbs([]); kids = await province(); }
  } catch (e) {
    if (e.message === "login") { session = null; kids = loginForm(); crumbs([]); }
    else kids = [h("p", { class: "card" }, "Could not load: " + e.message)];
  }
  document.getElementById("view").replaceChildren(...kids);
  document.getElementById("clock").textContent = new Date().toLocaleTimeString();
  document.body.dataset.ready = "1";
}

window.addEventListener("hashchange", render);
render();
// Refresh, but never under the fingers of someone typing a password.
setInterval(() => { if (!document.querySelector("form.login")) render(); }, 15000);
