// Pantau web UI: the live view of one camera with its analysis overlay,
// and the rule editor drawn on it (mouse and touch via pointer events).
"use strict";

(function () {
  const P = (window.Pantau = window.Pantau || {});
  const COLORS = { line: "#ffd24a", zone: "#3fa7ff", mask: "#b06bff", track: "#3ecf6e" };

  P.liveView = async function (name) {
    const el = P.el;
    const canvas = el("canvas", { id: "live-canvas", width: 640, height: 480, "aria-label": "Live picture of " + name });
    const status = el("div", { class: "status", id: "live-status" }, "connecting…");
    const tamper = el("div", { class: "tamper", id: "tamper", hidden: true });
    const hint = el("p", { class: "hint", id: "hint" });
    const panel = el("div", { id: "rules" });
    const applyMsg = el("span", { id: "apply-status", role: "status" });
    const errBox = el("p", { class: "error", id: "apply-errors" });
    const btn = (id, text, cls) => el("button", { id, class: cls || "secondary", type: "button" }, text);
    const addLine = btn("add-line", "+ Line"), addZone = btn("add-zone", "+ Zone"), addMask = btn("add-mask", "+ Mask");
    const finish = btn("finish-shape", "Finish shape"), cancelDraw = btn("cancel-shape", "Cancel");
    finish.hidden = cancelDraw.hidden = true;
    const apply = btn("apply", "Apply", "primary");
    const reloadRules = btn("reload-rules", "Reload rules");
    reloadRules.hidden = true;
    P.setMain(
      el("h1", {}, el("a", { href: "#/cameras", class: "muted" }, "Cameras"), " / ", el("span", { id: "cam-name" }, name)),
      el("div", { class: "live" },
        el("div", {}, el("div", { class: "stage" }, canvas, status, tamper),
          el("div", { class: "toolbar" }, addLine, addZone, addMask, finish, cancelDraw), hint),
        el("div", { class: "card" }, el("h2", {}, "Rules"),
          el("div", { class: "applybar" }, apply, reloadRules, applyMsg), errBox, panel)));

    const st = { rules: { lines: [], zones: [], masks: [] }, etag: "", sel: null, mode: null, draft: [], drag: null, frame: null, img: null, errors: [] };
    const ctx = canvas.getContext("2d");

    async function loadRules() {
      const r = await P.api("GET", "/cameras/" + encodeURIComponent(name) + "/rules");
      if (r.status !== 200) { errBox.textContent = P.firstError(r); apply.disabled = true; return; }
      st.rules = r.body; st.etag = r.etag; st.sel = null; st.errors = [];
      errBox.textContent = ""; reloadRules.hidden = true; apply.disabled = false;
      renderPanel(); draw();
    }

    // --- geometry
    const W = () => canvas.width, H = () => canvas.height;
    const clamp = (v) => Math.min(1, Math.max(0, v));
    const round = (v) => Math.round(v * 10000) / 10000;
    function pos(ev) {
      const r = canvas.getBoundingClientRect();
      return [round(clamp((ev.clientX - r.left) / r.width)), round(clamp((ev.clientY - r.top) / r.height))];
    }
    const px = (p) => [p[0] * W(), p[1] * H()];
    function distSeg(p, a, b) {
      const [x, y] = px(p), [x1, y1] = px(a), [x2, y2] = px(b);
      const dx = x2 - x1, dy = y2 - y1, l2 = dx * dx + dy * dy;
      const t = l2 ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / l2)) : 0;
      return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
    }
    function inside(p, poly) {
      let c = false;
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const a = poly[i], b = poly[j];
        if ((a[1] > p[1]) !== (b[1] > p[1]) && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) c = !c;
      }
      return c;
    }
    function shapes() {
      const out = [];
      st.rules.lines.forEach((r, i) => out.push({ kind: "line", i, pts: r.points || [] }));
      st.rules.zones.forEach((r, i) => out.push({ kind: "zone", i, pts: r.points || [] }));
      st.rules.masks.forEach((r, i) => out.push({ kind: "mask", i, pts: r.points || [] }));
      return out;
    }
    function hit(p) {
      const tol = 14 * (W() / canvas.getBoundingClientRect().width || 1);
      const all = shapes();
      if (st.sel) all.sort((a, b) => (b.kind === st.sel.kind && b.i === st.sel.i) - (a.kind === st.sel.kind && a.i === st.sel.i));
      for (const s of all) for (let v = 0; v < s.pts.length; v++) {
        const [x, y] = px(s.pts[v]), [qx, qy] = px(p);
        if (Math.hypot(x - qx, y - qy) <= tol) return { s, v };
      }
      for (const s of all) {
        if (s.kind === "line") { for (let k = 0; k + 1 < s.pts.length; k++) if (distSeg(p, s.pts[k], s.pts[k + 1]) <= tol) return { s, v: -1 }; }
        else if (inside(p, s.pts)) return { s, v: -1 };
      }
      return null;
    }
    const listOf = (kind) => st.rules[kind + "s"];

    // --- drawing
    function poly(pts, close) {
      ctx.beginPath();
      pts.forEach((p, i) => { const [x, y] = px(p); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      if (close) ctx.closePath();
    }
    // k converts CSS pixels to canvas pixels, so text and strokes keep
    // their size on screen whatever the picture's scale (phone or desktop).
    let k = 1;
    function label(text, x, y, color) {
      const fs = Math.round(13 * k), h = Math.round(18 * k), pad = 4 * k;
      ctx.font = "bold " + fs + "px system-ui, sans-serif";
      const w = ctx.measureText(text).width + 2 * pad;
      x = Math.max(0, Math.min(x, W() - w)); y = Math.max(h, y);
      ctx.fillStyle = "rgba(0,0,0,.65)"; ctx.fillRect(x, y - h, w, h);
      ctx.fillStyle = color; ctx.fillText(text, x + pad, y - h * 0.28);
    }
    function arrow(a, b) {
      const [x1, y1] = px(a), [x2, y2] = px(b);
      const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1;
      // "in" is towards the side where (B−A)×(P−A) < 0: the normal (dy, −dx).
      const nx = dy / len, ny = -dx / len, L = 22 * k;
      const mx = (x1 + x2) / 2, my = (y1 + y2) / 2, tx = mx + nx * L, ty = my + ny * L;
      ctx.beginPath(); ctx.moveTo(mx - nx * L * 0.4, my - ny * L * 0.4); ctx.lineTo(tx, ty); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(tx, ty);
      const a9 = 9 * k, a6 = 6 * k;
      ctx.lineTo(tx - nx * a9 + ny * a6, ty - ny * a9 - nx * a6); ctx.lineTo(tx - nx * a9 - ny * a6, ty - ny * a9 + nx * a6); ctx.closePath(); ctx.fill();
      label("in", tx + nx * 4 * k, ty + ny * 4 * k + 9 * k, COLORS.line);
    }
    function draw() {
      const f = st.frame;
      const shown = canvas.getBoundingClientRect().width;
      k = shown > 0 ? W() / shown : 1;
      if (st.img) ctx.drawImage(st.img, 0, 0, W(), H());
      else { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, W(), H()); }
      const lw = 2 * k;
      ctx.lineWidth = lw;
      st.rules.masks.forEach((m, i) => {
        poly(m.points, true);
        ctx.fillStyle = "rgba(176,107,255,.35)"; ctx.fill(); ctx.strokeStyle = COLORS.mask; ctx.stroke();
        const [x, y] = px(m.points[0] || [0, 0]); label(m.name || "mask " + (i + 1), x, y, COLORS.mask);
      });
      st.rules.zones.forEach((z) => {
        poly(z.points || [], true);
        ctx.fillStyle = "rgba(63,167,255,.15)"; ctx.fill(); ctx.strokeStyle = COLORS.zone; ctx.stroke();
        const occ = (f && f.occupancy && f.occupancy[z.name]) || {};
        const n = Object.values(occ).reduce((a, b) => a + b, 0);
        const [x, y] = px((z.points || [[0, 0]])[0]); label((z.name || "?") + ": " + n, x, y, COLORS.zone);
      });
      st.rules.lines.forEach((l) => {
        const pts = l.points || [];
        ctx.strokeStyle = COLORS.line; ctx.fillStyle = COLORS.line; ctx.lineWidth = lw * 1.5;
        poly(pts, false); ctx.stroke(); ctx.lineWidth = lw;
        for (let k = 0; k + 1 < pts.length; k++) arrow(pts[k], pts[k + 1]);
        const c = (f && f.lines && f.lines[l.name]) || { in: 0, out: 0 };
        const [x, y] = px(pts[0] || [0, 0]); label((l.name || "?") + "  in " + c.in + " / out " + c.out, x, y - 4, COLORS.line);
      });
      if (f) for (const t of f.tracks || []) {
        ctx.strokeStyle = COLORS.track; ctx.strokeRect(t.x * W(), t.y * H(), t.w * W(), t.h * H());
        label(t.class + " #" + t.id, t.x * W(), t.y * H(), COLORS.track);
      }
      if (st.sel) {
        const s = shapes().find((s) => s.kind === st.sel.kind && s.i === st.sel.i);
        if (s) for (const p of s.pts) { const [x, y] = px(p); ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(x, y, lw * 3, 0, 7); ctx.fill(); }
      }
      if (st.draft.length) {
        ctx.setLineDash([6, 4]); ctx.strokeStyle = "#fff"; poly(st.draft, st.mode !== "line"); ctx.stroke(); ctx.setLineDash([]);
        for (const p of st.draft) { const [x, y] = px(p); ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(x, y, lw * 2.5, 0, 7); ctx.fill(); }
      }
    }

    // --- pointer (mouse, pen and touch alike)
    canvas.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      canvas.setPointerCapture && canvas.setPointerCapture(ev.pointerId);
      const p = pos(ev);
      if (st.mode === "line") { st.draft = [p, p]; draw(); return; }
      if (st.mode) return; // polygons add a vertex on pointerup
      const h = hit(p);
      if (!h) { if (st.sel) { st.sel = null; renderPanel(); draw(); } return; }
      const changed = !st.sel || st.sel.kind !== h.s.kind || st.sel.i !== h.s.i;
      st.sel = { kind: h.s.kind, i: h.s.i };
      st.drag = { v: h.v, last: p, orig: h.s.pts.map((q) => q.slice()) };
      if (changed) renderPanel();
      draw();
    });
    canvas.addEventListener("pointermove", (ev) => {
      const p = pos(ev);
      if (st.mode === "line" && st.draft.length) { st.draft[1] = p; draw(); return; }
      if (!st.drag || !st.sel) return;
      const r = listOf(st.sel.kind)[st.sel.i];
      if (st.drag.v >= 0) r.points[st.drag.v] = p;
      else {
        const dx = p[0] - st.drag.last[0], dy = p[1] - st.drag.last[1];
        r.points = r.points.map((q) => [round(clamp(q[0] + dx)), round(clamp(q[1] + dy))]);
        st.drag.last = p;
      }
      draw();
    });
    canvas.addEventListener("pointerup", (ev) => {
      const p = pos(ev);
      if (st.mode === "line" && st.draft.length) {
        st.draft[1] = p;
        const [a, b] = st.draft.map(px);
        if (Math.hypot(a[0] - b[0], a[1] - b[1]) > W() * 0.03) {
          st.rules.lines.push({ name: freeName("line"), points: st.draft.map((q) => q.slice()) });
          st.sel = { kind: "line", i: st.rules.lines.length - 1 };
          endDraw();
          renderPanel(true);
        } else { st.draft = []; hint.textContent = "Drag across the picture to draw the line."; }
        draw(); return;
      }
      if (st.mode === "zone" || st.mode === "mask") {
        st.draft.push(p);
        finish.disabled = st.draft.length < 3;
        hint.textContent = st.draft.length + " point(s). Tap more corners, then Finish shape.";
        draw(); return;
      }
      if (st.drag) { st.drag = null; markDirty(); }
    });
    canvas.addEventListener("dblclick", () => { if (st.mode === "zone" || st.mode === "mask") finishShape(); });

    function freeName(kind) {
      const used = new Set([...st.rules.lines, ...st.rules.zones].map((r) => r.name));
      for (let n = 1; ; n++) if (!used.has(kind + "-" + n)) return kind + "-" + n;
    }
    function startDraw(mode) {
      st.mode = mode; st.draft = []; st.sel = null;
      finish.hidden = mode === "line"; cancelDraw.hidden = false; finish.disabled = true;
      hint.textContent = mode === "line" ? "Drag across the picture to draw the line." : "Tap or click each corner, then Finish shape.";
      renderPanel(); draw();
    }
    function endDraw() { st.mode = null; st.draft = []; finish.hidden = cancelDraw.hidden = true; hint.textContent = ""; }
    function finishShape() {
      if (st.draft.length < 3) return;
      if (st.mode === "zone") { st.rules.zones.push({ name: freeName("zone"), points: st.draft.slice() }); st.sel = { kind: "zone", i: st.rules.zones.length - 1 }; }
      else { st.rules.masks.push({ name: "mask " + (st.rules.masks.length + 1), points: st.draft.slice() }); st.sel = { kind: "mask", i: st.rules.masks.length - 1 }; }
      endDraw(); renderPanel(true); draw();
    }
    addLine.addEventListener("click", () => startDraw("line"));
    addZone.addEventListener("click", () => startDraw("zone"));
    addMask.addEventListener("click", () => startDraw("mask"));
    finish.addEventListener("click", finishShape);
    cancelDraw.addEventListener("click", () => { endDraw(); draw(); });

    function markDirty() { applyMsg.textContent = "Not applied yet"; applyMsg.className = "muted"; }

    // --- the rules panel
    const csv = (a) => (a || []).join(", ");
    const uncsv = (s) => s.split(/[,;]/).map((x) => x.trim()).filter(Boolean);
    function input(key, value, onset, attrs) {
      const i = P.el("input", Object.assign({ "data-key": key, value: value == null ? "" : value }, attrs || {}));
      i.addEventListener("input", () => { onset(i.value); markDirty(); draw(); });
      return i;
    }
    function setOpt(r, k, v) { if (v === "" || v == null || (Array.isArray(v) && !v.length)) delete r[k]; else r[k] = v; }
    function ruleBox(kind, r, i) {
      const el = P.el, key = kind + "s[" + i + "]";
      const sel = st.sel && st.sel.kind === kind && st.sel.i === i;
      const box = el("div", { class: "rule" + (sel ? " selected" : ""), "data-field": key });
      box.addEventListener("focusin", () => { if (!st.sel || st.sel.kind !== kind || st.sel.i !== i) { st.sel = { kind, i }; for (const b of panel.querySelectorAll(".rule")) b.classList.toggle("selected", b === box); draw(); } });
      const del = el("button", { class: "danger", type: "button", "data-action": "delete" }, "Delete");
      del.addEventListener("click", () => { listOf(kind).splice(i, 1); st.sel = null; markDirty(); renderPanel(); draw(); });
      const btns = el("div", { class: "btns" });
      const kids = [el("div", { class: "head" }, el("span", { class: "kind " + kind }, kind), kind === "mask" ? el("span", {}, r.name || "") : null)];
      if (kind !== "mask") kids.push(el("label", {}, "Name", input(key + ".name", r.name, (v) => (r.name = v), { autocomplete: "off", spellcheck: "false" })));
      if (kind === "line") {
        const dir = el("select", { "data-key": key + ".direction" });
        for (const d of ["", "both", "in", "out"]) dir.append(el("option", { value: d, selected: (r.direction || "") === d }, d === "" ? "both (default)" : d));
        dir.addEventListener("change", () => { setOpt(r, "direction", dir.value); markDirty(); });
        kids.push(el("div", { class: "row" },
          el("label", {}, "Events for", dir),
          el("label", {}, "Classes", input(key + ".classes", csv(r.classes), (v) => setOpt(r, "classes", uncsv(v)), { placeholder: "all" }))));
        const flip = el("button", { class: "secondary", type: "button" }, "Flip in side");
        flip.addEventListener("click", () => { r.points.reverse(); markDirty(); draw(); });
        const addPt = el("button", { class: "secondary", type: "button" }, "+ Point");
        addPt.addEventListener("click", () => {
          const p = r.points, a = p[p.length - 2], b = p[p.length - 1];
          p.push([round(clamp(b[0] + (b[0] - a[0]) * 0.5)), round(clamp(b[1] + (b[1] - a[1]) * 0.5))]);
          markDirty(); draw();
        });
        btns.append(flip, addPt);
      }
      if (kind === "zone") {
        const sched = (r.intrusion && r.intrusion.schedule) || [];
        kids.push(el("div", { class: "row" },
          el("label", {}, "Classes", input(key + ".classes", csv(r.classes), (v) => setOpt(r, "classes", uncsv(v)), { placeholder: "all" })),
          el("label", {}, "Loiter after", input(key + ".loiter_after", r.loiter_after, (v) => setOpt(r, "loiter_after", v.trim()), { placeholder: "e.g. 30s" }))),
          el("label", {}, "Intrusion schedule", input(key + ".intrusion.schedule", sched.join("; "), (v) => {
            const list = v.split(";").map((x) => x.trim()).filter(Boolean);
            if (list.length) r.intrusion = Object.assign({}, r.intrusion, { schedule: list }); else delete r.intrusion;
          }, { placeholder: "e.g. mon-fri 22:00-06:00; sat,sun always" })));
      }
      btns.append(del);
      kids.push(btns, el("div", { class: "fielderr" }));
      box.append(...kids);
      return box;
    }
    function renderPanel(focusNew) {
      const el = P.el, kids = [];
      st.rules.lines.forEach((r, i) => kids.push(ruleBox("line", r, i)));
      st.rules.zones.forEach((r, i) => kids.push(ruleBox("zone", r, i)));
      st.rules.masks.forEach((r, i) => kids.push(ruleBox("mask", r, i)));
      if (!kids.length) kids.push(el("p", { class: "muted" }, "No rules yet: draw a line, a zone or a mask on the picture."));
      panel.replaceChildren(...kids);
      showErrors();
      if (focusNew && st.sel) {
        const inp = panel.querySelector('[data-key="' + st.sel.kind + "s[" + st.sel.i + '].name"]');
        if (inp) { inp.focus(); inp.select(); }
        markDirty();
      }
    }
    function showErrors() {
      const general = [];
      for (const e of st.errors) {
        const m = /^(lines|zones|masks)\[(\d+)\]/.exec(e.field || "");
        const box = m && panel.querySelector('[data-field="' + m[0] + '"]');
        if (!box) { general.push((e.key ? e.key + ": " : "") + e.message); continue; }
        box.querySelector(".fielderr").append(P.el("div", {}, e.field.slice(m[0].length + 1) + ": " + e.message));
        const inp = box.querySelector('[data-key="' + e.field + '"]');
        if (inp) inp.setAttribute("aria-invalid", "true");
      }
      errBox.textContent = general.join("\n");
    }

    apply.addEventListener("click", async () => {
      apply.disabled = true; applyMsg.textContent = "Applying…"; applyMsg.className = "muted";
      try {
        const body = { lines: st.rules.lines, zones: st.rules.zones, masks: st.rules.masks.map((m) => ({ points: m.points })) };
        const r = await P.api("PUT", "/cameras/" + encodeURIComponent(name) + "/rules", body, { "If-Match": st.etag });
        st.errors = [];
        if (r.status === 200) {
          const sel = st.sel;
          st.rules = r.body; st.etag = r.etag; st.sel = sel;
          applyMsg.textContent = "Applied ✓"; applyMsg.className = "ok";
        } else if (r.status === 412) {
          applyMsg.textContent = "Someone changed the config meanwhile: reload the rules, then edit again.";
          applyMsg.className = "error"; reloadRules.hidden = false;
        } else {
          st.errors = (r.body && r.body.errors) || [];
          applyMsg.textContent = "Not applied: fix the fields marked below."; applyMsg.className = "error";
        }
        renderPanel(); draw();
      } finally { apply.disabled = false; }
    });
    reloadRules.addEventListener("click", loadRules);

    // --- the live feed: picture and overlay arrive in one message
    const es = new EventSource("/api/v1/cameras/" + encodeURIComponent(name) + "/feed?pictures=1");
    let newest = 0;
    es.addEventListener("frame", (m) => {
      const f = JSON.parse(m.data);
      if (!f.jpeg) return;
      newest = f.seq;
      const img = new Image();
      img.onload = () => {
        if (f.seq !== newest) return; // a newer frame is already coming
        if (canvas.width !== f.width || canvas.height !== f.height) { canvas.width = f.width; canvas.height = f.height; }
        st.img = img; st.frame = f;
        status.textContent = "live · frame " + f.seq + " · " + new Date(f.time).toLocaleTimeString() +
          (f.view === "ir" ? " · night (infrared)" : "") + (f.settling ? " · new view, settling" : "");
        tamper.hidden = !(f.tamper && f.tamper.length);
        tamper.textContent = (f.tamper || []).join(", ");
        draw();
      };
      img.src = "data:image/jpeg;base64," + f.jpeg;
    });
    es.onerror = () => { status.textContent = "reconnecting…"; };
    P.onCleanup(() => es.close());
    await loadRules();
  };
})();
