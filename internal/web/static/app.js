// Switchyard console script: talks to the REST API under /api/v1 with the
// session's CSRF token, renders the data the pages show, and re-reads them as
// soon as the server's change stream (Server-Sent Events) says something
// changed; while the stream is down it polls. No framework, no build step.
"use strict";

(function () {
  const POLL_MS = 800; // polling while the change stream is down
  const SAFETY_MS = 10000; // a re-read now and then even while it is up
  const NAME_RULE = 'At most 63 characters: lowercase letters, digits and "-", starting and ending with a lowercase letter or digit.';
  const body = document.body;
  const ws = body.dataset.ws || "";
  const canEdit = body.dataset.canEdit === "true";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  // ---- helpers -------------------------------------------------------

  const $ = (sel, root) => (root || document).querySelector(sel);

  // h builds an element: h("td", {class: "x"}, "text", child…).
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // ApiError carries the API's {"error":{code,message,field}}.
  class ApiError extends Error {
    constructor(status, e) {
      super((e && e.message) || "request failed (" + status + ")");
      this.status = status;
      this.code = e && e.code;
      this.field = e && e.field;
      this.phase = e && e.phase;
      this.fields = (e && e.fields) || [];
    }
  }

  async function api(method, path, data) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (data !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(data);
    }
    const resp = await fetch("/api/v1" + path, opts);
    if (resp.status === 401 && body.dataset.page !== "login") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new ApiError(401, { message: "signed out" });
    }
    if (resp.status === 204) return null;
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new ApiError(resp.status, out.error);
    return out;
  }

  const wsPath = () => "/workspaces/" + encodeURIComponent(ws);
  const jobPath = (name) => wsPath() + "/jobs/" + encodeURIComponent(name);

  function showError(el, msg) {
    if (!el) return;
    el.textContent = msg || "";
    el.hidden = !msg;
  }

  function toast(msg) {
    const t = $("#toast");
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 4000);
  }

  // confirmAction asks in the page's <dialog>; resolves true on Confirm, false
  // on Cancel or Escape.
  function confirmAction(title, text, okLabel) {
    const dlg = $("#confirm"), ok = $("#confirm-ok"), cancel = $("#confirm-cancel");
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    ok.textContent = okLabel || "Confirm";
    return new Promise((resolve) => {
      function done(answer) {
        ok.removeEventListener("click", onOK);
        cancel.removeEventListener("click", onCancel);
        dlg.removeEventListener("cancel", onCancel);
        if (dlg.open) dlg.close();
        resolve(answer);
      }
      const onOK = () => done(true), onCancel = (e) => { e.preventDefault(); done(false); };
      ok.addEventListener("click", onOK);
      cancel.addEventListener("click", onCancel);
      dlg.addEventListener("cancel", onCancel);
      dlg.showModal();
      cancel.focus();
    });
  }

  function ago(iso) {
    if (!iso) return "";
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 5) return "just now";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return new Date(iso).toLocaleDateString();
  }

  function timeEl(iso) {
    return h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
  }
  // Relative times and countdowns tick on their own, between re-reads.
  const ticking = [];
  setInterval(() => {
    for (const t of document.querySelectorAll("time[datetime]")) t.textContent = ago(t.getAttribute("datetime"));
    for (const f of ticking) f();
  }, 1000);

  // Phase colours: the words always come with them.
  const PHASE_CLASS = {
    Healthy: "ok", Progressing: "busy", "Awaiting promotion": "wait", Paused: "wait",
    Switching: "busy", Verifying: "busy", Degraded: "bad", Aborted: "bad", Creating: "busy",
    Unknown: "muted", Deleting: "busy", Deleted: "muted",
  };

  // A stale status (the cluster can't be read) is Unknown; lastPhase is the
  // last one seen there.
  function phaseWords(phase, stale, lastPhase) {
    return phase + (stale && lastPhase ? " · was " + lastPhase : "");
  }

  function statusBadge(phase, stale, lastPhase) {
    return h("span", { class: "status status-" + (PHASE_CLASS[phase] || "muted"), dataset: { phase } },
      h("span", { class: "dot", "aria-hidden": "true" }), phaseWords(phase, stale, lastPhase));
  }

  function setStatus(el, phase, stale, lastPhase) {
    el.className = "status status-" + (PHASE_CLASS[phase] || "muted");
    el.dataset.phase = phase;
    el.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), phaseWords(phase, stale, lastPhase));
  }

  // live runs fn now, and again each time the workspace's change stream
  // (narrowed to one job when job is set) says something changed: one run at
  // a time, with at most one more queued behind it. While the stream is up it
  // also re-reads every SAFETY_MS (the standby countdown, changes made through
  // another replica); while it is down it polls every POLL_MS. body's
  // data-live says which ("stream" or "poll"). It returns a function that
  // runs fn at once.
  function live(fn, job) {
    let timer = null, running = false, again = false, streaming = false;
    body.dataset.live = "poll";
    async function run() {
      if (running) { again = true; return; }
      running = true;
      clearTimeout(timer);
      try { await fn(); } catch (e) { if (e.status !== 401) console.warn(e); }
      running = false;
      if (again) { again = false; run(); return; }
      timer = setTimeout(run, streaming ? SAFETY_MS : document.hidden ? POLL_MS * 5 : POLL_MS);
    }
    if (window.EventSource && ws) {
      const es = new EventSource("/api/v1" + wsPath() + "/changes" + (job ? "?job=" + encodeURIComponent(job) : ""));
      es.addEventListener("ready", () => { streaming = true; body.dataset.live = "stream"; run(); });
      es.addEventListener("change", run);
      // EventSource reconnects by itself; until it does, poll.
      es.addEventListener("error", () => { if (streaming) { streaming = false; body.dataset.live = "poll"; run(); } });
      addEventListener("pagehide", () => es.close());
    }
    run();
    return run;
  }

  // DNS-1123 label, as the server checks it.
  function nameProblem(v) {
    if (v === "") return "Name is required. " + NAME_RULE;
    const found = [];
    if (/[A-Z]/.test(v)) found.push("uppercase letters");
    const odd = [...new Set(v.replace(/[a-zA-Z0-9-]/g, ""))].map((c) => (c === " " ? "spaces" : '"' + c + '"'));
    if (odd.length) found.push(odd.join(", "));
    if (found.length) return "Not allowed: " + found.join(" and ") + ". " + NAME_RULE;
    if (v.length > 63) return "Too long: " + v.length + " characters. " + NAME_RULE;
    if (!/^[a-z0-9]/.test(v) || !/[a-z0-9]$/.test(v)) return 'Must start and end with a lowercase letter or digit, not "-". ' + NAME_RULE;
    return "";
  }

  // ---- layout: sign out, workspace switcher, narrow-screen navigation ----

  function initLayout() {
    const logout = $("#logout");
    if (logout) logout.addEventListener("click", async () => {
      try { await api("POST", "/logout"); } catch (e) { /* signed out anyway */ }
      location.href = "/login";
    });
    const sw = $("#ws-switcher");
    if (sw) sw.addEventListener("change", () => {
      if (sw.value) location.href = "/w/" + encodeURIComponent(sw.value) + "/jobs";
    });
    const toggle = $(".nav-toggle");
    if (toggle) toggle.addEventListener("click", () => {
      const open = body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // ---- login -----------------------------------------------------------

  function initLogin() {
    const form = $("#login-form");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const err = $("#login-error");
      showError(err, "");
      const username = form.username.value.trim(), password = form.password.value;
      if (!username || !password) { showError(err, "Enter your username and password."); return; }
      $("#login-submit").disabled = true;
      try {
        await api("POST", "/login", { username, password });
        location.href = form.dataset.next || "/";
      } catch (e) {
        showError(err, e.status === 401 && e.code !== "disabled" ? "Wrong username or password." : e.message);
        $("#login-submit").disabled = false;
      }
    });
  }

  // ---- job list ----------------------------------------------------------

  const PAGE_SIZE = 20;

  function initJobs() {
    const form = $("#filters");
    const params = new URLSearchParams(location.search);
    let offset = parseInt(params.get("offset") || "0", 10) || 0;
    for (const k of ["name", "cluster", "namespace", "phase", "sort"]) {
      if (params.has(k)) form.elements[k].dataset.want = params.get(k);
      if (params.has(k)) form.elements[k].value = params.get(k);
    }
    const created = params.get("created");
    // The warnings of the creation (e.g. no Istio in the cluster) come with
    // the prompt, once.
    try {
      const w = JSON.parse(sessionStorage.getItem("created-warnings") || "null");
      sessionStorage.removeItem("created-warnings");
      if (created && w && w.name === created && w.warnings.length && $("#flash")) {
        $("#flash span").append(h("ul", { class: "flash-warnings", "aria-label": "Warnings" }, w.warnings.map((m) => h("li", {}, m))));
      }
    } catch (e) { /* storage unavailable: the job's page still says it all */ }

    const menuBtn = $("#create-job");
    if (menuBtn) {
      const list = $("#create-menu-list");
      menuBtn.addEventListener("click", () => {
        const open = list.hidden;
        list.hidden = !open;
        menuBtn.setAttribute("aria-expanded", String(open));
        if (open) $("#create-bluegreen").focus();
      });
      document.addEventListener("click", (e) => {
        if (!$("#create-menu").contains(e.target)) { list.hidden = true; menuBtn.setAttribute("aria-expanded", "false"); }
      });
    }
    const flashClose = $(".flash-close");
    if (flashClose) flashClose.addEventListener("click", () => $("#flash").remove());

    // Filter choices come from the workspace's clusters and namespaces.
    api("GET", wsPath() + "/clusters").then((out) => {
      const nss = new Set();
      for (const c of out.items) {
        form.cluster.append(h("option", { value: c.name }, c.name));
        for (const n of c.namespaces) nss.add(n.name);
      }
      for (const n of [...nss].sort()) form.namespace.append(h("option", { value: n }, n));
      for (const k of ["cluster", "namespace"]) if (form.elements[k].dataset.want) form.elements[k].value = form.elements[k].dataset.want;
    }).catch(() => {});

    function query() {
      const q = new URLSearchParams();
      for (const k of ["name", "cluster", "namespace", "phase", "sort"]) {
        const v = form.elements[k].value.trim();
        if (v) q.set(k, v);
      }
      return q;
    }
    function syncURL() {
      const q = query();
      if (offset) q.set("offset", offset);
      if (created) q.set("created", created);
      history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    }
    let debounce;
    form.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(() => { offset = 0; syncURL(); refresh(); }, 250); });
    form.addEventListener("submit", (e) => e.preventDefault());
    for (const b of document.querySelectorAll("button.sort")) {
      b.addEventListener("click", () => {
        const k = b.dataset.sort;
        form.sort.value = form.sort.value === k ? "-" + k : k;
        offset = 0; syncURL(); refresh();
      });
    }
    $("#clear-filters").addEventListener("click", () => { form.reset(); offset = 0; syncURL(); refresh(); });
    $("#page-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE_SIZE); syncURL(); refresh(); });
    $("#page-next").addEventListener("click", () => { offset += PAGE_SIZE; syncURL(); refresh(); });

    const filtered = () => ["name", "cluster", "namespace", "phase"].some((k) => form.elements[k].value);

    async function load() {
      const q = query();
      if (!q.has("sort")) q.set("sort", "-created");
      q.set("limit", PAGE_SIZE);
      q.set("offset", offset);
      const out = await api("GET", wsPath() + "/jobs?" + q);
      const tbody = $("#jobs-body");
      tbody.replaceChildren(...out.items.map((j) => jobRow(j, j.name === created)));
      $("#jobs-table").hidden = out.total === 0 && !filtered();
      $("#jobs-empty").hidden = !(out.total === 0 && !filtered());
      $("#jobs-nomatch").hidden = !(out.total === 0 && filtered());
      const from = out.total ? offset + 1 : 0, to = offset + out.items.length;
      $("#page-info").textContent = out.total ? `${from}–${to} of ${out.total}` : "";
      // Previous / Next only when there is another page to go to.
      const paged = offset > 0 || to < out.total;
      $("#page-prev").hidden = $("#page-next").hidden = !paged;
      $("#page-prev").disabled = offset === 0;
      $("#page-next").disabled = to >= out.total;
      $("#page-info").hidden = !out.total;
      // One header can hold two sort keys (Cluster / Namespace): the arrow
      // is on the button, aria-sort on the header whose key is in use.
      const s = form.sort.value || "-created";
      for (const th of document.querySelectorAll("#jobs-table th:has(button.sort)")) th.setAttribute("aria-sort", "none");
      for (const b of document.querySelectorAll("button.sort")) {
        const k = b.dataset.sort, dir = s === k ? "ascending" : s === "-" + k ? "descending" : "";
        if (dir) { b.dataset.dir = dir; b.closest("th").setAttribute("aria-sort", dir); } else delete b.dataset.dir;
      }
    }
    const refresh = live(load);
  }

  function images(list) {
    if (!list || !list.length) return h("span", { class: "muted" }, "—");
    return list.map(imageRef);
  }

  // imageRef shows an image reference that wraps, when it must, only after a
  // "/" or before its tag or digest, never inside a name or a tag (the
  // browser would break after any "-"). Its text stays the reference, for
  // copying.
  function imageRef(ref) {
    const parts = ref.split(/(?<=\/)/);
    const last = parts.pop();
    const at = last.search(/[@:]/);
    if (at > 0) parts.push(last.slice(0, at), last.slice(at));
    else parts.push(last);
    const segs = [];
    parts.forEach((p, i) => { if (i) segs.push(h("wbr")); segs.push(h("span", { class: "seg" }, p)); });
    return h("code", { class: "image", title: ref }, segs);
  }

  // jobRow is one job in the list. Its Deployment sits under its name and
  // its namespace under its cluster: eight columns did not fit 1280 pixels.
  function jobRow(j, isNew) {
    const href = "/w/" + encodeURIComponent(ws) + "/jobs/" + encodeURIComponent(j.name);
    return h("tr", { class: isNew ? "row-new" : null, dataset: { job: j.name } },
      h("th", { scope: "row" }, h("a", { href }, j.name), h("div", { class: "sub" }, h("span", { class: "sr-only" }, "Deployment "), j.deployment)),
      h("td", {}, statusBadge(j.phase, j.stale, j.last_phase),
        j.failed_check && h("div", { class: "sub check-failed" }, "Check " + j.failed_check + " failed")),
      h("td", {}, j.cluster, h("div", { class: "sub" }, h("span", { class: "sr-only" }, "namespace "), j.namespace)),
      h("td", {}, images(j.active_images)),
      h("td", {}, images(j.preview_images)),
      h("td", {}, h("span", { class: "who" }, j.created_by), h("div", { class: "sub" }, timeEl(j.created_at))));
  }

  // ---- checks editor (create form, job page) ------------------------------

  // checksEditor fills container with one fieldset per check and an Add
  // button; value() reads them back as the API's checks, errors(problems)
  // marks the fields the server named (checks[1].url) and returns the first.
  function checksEditor(container, initial) {
    const list = h("div", { class: "checks-list" });
    const text = (label, key, c, hint, attrs) => {
      const id = "check-" + (++checksEditor.n) + "-" + key;
      return h("div", { class: "field", dataset: { key } },
        h("label", { for: id }, label),
        h("input", Object.assign({ id, "data-check": key, value: c[key] === undefined || c[key] === 0 ? "" : c[key], spellcheck: "false", autocomplete: "off" }, attrs || {})),
        hint && h("p", { class: "hint" }, hint),
        h("p", { class: "error", role: "alert", hidden: true, dataset: { errorFor: key } }));
    };
    const select = (label, key, c, options) => {
      const id = "check-" + (++checksEditor.n) + "-" + key;
      const sel = h("select", { id, "data-check": key }, options.map(([v, t]) => h("option", { value: v }, t)));
      if (c[key]) sel.value = c[key];
      return h("div", { class: "field", dataset: { key } }, h("label", { for: id }, label), sel,
        h("p", { class: "error", role: "alert", hidden: true, dataset: { errorFor: key } }));
    };
    function add(c) {
      c = c || { kind: "http", when: "before" };
      const fs = h("fieldset", { class: "check" },
        h("legend", {}, "Check"),
        text("Name", "name", c, "Lowercase letters, digits and \"-\", like error-rate."),
        select("Kind", "kind", c, [["http", "HTTP endpoint"], ["prometheus", "Prometheus query"]]),
        select("When", "when", c, [["before", "Before the switch (on green, traffic on blue)"], ["after", "After the switch (failure switches back)"], ["both", "Before and after"]]),
        text("URL", "url", c, "{{preview}} and {{active}} are the Services' in-cluster names, e.g. http://{{preview}}/healthz. Any 2xx answer passes unless a condition says otherwise.", { dataset: { kind: "http" } }),
        text("JSONPath", "json_path", c, "Optional: the value of the JSON answer the condition sees as result, e.g. {$.status}.", { dataset: { kind: "http" } }),
        text("Prometheus address", "address", c, "e.g. http://prometheus.monitoring:9090", { dataset: { kind: "prometheus" } }),
        text("Query", "query", c, "PromQL; {{job}}, {{namespace}}, {{revision}} allowed.", { dataset: { kind: "prometheus" } }),
        text("Condition", "condition", c, "Passes when true, e.g. result[0] < 0.01 or result == \"ok\"."),
        text("Every", "interval", c, "Between measurements; default 10s.", { placeholder: "10s" }),
        text("Measurements", "count", c, "Default 3.", { type: "number", min: "1", placeholder: "3" }),
        text("May fail", "failure_limit", c, "Measurements allowed to fail; default 0.", { type: "number", min: "0", placeholder: "0" }),
        h("button", { type: "button", class: "btn btn-small btn-danger-quiet", onclick: () => fs.remove() }, "Remove check"));
      const kindSel = fs.querySelector("select[data-check=kind]");
      const sync = () => {
        for (const el of fs.querySelectorAll("input[data-kind]")) el.closest(".field").hidden = el.dataset.kind !== kindSel.value;
      };
      kindSel.addEventListener("change", sync);
      sync();
      list.append(fs);
    }
    const addBtn = h("button", { type: "button", class: "btn btn-small", id: container.id + "-add", onclick: () => add() }, "Add check");
    container.replaceChildren(list, addBtn);
    for (const c of initial || []) add(c);
    return {
      value() {
        return [...list.querySelectorAll("fieldset.check")].map((fs) => {
          const c = {};
          for (const el of fs.querySelectorAll("input, select")) {
            if (el.closest(".field").hidden || el.value === "") continue;
            c[el.dataset.check] = el.type === "number" ? Number(el.value) : el.value;
          }
          return c;
        });
      },
      clear() {
        for (const el of container.querySelectorAll(".error")) showError(el, "");
        for (const el of container.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      },
      errors(problems) {
        let first = null;
        for (const p of problems) {
          const m = /^checks\[(\d+)\]\.(\w+)$/.exec(p.field);
          if (!m) continue;
          const fs = list.querySelectorAll("fieldset.check")[Number(m[1])];
          const field = fs && fs.querySelector(`.field[data-key="${m[2]}"]`);
          if (!field) continue;
          showError(field.querySelector(".error"), p.message.startsWith(p.field + ": ") ? p.message.slice(p.field.length + 2) : p.message);
          const input = field.querySelector("input, select");
          input.setAttribute("aria-invalid", "true");
          first = first || input;
        }
        return first;
      },
    };
  }
  checksEditor.n = 0;

  // ---- create form -------------------------------------------------------

  function initJobNew() {
    const form = $("#job-form");
    const listURL = "/w/" + encodeURIComponent(ws) + "/jobs";
    let clusters = [];
    let touched = false;

    function checkName() {
      const p = nameProblem(form.name.value);
      const show = touched || form.name.value !== "";
      showError($("#name-error"), show ? p : "");
      $("#name-hint").hidden = !!p && show; // the error states the rule itself
      form.name.setAttribute("aria-invalid", String(!!p && show));
      return !p;
    }
    form.name.addEventListener("input", checkName);
    form.name.addEventListener("blur", () => { touched = true; checkName(); });

    function reset(sel, label) {
      sel.replaceChildren(h("option", { value: "" }, label));
      sel.disabled = true;
    }

    api("GET", wsPath() + "/clusters").then((out) => {
      clusters = out.items;
      const sel = form.cluster;
      if (!clusters.length) {
        sel.replaceChildren(h("option", { value: "" }, "No cluster is bound to this workspace"));
        showError($("#cluster-error"), "No cluster namespace is bound to workspace " + ws + ". A platform administrator binds them under Workspaces.");
        return;
      }
      sel.replaceChildren(h("option", { value: "" }, "Choose a cluster"),
        ...clusters.map((c) => h("option", { value: c.name, disabled: !c.available },
          c.available ? c.name : c.name + " — unavailable: " + c.reason)));
      const usable = clusters.filter((c) => c.available);
      if (usable.length === 1) { sel.value = usable[0].name; onCluster(); }
    }).catch((e) => showError($("#cluster-error"), e.message));

    function onCluster() {
      showError($("#cluster-error"), "");
      reset(form.deployment, "Choose a namespace first");
      reset(form.service, "Choose a Deployment first");
      const c = clusters.find((x) => x.name === form.cluster.value);
      if (!c) { reset(form.namespace, "Choose a cluster first"); return; }
      form.namespace.replaceChildren(h("option", { value: "" }, "Choose a namespace"),
        ...c.namespaces.map((n) => h("option", { value: n.name }, n.name)));
      form.namespace.disabled = false;
    }
    form.cluster.addEventListener("change", onCluster);

    form.namespace.addEventListener("change", async () => {
      showError($("#namespace-error"), "");
      reset(form.deployment, "Loading Deployments…");
      reset(form.service, "Choose a Deployment first");
      if (!form.namespace.value) { reset(form.deployment, "Choose a namespace first"); return; }
      try {
        const out = await api("GET", nsPath() + "/deployments");
        if (!out.items.length) { reset(form.deployment, "No Deployment in this namespace"); return; }
        form.deployment.replaceChildren(h("option", { value: "" }, "Choose a Deployment"),
          ...out.items.map((d) => h("option", { value: d.name }, `${d.name} (${d.ready_replicas}/${d.replicas} ready · ${d.images.join(", ")})`)));
        form.deployment.disabled = false;
      } catch (e) { reset(form.deployment, "Could not load Deployments"); showError($("#deployment-error"), e.message); }
    });

    form.deployment.addEventListener("change", async () => {
      showError($("#deployment-error"), "");
      showError($("#service-error"), "");
      if (!form.deployment.value) { reset(form.service, "Choose a Deployment first"); return; }
      reset(form.service, "Loading Services…");
      try {
        const out = await api("GET", nsPath() + "/services?deployment=" + encodeURIComponent(form.deployment.value));
        if (!out.items.length) { reset(form.service, "No Service in this namespace"); return; }
        const ok = out.items.filter((s) => s.selects_deployment);
        form.service.replaceChildren(h("option", { value: "" }, ok.length ? "Choose a Service" : "No Service selects this Deployment"),
          ...out.items.map((s) => h("option", { value: s.name, disabled: !s.selects_deployment },
            s.selects_deployment ? s.name : `${s.name} — not selectable: ${s.reason || "does not select the Deployment"}`)));
        form.service.disabled = false;
        if (ok.length === 1) form.service.value = ok[0].name;
      } catch (e) { reset(form.service, "Could not load Services"); showError($("#service-error"), e.message); }
    });

    function nsPath() {
      return wsPath() + "/clusters/" + encodeURIComponent(form.cluster.value) + "/namespaces/" + encodeURIComponent(form.namespace.value);
    }

    const fields = ["name", "cluster", "namespace", "deployment", "service", "scale_down_delay_seconds", "auto_promotion_seconds", "preview_replica_count", "promote_when_checks_pass"];
    function clearErrors() {
      for (const f of fields) {
        showError($("#" + f + "-error"), "");
        form.elements[f].removeAttribute("aria-invalid");
      }
      showError($("#form-error"), "");
    }

    const checks = checksEditor($("#checks"), []);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors();
      checks.clear();
      touched = true;
      let bad = !checkName();
      for (const f of ["cluster", "namespace", "deployment", "service"]) {
        if (!form.elements[f].value) { showError($("#" + f + "-error"), "Choose a " + f + "."); bad = true; }
      }
      if (bad) { $("[aria-invalid=true], .error:not([hidden])").scrollIntoView({ block: "center" }); return; }
      const req = { name: form.name.value, cluster: form.cluster.value, namespace: form.namespace.value,
        deployment: form.deployment.value, service: form.service.value };
      for (const f of ["scale_down_delay_seconds", "auto_promotion_seconds", "preview_replica_count"]) {
        if (form.elements[f].value !== "") req[f] = Number(form.elements[f].value);
      }
      req.checks = checks.value();
      req.promote_when_checks_pass = form.elements.promote_when_checks_pass.checked;
      const submit = $("#create-submit");
      submit.disabled = true;
      submit.textContent = "Creating…";
      try {
        const out = await api("POST", wsPath() + "/jobs", req);
        try { sessionStorage.setItem("created-warnings", JSON.stringify({ name: req.name, warnings: out.warnings || [] })); } catch (e) { /* no storage */ }
        location.href = listURL + "?created=" + encodeURIComponent(req.name);
      } catch (e) {
        submit.disabled = false;
        submit.textContent = "Create";
        // A taken name is the one conflict a new job can meet without a field.
        if (e.status === 409 && !e.field) e.field = "name";
        // Every field at fault gets its message; the first one gets the focus.
        const problems = e.fields && e.fields.length ? e.fields : e.field ? [{ field: e.field, message: e.message }] : [];
        let first = checks.errors(problems);
        if (first || problems.some((p) => p.field === "promote_when_checks_pass")) $("#advanced").open = true;
        for (const p of problems) {
          if (p.field.startsWith("checks[")) continue; // the checks editor marked it
          const f = p.field.split(".")[0], el = $("#" + f + "-error");
          if (!el || !form.elements[f]) continue;
          if (!fields.slice(0, 5).includes(f)) $("#advanced").open = true;
          // Next to the field, "name: …" would say the field twice.
          showError(el, p.message.startsWith(p.field + ": ") ? p.message.slice(p.field.length + 2) : p.message);
          form.elements[f].setAttribute("aria-invalid", "true");
          first = first || form.elements[f];
        }
        if (first) first.focus();
        else showError($("#form-error"), e.message);
      }
    });
  }

  // ---- job detail --------------------------------------------------------

  const IN_FLIGHT = ["Progressing", "Awaiting promotion", "Paused", "Switching", "Verifying"];

  function initJob() {
    const name = body.dataset.job;
    let job = null;

    async function load() {
      try {
        job = await api("GET", jobPath(name));
      } catch (e) {
        if (e.status === 404) { gone(); return; }
        throw e;
      }
      render(job);
      const tl = await api("GET", jobPath(name) + "/timeline").catch(() => null);
      if (tl) renderTimeline(tl.items);
    }

    // gone says the job was deleted while its page was open, and leaves
    // only the way back: empty cards and actions would say nothing.
    function gone() {
      const list = "/w/" + encodeURIComponent(ws) + "/jobs";
      $("#job-error").replaceChildren("This job does not exist any more. ", h("a", { href: list }, "Back to Progressive Delivery"));
      $("#job-error").hidden = false;
      setStatus($("#job-status"), "Deleted");
      for (const sel of ["#job-cards", "#job-timeline", "#job-actions", "#deploy-form"]) if ($(sel)) $(sel).hidden = true;
    }

    function render(j) {
      setStatus($("#job-status"), j.phase, j.stale, j.last_phase);
      if (j.stale) {
        // Why the cluster can't be read, and what was last seen there, how long ago.
        const parts = [(j.stale_reason || "The cluster can't be read").replace(/\.?$/, ".")];
        if (j.last_phase) {
          parts.push(" Last known status: " + j.last_phase);
          if (j.observed_at) parts.push(", ", timeEl(j.observed_at));
          parts.push(".");
        }
        $("#job-message").replaceChildren(...parts);
      } else $("#job-message").textContent = j.message || "";
      const dl = $("#job-basic");
      const props = [
        ["Name", j.name], ["Release type", "Blue/Green"], ["Release object", "Deployment " + j.deployment],
        ["Cluster", j.cluster], ["Namespace", j.namespace], ["Active Service", j.service],
        ["Preview Service", j.preview_service], ["Standby after a switch", j.scale_down_delay_seconds + " s"],
        ["Automatic promotion", j.promote_when_checks_pass ? "when the checks before the switch pass" + (j.auto_promotion_seconds ? ", then after " + j.auto_promotion_seconds + " s" : "")
          : j.auto_promotion_seconds ? "after " + j.auto_promotion_seconds + " s" : "off: waits for Promote"],
        ["Created", [j.created_by, " · ", timeEl(j.created_at)]],
      ];
      dl.replaceChildren(...props.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
      renderVersions(j);
      renderChecks(j);
      renderActions(j);
    }

    let editor = null; // the checks editor, once Edit checks was pressed
    // renderChecks shows the job's checks and their latest runs, each
    // measurement with its value, pass or fail, and time.
    function renderChecks(j) {
      const card = $("#job-checks");
      if (!card) return;
      $("#checks-summary").textContent = j.checks.length
        ? j.checks.map((c) => `${c.name} (${c.kind}, ${c.when} the switch)`).join(", ") + (j.promote_when_checks_pass ? ". Promotes on its own when the checks before the switch pass." : ".")
        : "No checks: the switch waits only for the new version to be ready" + (j.auto_promotion_seconds ? "." : " and for Promote.");
      const rows = j.check_runs.slice(0, 6).flatMap((r) => r.results.map((res) => h("tr", { class: r.phase === "Failed" || r.phase === "Error" ? "run-failed" : null },
        h("td", {}, timeEl(r.started_at)), h("td", {}, r.when === "before" ? "Before the switch" : "After the switch"),
        h("td", {}, h("code", {}, r.revision)), h("th", { scope: "row" }, res.check),
        h("td", {}, res.phase + ` (${res.passed} of ${res.count} passed)`),
        h("td", {}, h("ul", { class: "measurements" }, res.measurements.map((m) => h("li", { class: m.passed ? "m-pass" : "m-fail" },
          m.passed ? "✓ " : "✗ ", h("code", {}, m.value || m.phase), m.message ? " " + m.message : "", m.finished_at ? [" · ", timeEl(m.finished_at)] : "")))))));
      $("#check-runs-body").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No check runs yet."))]));
      if (editor && !$("#checks-form").hidden) return; // do not redraw under the user's hands
      $("#checks-edit") && ($("#checks-edit").hidden = j.state !== "active");
    }

    if ($("#checks-edit")) {
      $("#checks-edit").addEventListener("click", () => {
        editor = checksEditor($("#checks-editor"), job.checks);
        $("#checks-form").elements.promote_when_checks_pass.checked = job.promote_when_checks_pass;
        showError($("#checks-error"), "");
        $("#checks-form").hidden = false;
      });
      $("#checks-cancel").addEventListener("click", () => { $("#checks-form").hidden = true; });
      $("#checks-form").addEventListener("submit", async (ev) => {
        ev.preventDefault();
        editor.clear();
        showError($("#checks-error"), "");
        const f = $("#checks-form");
        try {
          job = await api("PUT", jobPath(name) + "/checks", { checks: editor.value(), promote_when_checks_pass: f.elements.promote_when_checks_pass.checked });
          f.hidden = true;
          render(job);
          for (const w of job.warnings || []) toast(w);
        } catch (e) {
          const problems = e.fields && e.fields.length ? e.fields : e.field ? [{ field: e.field, message: e.message }] : [];
          const first = editor.errors(problems);
          if (first) first.focus();
          else showError($("#checks-error"), e.message);
        }
      });
    }

    function renderVersions(j) {
      const healthyish = j.phase === "Healthy" || j.phase === "Degraded";
      // The Roll back button sits under the revision number: a column of its
      // own was pushed out of sight by the pod names on a 1280-pixel screen.
      const rows = j.versions.map((v) => h("tr", { dataset: { revision: v.revision } },
        h("th", { scope: "row" }, h("span", { class: "revision" }, "#" + v.revision),
          canEdit && healthyish && !v.active && v.images.length
            ? h("button", { type: "button", class: "btn btn-small rollback", "aria-label": "Roll back to revision " + v.revision, onclick: () => rollback(v) }, "Roll back")
            : null),
        h("td", {}, images(v.images)),
        h("td", {}, v.active && h("span", { class: "mark mark-active" }, "Active"),
          v.preview && !v.active && h("span", { class: "mark mark-preview" }, "Preview"),
          v.stable && h("span", { class: "mark mark-stable" }, "Stable"),
          v.scale_down_at && h("span", { class: "mark mark-standby" }, "Standby")),
        h("td", {}, h("span", { class: v.ready >= v.desired && v.desired > 0 ? "pods pods-ok" : "pods" }, `${v.ready}/${v.desired}`), podList(v))));
      $("#versions-body").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 4, class: "muted" }, j.stale ? "The versions can't be read while the cluster is unreachable." : "No versions yet."))]));
      renderStandby(j);
    }

    function renderStandby(j) {
      const standby = j && j.versions.find((v) => v.scale_down_at && !v.active);
      const el = $("#standby");
      if (standby) {
        const left = Math.max(0, Math.round((new Date(standby.scale_down_at) - Date.now()) / 1000));
        el.textContent = `Revision #${standby.revision} stays on standby for ${left} s more: rolling back to it until then is instant.`;
        el.hidden = false;
      } else el.hidden = true;
    }
    ticking.push(() => renderStandby(job));

    // podList shows a version's pods: a dot (ready, starting, failing), the
    // name and what kubectl get pods would say; at most 12, then a count.
    function podList(v) {
      const pods = v.pods || [];
      if (!pods.length) return null;
      const shown = pods.slice(0, 12).map((p) => {
        const status = p.deleting ? "Terminating" : p.reason && !p.ready ? p.phase + ": " + p.reason : p.phase;
        const kind = p.deleting ? "gone" : p.ready ? "ready" : p.reason || p.restarts > 0 ? "bad" : "wait";
        const text = `${p.name}: ${p.ready ? "ready" : "not ready"}, ${status}` + (p.restarts ? `, ${p.restarts} restarts` : "") + (p.node ? ", on " + p.node : "");
        return h("li", { class: "pod pod-" + kind, title: text },
          h("span", { class: "pod-dot", "aria-hidden": "true" }), h("span", { class: "sr-only" }, p.ready ? "Ready: " : "Not ready: "),
          h("code", {}, p.name), " ", h("span", { class: "muted" }, status + (p.restarts ? ` (${p.restarts}×)` : "")));
      });
      if (pods.length > 12) shown.push(h("li", { class: "muted" }, `and ${pods.length - 12} more`));
      return h("ul", { class: "podlist", "aria-label": "Pods of revision " + v.revision }, shown);
    }

    function renderActions(j) {
      if (!canEdit) return;
      const active = j.state === "active" || j.state === "" || j.state === undefined;
      const p = j.phase;
      const show = {
        "#act-deploy": active && ["Healthy", "Degraded", "Aborted"].includes(p),
        "#act-promote": active && ["Awaiting promotion", "Paused", "Progressing"].includes(p),
        "#act-promote-full": active && ["Awaiting promotion", "Paused", "Progressing", "Verifying"].includes(p),
        // A Degraded job has something to abort only while a version other
        // than the stable one is the newest (Argo refuses otherwise).
        "#act-abort": active && (IN_FLIGHT.includes(p) || (p === "Degraded" && j.versions.length > 0 && !j.versions[0].stable)),
        "#act-retry": active && p === "Aborted",
        "#act-delete": active && !IN_FLIGHT.includes(p) && p !== "Deleting" && p !== "Deleted",
      };
      for (const [sel, on] of Object.entries(show)) $(sel).hidden = !on;
      if (!show["#act-deploy"]) $("#deploy-form").hidden = true;
    }

    function renderTimeline(items) {
      const ol = $("#timeline");
      if (!items.length) { ol.replaceChildren(h("li", { class: "muted" }, "Nothing has happened yet.")); return; }
      ol.replaceChildren(...items.slice(0, 50).map((e) => h("li", { class: "tl tl-" + (e.type === "Warning" || e.outcome === "failure" || e.outcome === "denied" ? "warn" : e.source) },
        timeEl(e.time), " ",
        h("strong", {}, e.action), e.actor ? [" by ", e.actor] : "", e.outcome && e.outcome !== "success" ? " (" + e.outcome + ")" : "",
        e.message ? [" — ", e.message] : "")));
    }

    // operate runs a job operation; errors go to errEl (the banner by default).
    async function operate(op, data, label, errEl) {
      errEl = errEl || $("#job-error");
      showError(errEl, "");
      const btns = document.querySelectorAll("#job-actions button, #versions-body button");
      btns.forEach((b) => (b.disabled = true));
      try {
        const out = await api("POST", jobPath(name) + "/" + op, Object.assign({ if_phase: job && job.phase }, data || {}));
        job = out;
        render(out);
        toast(label);
        tick();
        return true;
      } catch (e) {
        showError(errEl, e.message);
        return false;
      } finally {
        btns.forEach((b) => (b.disabled = false));
      }
    }

    async function rollback(v) {
      // On standby its pods still run, so traffic switches back at once;
      // otherwise it starts again beside the current version.
      const standby = v.scale_down_at && new Date(v.scale_down_at) > Date.now();
      const ok = await confirmAction("Roll back to revision #" + v.revision + "?",
        "Revision #" + v.revision + " (" + v.images.join(", ") + ") " + (standby
          ? "is still on standby: traffic switches back to it at once."
          : "comes back as a new blue-green round: its pods start beside the current version and it takes traffic when promoted."), "Roll back");
      if (ok) operate("rollback", { revision: v.revision }, "Rolling back to revision #" + v.revision);
    }

    if (canEdit) {
      const dform = $("#deploy-form");
      $("#act-deploy").addEventListener("click", () => {
        const current = job && job.versions.length ? job.versions[0].images : [];
        const first = job && job.versions.length && job.versions[0].containers && job.versions[0].containers[0];
        if (!$("#deploy-container").value) $("#deploy-container").value = first ? first.name : job.deployment;
        dform.hidden = false;
        $("#deploy-image").value = current[0] || "";
        $("#deploy-image").focus();
        $("#deploy-image").select();
      });
      $("#deploy-cancel").addEventListener("click", () => { dform.hidden = true; showError($("#deploy-error"), ""); });
      dform.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const image = $("#deploy-image").value.trim();
        if (!image) { showError($("#deploy-error"), "Enter the image of the new version."); return; }
        const container = $("#deploy-container").value.trim();
        if (!container) { showError($("#deploy-error"), "Enter the name of the container to update."); return; }
        if (await operate("deploy", { images: { [container]: image } }, "Deploying " + image, $("#deploy-error"))) dform.hidden = true;
      });
      $("#act-promote").addEventListener("click", () => operate("promote", {}, "Promoting: traffic moves to the new version"));
      $("#act-promote-full").addEventListener("click", async () => {
        if (await confirmAction("Promote fully?", "Skips every remaining pause and analysis: the new version takes all traffic now.", "Promote fully"))
          operate("promote", { full: true }, "Promoting fully");
      });
      $("#act-abort").addEventListener("click", async () => {
        if (await confirmAction("Abort this release?", "Traffic stays on (or returns to) the stable version and the new version is scaled down.", "Abort"))
          operate("abort", {}, "Aborted: traffic is on the stable version");
      });
      $("#act-retry").addEventListener("click", () => operate("retry", {}, "Retrying the release"));
      $("#act-delete").addEventListener("click", async () => {
        if (!(await confirmAction("Delete job " + name + "?", "The application is handed back as a plain Deployment + Service on its current version. The job's history stays in the audit log.", "Delete"))) return;
        try {
          await api("DELETE", jobPath(name));
          location.href = "/w/" + encodeURIComponent(ws) + "/jobs";
        } catch (e) { showError($("#job-error"), e.message); }
      });
    }

    const tick = live(load, name);
  }

  // ---- clusters ------------------------------------------------------------

  // reachability says whether the last probe reached the cluster, and why not.
  function reachability(st) {
    if (!st.probed_at) return h("span", { class: "status status-muted" }, "Not probed yet");
    if (st.reachable) return h("span", { class: "status status-ok" }, "Reachable");
    return [h("span", { class: "status status-bad" }, "Unreachable"), st.error ? h("div", { class: "reason muted" }, st.error) : null];
  }

  // installed says what a probe found about a component: only a cluster that
  // answered can say it lacks one; otherwise it is unknown, and why.
  function installed(st, yes, label) {
    if (st.reachable) return yes ? label : h("span", { class: "muted" }, "Not installed");
    return [h("span", { class: "status status-muted" }, "Unknown"),
      h("div", { class: "reason muted" }, st.probed_at ? "cluster unreachable" : "not probed yet")];
  }

  function initClusters() {
    async function load() {
      const out = await api("GET", "/clusters");
      $("#clusters-body").replaceChildren(...(out.items.length ? out.items.map((c) => h("tr", { dataset: { cluster: c.name } },
        h("th", { scope: "row" }, c.name),
        h("td", {}, reachability(c.status)),
        h("td", {}, c.status.kubernetes_version || "—"),
        h("td", {}, installed(c.status, c.status.argo_installed, "Installed " + (c.status.argo_version || "")),
          c.argo_instance_id ? h("div", { class: "muted" }, "instance " + c.argo_instance_id) : null),
        h("td", {}, installed(c.status, c.status.istio_installed, "Installed")),
        h("td", {}, c.status.probed_at ? timeEl(c.status.probed_at) : "never"),
        h("td", {}, h("button", { type: "button", class: "btn btn-small", "aria-label": "Probe " + c.name, onclick: async () => { await api("POST", "/clusters/" + encodeURIComponent(c.name) + "/probe").catch((e) => toast(e.message)); load(); } }, "Probe"))))
        : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No cluster registered yet. Register one above."))]));
    }
    $("#cluster-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      showError($("#cluster-form-error"), "");
      try {
        await api("POST", "/clusters", { name: f.name.value.trim(), kubeconfig: f.kubeconfig.value, argo_instance_id: f.argo_instance_id.value.trim() });
        f.reset();
        toast("Cluster registered");
        load();
      } catch (e) { showError($("#cluster-form-error"), e.message); }
    });
    load().catch((e) => toast(e.message));
  }

  // ---- workspaces ------------------------------------------------------------

  const ROLES = ["viewer", "editor", "admin"];

  function roleSelect(id, label, value) {
    return h("select", { id, "aria-label": label }, ROLES.map((r) => h("option", { value: r, selected: r === value }, r)));
  }

  async function initWorkspaces() {
    const platformAdmin = body.dataset.platformAdmin === "true";
    const root = $("#workspaces");
    const clusters = platformAdmin ? (await api("GET", "/clusters").catch(() => ({ items: [] }))).items : [];
    if (platformAdmin) {
      const form = h("form", { class: "card form", id: "ws-create" },
        h("h2", {}, "Create a workspace"),
        h("div", { class: "row" },
          h("div", { class: "field" }, h("label", { for: "ws-name" }, "Name"), h("input", { id: "ws-name", required: true, spellcheck: "false" })),
          h("div", { class: "field grow" }, h("label", { for: "ws-desc" }, "Description"), h("input", { id: "ws-desc" }))),
        h("p", { class: "error", id: "ws-create-error", role: "alert", hidden: true }),
        h("div", { class: "actions" }, h("button", { class: "btn btn-primary", type: "submit" }, "Create workspace")));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          await api("POST", "/workspaces", { name: $("#ws-name").value.trim(), description: $("#ws-desc").value.trim() });
          location.reload();
        } catch (e) { showError($("#ws-create-error"), e.message); }
      });
      root.before(form);
    }
    const out = await api("GET", "/workspaces");
    for (const w of out.items) {
      const sec = h("section", { class: "card", "aria-labelledby": "ws-" + w.name });
      root.append(sec);
      renderWorkspace(sec, w, platformAdmin, clusters);
    }
  }

  async function renderWorkspace(sec, w, platformAdmin, clusters) {
    const p = "/workspaces/" + encodeURIComponent(w.name);
    const manage = platformAdmin || w.role === "admin";
    const redo = () => renderWorkspace(sec, w, platformAdmin, clusters);
    const act = (fn) => async () => { try { await fn(); redo(); } catch (e) { toast(e.message); } };
    const [m, b] = await Promise.all([api("GET", p + "/members"), api("GET", p + "/bindings")]);
    const members = h("div", {}, h("h3", {}, "Members"),
      h("ul", { class: "plain" }, m.items.map((x) => h("li", {}, h("span", { class: "member" }, x.username), " ",
        manage ? [roleSelect(`role-${w.name}-${x.username}`, "Role of " + x.username, x.role),
          h("button", { type: "button", class: "btn btn-small btn-danger-quiet", "aria-label": "Remove " + x.username,
            onclick: act(async () => { if (await confirmAction("Remove " + x.username + "?", x.username + " loses access to workspace " + w.name + ".", "Remove")) await api("DELETE", p + "/members/" + encodeURIComponent(x.username)); }) }, "Remove")]
          : h("span", { class: "role" }, x.role)))));
    if (manage) {
      for (const sel of members.querySelectorAll("select")) {
        const user = sel.id.slice(`role-${w.name}-`.length);
        sel.addEventListener("change", act(() => api("PUT", p + "/members/" + encodeURIComponent(user), { role: sel.value })));
      }
      const user = h("input", { id: "add-user-" + w.name, placeholder: "username", spellcheck: "false", required: true });
      const role = roleSelect("add-role-" + w.name, "Role", "viewer");
      const form = h("form", { class: "row compact" },
        h("label", { class: "sr-only", for: user.id }, "Username to add"), user, role,
        h("button", { class: "btn btn-small", type: "submit" }, "Add member"));
      form.addEventListener("submit", (ev) => { ev.preventDefault(); act(() => api("PUT", p + "/members/" + encodeURIComponent(user.value.trim()), { role: role.value }))(); });
      members.append(form);
    }
    const bindings = h("div", {}, h("h3", {}, "Cluster namespaces"),
      b.items.length ? h("ul", { class: "plain" }, b.items.map((x) => h("li", {}, h("code", {}, x.cluster + " / " + x.namespace), " ",
        platformAdmin ? h("button", { type: "button", class: "btn btn-small btn-danger-quiet", "aria-label": `Unbind ${x.cluster} / ${x.namespace}`,
          onclick: act(async () => { if (await confirmAction("Unbind " + x.cluster + " / " + x.namespace + "?", "Workspace " + w.name + " can no longer create jobs there.", "Unbind")) await api("DELETE", p + "/bindings/" + x.id); }) }, "Unbind") : null)))
        : h("p", { class: "muted" }, "None bound yet: a platform administrator binds cluster namespaces to the workspace."));
    if (platformAdmin && clusters.length) {
      const cl = h("select", { id: "bind-cluster-" + w.name, "aria-label": "Cluster" }, clusters.map((c) => h("option", { value: c.name }, c.name)));
      const ns = h("input", { id: "bind-ns-" + w.name, placeholder: "namespace", spellcheck: "false", required: true, "aria-label": "Namespace" });
      const form = h("form", { class: "row compact" }, cl, ns, h("button", { class: "btn btn-small", type: "submit" }, "Bind"));
      form.addEventListener("submit", (ev) => { ev.preventDefault(); act(() => api("POST", p + "/bindings", { cluster: cl.value, namespace: ns.value.trim() }))(); });
      bindings.append(form);
    }
    // replaceChildren writes a null as the text "null": leave it out instead.
    sec.replaceChildren(...[
      h("h2", { id: "ws-" + w.name }, h("a", { href: "/w/" + encodeURIComponent(w.name) + "/jobs" }, w.name),
        w.role ? h("span", { class: "role" }, w.role) : null),
      w.description ? h("p", { class: "muted" }, w.description) : null,
      h("div", { class: "grid" }, members, bindings)].filter(Boolean));
  }

  // ---- users ---------------------------------------------------------------------

  function initUsers() {
    const form = $("#user-form"), search = $("#user-search");
    const me = ($("#current-user strong") || {}).textContent || "";
    let users = [], target = null;
    function render() {
      const q = search.value.trim().toLowerCase();
      const shown = users.filter((u) => !q || u.username.toLowerCase().includes(q));
      $("#users-body").replaceChildren(...(shown.length ? shown.map((u) => h("tr", { dataset: { user: u.username, disabled: String(u.disabled) } },
        h("th", { scope: "row" }, u.username),
        h("td", {}, u.platform_admin ? h("span", { class: "mark mark-active" }, "Platform admin") : h("span", { class: "muted" }, "—")),
        h("td", {}, u.disabled ? h("span", { class: "status status-bad" }, h("span", { class: "dot", "aria-hidden": "true" }), "Disabled")
          : h("span", { class: "status status-ok" }, h("span", { class: "dot", "aria-hidden": "true" }), "Enabled")),
        h("td", {}, timeEl(u.created_at)),
        h("td", { class: "row-actions" }, userActions(u))))
        : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, q ? "No user matches “" + search.value.trim() + "”." : "No users yet."))]));
    }
    // userActions: a platform admin can't disable, demote or delete themselves
    // (the server refuses it too), so those buttons are not offered on their own row.
    function userActions(u) {
      const self = u.username === me, btn = (label, aria, fn, cls) =>
        h("button", { type: "button", class: "btn btn-small" + (cls ? " " + cls : ""), "aria-label": aria + " " + u.username, onclick: fn }, label);
      return [
        btn("Set password", "Set the password of", () => askPassword(u)),
        btn("Tokens", "API tokens of", () => showTokens(u)),
        self ? null : u.platform_admin
          ? btn("Remove platform admin", "Remove platform admin from", change(u, "PATCH", "", { platform_admin: false }, u.username + " is no longer a platform admin"))
          : btn("Make platform admin", "Make platform admin:", change(u, "PATCH", "", { platform_admin: true }, u.username + " is now a platform admin")),
        self ? null : u.disabled
          ? btn("Enable", "Enable", change(u, "POST", "/enable", undefined, u.username + " can sign in again"))
          : btn("Disable", "Disable", async () => {
            if (await confirmAction("Disable " + u.username + "?", u.username + " is signed out at once, their API tokens stop working and they can't sign in until enabled again.", "Disable"))
              change(u, "POST", "/disable", undefined, u.username + " is disabled")();
          }, "btn-danger-quiet"),
        self ? null : btn("Delete", "Delete", async () => {
          if (await confirmAction("Delete " + u.username + "?", "Their sessions, API tokens and workspace memberships go; the audit log keeps their name. This can't be undone.", "Delete"))
            change(u, "DELETE", "", undefined, u.username + " deleted")();
        }, "btn-danger-quiet"),
      ];
    }
    function change(u, method, suffix, data, done) {
      return async () => {
        try {
          await api(method, "/users/" + encodeURIComponent(u.username) + suffix, data);
          toast(done);
        } catch (e) { toast(e.message); }
        load().catch((e) => toast(e.message));
      };
    }
    const tdlg = $("#tokens-dialog");
    async function showTokens(u) {
      $("#tokens-title").textContent = "API tokens of " + u.username;
      showError($("#tokens-error"), "");
      try {
        const ts = (await api("GET", "/users/" + encodeURIComponent(u.username) + "/tokens")).items;
        $("#tokens-body").replaceChildren(...(ts.length ? ts.map((t) => h("tr", { dataset: { token: t.id } },
          h("th", { scope: "row" }, t.name),
          h("td", {}, h("code", {}, t.prefix + "…")),
          h("td", {}, t.last_used_at ? timeEl(t.last_used_at) : h("span", { class: "muted" }, "never")),
          h("td", {}, t.revoked_at ? "Revoked" : t.expires_at && new Date(t.expires_at) <= new Date() ? "Expired" : "Live"),
          h("td", {}, t.revoked_at ? null : h("button", { type: "button", class: "btn btn-small btn-danger-quiet", "aria-label": "Revoke token " + t.name,
            onclick: async () => {
              try {
                await api("DELETE", "/users/" + encodeURIComponent(u.username) + "/tokens/" + t.id);
                toast("Token " + t.name + " of " + u.username + " revoked");
                showTokens(u);
              } catch (e) { showError($("#tokens-error"), e.message); }
            } }, "Revoke"))))
          : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, u.username + " has no API tokens."))]));
        if (!tdlg.open) tdlg.showModal();
      } catch (e) { toast(e.message); }
    }
    $("#tokens-close").addEventListener("click", () => tdlg.close());
    async function load() {
      users = (await api("GET", "/users")).items.sort((a, b) => a.username.localeCompare(b.username));
      render();
    }
    search.addEventListener("input", render);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      for (const id of ["#u-name-error", "#u-password-error", "#user-form-error"]) showError($(id), "");
      for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      const username = form.username.value.trim();
      try {
        await api("POST", "/users", { username, password: form.password.value, platform_admin: form.platform_admin.checked });
        form.reset();
        toast("User " + username + " added: give them a role on the Workspaces page");
        load();
      } catch (e) {
        const el = e.field === "username" ? $("#u-name-error") : e.field === "password" ? $("#u-password-error") : $("#user-form-error");
        showError(el, e.message);
        if (e.field && form.elements[e.field]) { form.elements[e.field].setAttribute("aria-invalid", "true"); form.elements[e.field].focus(); }
      }
    });
    const dlg = $("#password-dialog");
    function askPassword(u) {
      target = u;
      $("#password-title").textContent = "Set a new password for " + u.username;
      $("#new-password").value = "";
      showError($("#password-error"), "");
      dlg.showModal();
      $("#new-password").focus();
    }
    $("#password-cancel").addEventListener("click", () => dlg.close());
    $("#password-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PUT", "/users/" + target.id + "/password", { password: $("#new-password").value });
        dlg.close();
        toast("Password of " + target.username + " changed; they are signed out everywhere");
      } catch (e) { showError($("#password-error"), e.message); }
    });
    load().catch((e) => toast(e.message));
  }

  // ---- group bindings --------------------------------------------------------------

  function initGroupBindings() {
    const form = $("#gb-form");
    const roleNames = { admin: "Workspace Admin", editor: "Workspace Editor", viewer: "Workspace Viewer", "platform-admin": "Platform Admin" };
    const syncWorkspace = () => { form.workspace.disabled = form.role.value === "platform-admin"; };
    form.role.addEventListener("change", syncWorkspace);
    syncWorkspace();
    async function load() {
      const items = (await api("GET", "/group-bindings")).items;
      $("#gb-body").replaceChildren(...(items.length ? items.map((b) => h("tr", { dataset: { group: b.group } },
        h("th", { scope: "row" }, b.group),
        h("td", {}, roleNames[b.role] || b.role),
        h("td", {}, b.workspace || h("span", { class: "muted" }, "every workspace")),
        h("td", {}, timeEl(b.created_at)),
        h("td", {}, h("button", { type: "button", class: "btn btn-small", "aria-label": "Remove the binding of " + b.group, onclick: async () => {
          try { await api("DELETE", "/group-bindings/" + b.id); toast("Binding of " + b.group + " removed"); load(); } catch (e) { toast(e.message); }
        } }, "Remove"))))
        : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No group bindings yet."))]));
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      for (const id of ["#gb-group-error", "#gb-workspace-error", "#gb-form-error"]) showError($(id), "");
      const req = { group: form.group.value.trim(), role: form.role.value };
      if (req.role !== "platform-admin") req.workspace = form.workspace.value;
      try {
        await api("POST", "/group-bindings", req);
        form.group.value = "";
        toast("Group " + req.group + " bound");
        load();
      } catch (e) {
        showError(e.field === "group" ? $("#gb-group-error") : e.field === "workspace" ? $("#gb-workspace-error") : $("#gb-form-error"), e.message);
      }
    });
    load().catch((e) => toast(e.message));
  }

  // ---- notifications ---------------------------------------------------------------

  function initNotifications() {
    const form = $("#nt-form"), base = wsPath() + "/notifications";
    const formats = { json: "Generic JSON", slack: "Slack" };
    async function showLog(n) {
      const items = (await api("GET", base + "/" + n.id + "/deliveries")).items;
      $("#nt-log-title").textContent = "Delivery log · " + n.url;
      $("#nt-log-body").replaceChildren(...(items.length ? items.map((a) => h("tr", { dataset: { outcome: a.outcome } },
        h("td", {}, timeEl(a.attempted_at)),
        h("td", {}, h("code", {}, a.event)),
        h("td", {}, a.job),
        h("td", {}, String(a.attempt)),
        h("td", {}, h("span", { class: "status " + (a.outcome === "delivered" ? "status-ok" : a.outcome === "retrying" ? "status-wait" : "status-bad") },
          h("span", { class: "dot", "aria-hidden": "true" }), a.outcome)),
        h("td", {}, a.status_code ? String(a.status_code) : h("span", { class: "muted" }, "no answer")),
        h("td", { class: "detail" }, a.error || "")))
        : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "Nothing sent yet."))]));
      $("#nt-log").hidden = false;
    }
    // sendTest sends one signed test event now; the server answers with its first attempt.
    async function sendTest(n, btn) {
      btn.disabled = true;
      try {
        const a = await api("POST", base + "/" + n.id + "/test");
        toast(a.outcome === "delivered" ? "Test delivered: HTTP " + a.status_code
          : a.outcome === "pending" ? "Test queued, not tried yet: see the delivery log"
          : "Test failed (" + a.outcome + "): " + (a.error || "no answer"));
        await showLog(n);
      } catch (e) { toast(e.message); } finally { btn.disabled = false; }
    }
    async function load() {
      const items = (await api("GET", base)).items;
      $("#nt-body").replaceChildren(...(items.length ? items.map((n) => h("tr", { dataset: { id: n.id } },
        h("th", { scope: "row", class: "detail" }, n.url),
        h("td", {}, n.events.join(", ")),
        h("td", {}, formats[n.format] || n.format),
        h("td", {}, timeEl(n.created_at)),
        h("td", {},
          h("button", { type: "button", class: "btn btn-small", "aria-label": "Delivery log of " + n.url, onclick: () => showLog(n).catch((e) => toast(e.message)) }, "Deliveries"),
          " ",
          h("button", { type: "button", class: "btn btn-small", "aria-label": "Send a test event to " + n.url, onclick: (ev) => sendTest(n, ev.currentTarget) }, "Send test"),
          " ",
          h("button", { type: "button", class: "btn btn-small", "aria-label": "Edit the webhook " + n.url, onclick: () => edit(n) }, "Edit"),
          " ",
          h("button", { type: "button", class: "btn btn-small", "aria-label": "New secret for " + n.url, onclick: () => rotate(n) }, "New secret"),
          " ",
          h("button", { type: "button", class: "btn btn-small", "aria-label": "Remove the webhook " + n.url, onclick: async () => {
            try { await api("DELETE", base + "/" + n.id); toast("Webhook removed"); $("#nt-log").hidden = true; load(); } catch (e) { toast(e.message); }
          } }, "Remove"))))
        : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No webhooks yet."))]));
    }
    // The form adds a webhook, or edits one (editing) after Edit.
    let editing = null;
    function edit(n) {
      editing = n;
      for (const id of ["#nt-url-error", "#nt-events-error", "#nt-form-error"]) showError($(id), "");
      form.url.value = n.url;
      form.format.value = n.format;
      for (const c of form.querySelectorAll("input[name=events]")) c.checked = n.events.includes(c.value);
      $("#nt-form-title").textContent = "Edit webhook " + n.id;
      $("#nt-submit").textContent = "Save";
      $("#nt-cancel").hidden = false;
      form.url.focus();
    }
    function endEdit() {
      editing = null;
      form.url.value = "";
      for (const c of form.querySelectorAll("input[name=events]")) c.checked = true;
      $("#nt-form-title").textContent = "Add a webhook";
      $("#nt-submit").textContent = "Add webhook";
      $("#nt-cancel").hidden = true;
    }
    $("#nt-cancel").addEventListener("click", endEdit);
    async function rotate(n) {
      if (!await confirmAction("New signing secret?", "The receiver of " + n.url + " must be given the new secret: every delivery from now on is signed with it.", "New secret")) return;
      try {
        const out = await api("POST", base + "/" + n.id + "/rotate-secret");
        $("#nt-secret-value").textContent = out.secret;
        $("#nt-secret").hidden = false;
        toast("New secret for webhook " + n.id);
      } catch (e) { toast(e.message); }
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      for (const id of ["#nt-url-error", "#nt-events-error", "#nt-form-error"]) showError($(id), "");
      const events = [...form.querySelectorAll("input[name=events]:checked")].map((c) => c.value);
      if (!events.length) { showError($("#nt-events-error"), "Pick at least one event."); return; }
      const req = { url: form.url.value.trim(), format: form.format.value, events };
      try {
        if (editing) {
          await api("PATCH", base + "/" + editing.id, req);
          toast("Webhook " + editing.id + " saved");
          endEdit();
          load();
          return;
        }
        const n = await api("POST", base, req);
        form.url.value = "";
        $("#nt-secret-value").textContent = n.secret;
        $("#nt-secret").hidden = false;
        toast("Webhook added");
        load();
      } catch (e) {
        showError(e.field === "url" ? $("#nt-url-error") : e.field === "events" ? $("#nt-events-error") : $("#nt-form-error"), e.message);
      }
    });
    load().catch((e) => toast(e.message));
  }

  // ---- audit log -------------------------------------------------------------------

  function initAudit() {
    const form = $("#audit-filters"), global = !ws, PAGE = 50;
    const base = global ? "/audit" : wsPath() + "/audit";
    const keys = ["actor", "action", "outcome", "target"];
    let names = {}, last = 0;
    for (const k of keys) form.elements[k].value = new URLSearchParams(location.search).get(k) || "";
    function query(before) {
      const q = new URLSearchParams();
      for (const k of keys) if (form.elements[k].value.trim()) q.set(k, form.elements[k].value.trim());
      history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
      q.set("limit", PAGE);
      if (before) q.set("before", before);
      return q;
    }
    function row(e) {
      const cls = e.outcome === "success" ? "status-ok" : e.outcome === "denied" ? "status-wait" : "status-bad";
      return h("tr", { dataset: { id: e.id } },
        h("td", {}, timeEl(e.time)),
        h("td", {}, e.actor || h("span", { class: "muted" }, "—")),
        global ? h("td", {}, e.workspace_id ? names[e.workspace_id] || "#" + e.workspace_id : h("span", { class: "muted" }, "platform")) : null,
        h("td", {}, h("code", {}, e.action)),
        h("td", {}, e.target),
        h("td", {}, h("span", { class: "status " + cls }, h("span", { class: "dot", "aria-hidden": "true" }), e.outcome)),
        h("td", { class: "detail" }, e.detail));
    }
    async function load(more) {
      const out = await api("GET", base + "?" + query(more ? last : 0));
      const items = Array.isArray(out) ? out : out.items || [];
      const tbody = $("#audit-body");
      const rows = items.map(row);
      if (more) tbody.append(...rows);
      else tbody.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" },
        keys.some((k) => form.elements[k].value) ? "No entry matches these filters." : "Nothing has happened here yet."))]));
      if (items.length) last = items[items.length - 1].id;
      $("#audit-more").hidden = items.length < PAGE;
    }
    let debounce;
    form.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(() => load(false).catch((e) => toast(e.message)), 250); });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    $("#audit-clear").addEventListener("click", () => { form.reset(); load(false).catch((e) => toast(e.message)); });
    $("#audit-more").addEventListener("click", () => load(true).catch((e) => toast(e.message)));
    (async () => {
      if (global) for (const w of (await api("GET", "/workspaces").catch(() => ({ items: [] }))).items) names[w.id] = w.name;
      await load(false);
    })().catch((e) => toast(e.message));
  }

  // ---- start -------------------------------------------------------------------

  const pages = { login: initLogin, jobs: initJobs, job_new: initJobNew, job: initJob, clusters: initClusters, workspaces: initWorkspaces, users: initUsers, audit: initAudit, group_bindings: initGroupBindings, notifications: initNotifications };
  document.addEventListener("DOMContentLoaded", () => {
    if (body.dataset.page !== "login") initLayout();
    const init = pages[body.dataset.page];
    if (init) Promise.resolve(init()).catch((e) => console.warn(e));
  });
})();
