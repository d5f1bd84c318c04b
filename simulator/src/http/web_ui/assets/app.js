// tm-simulator UI: live tables on /activity and live counters on /, by polling the control plane.
"use strict";
(function () {
  const KEEP = 1000;
  const text = (v) => (v === undefined || v === null ? "" : String(v));
  // The same classes as web_ui::activity::row_class.
  function classify(e) {
    if (e.status === 0) return "pending";
    if (e.status === 429 || /throttl/i.test(e.code || "")) return "throttle";
    if (/^stored, then/.test(e.fault || "")) return "landed";
    if (e.fault) return "fault";
    if (/QuotaExceeded/.test(e.code || "")) return "full";
    if (e.status >= 500) return "fault";
    if (e.status >= 400) return "refused";
    return "";
  }
  function upsert(tbody, e, cells) {
    let tr = tbody.querySelector('tr[data-seq="' + e.seq + '"]');
    const fresh = !tr;
    if (fresh) {
      tr = document.createElement("tr");
      tr.dataset.seq = e.seq;
    } else {
      tr.textContent = "";
    }
    tr.className = classify(e);
    cells.forEach(([value, num]) => {
      const td = document.createElement("td");
      td.textContent = text(value);
      if (num) td.className = "num";
      tr.appendChild(td);
    });
    if (fresh) {
      // Newest first: insert before the first row with a smaller seq.
      let before = tbody.firstElementChild;
      while (before && Number(before.dataset.seq) > e.seq) before = before.nextElementSibling;
      tbody.insertBefore(tr, before);
      while (tbody.rows.length > KEEP) tbody.deleteRow(-1);
    }
  }
  const perMailbox = new Map();
  function countMailbox(r) {
    if (!r.mailbox || r.status === 0) return;
    const m = perMailbox.get(r.mailbox) || { requests: 0, last: 0, max: 0, throttled: 0, seen: new Set() };
    if (m.seen.has(r.seq)) return;
    m.seen.add(r.seq);
    m.requests += 1;
    m.last = r.in_flight || 0;
    m.max = Math.max(m.max, r.in_flight || 0);
    if (r.status === 429) m.throttled += 1;
    perMailbox.set(r.mailbox, m);
  }
  function drawMailboxes(tbody) {
    tbody.textContent = "";
    [...perMailbox.keys()].sort().forEach((k) => {
      const m = perMailbox.get(k);
      const tr = document.createElement("tr");
      if (m.throttled) tr.className = "throttle";
      [[k], [m.requests, 1], [m.last, 1], [m.max, 1], [m.throttled, 1]].forEach(([v, num]) => {
        const td = document.createElement("td");
        td.textContent = text(v);
        if (num) td.className = "num";
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }
  async function json(url) {
    const r = await fetch(url, { cache: "no-store" });
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }
  function activity() {
    const requests = document.getElementById("requests");
    const journal = document.getElementById("journal");
    if (!requests || !journal) return;
    const status = document.getElementById("activity-status");
    const mailboxes = document.querySelector("#mailboxes tbody");
    let reqAfter = Number(requests.dataset.after || 0);
    let jrAfter = Number(journal.dataset.after || 0);
    async function tick() {
      try {
        const r = await json("/sim/requests?after=" + reqAfter);
        let last = reqAfter;
        let firstPending = null;
        r.requests.forEach((e) => {
          const ms = e.status === 0 ? "" : ((e.end_us - e.start_us) / 1000).toFixed(1);
          upsert(requests.tBodies[0], e, [[e.seq, 1], [e.api], [e.op], [e.request], [e.mailbox], [e.in_flight, 1], [e.status === 0 ? "…" : e.status, 1], [ms, 1]]);
          countMailbox(e);
          last = Math.max(last, e.seq);
          if (e.status === 0 && firstPending === null) firstPending = e.seq;
        });
        reqAfter = firstPending === null ? last : firstPending - 1;
        drawMailboxes(mailboxes);
        const j = await json("/sim/journal?after=" + jrAfter);
        j.entries.forEach((e) => {
          upsert(journal.tBodies[0], e, [[e.seq, 1], [e.api], [e.op], [e.request], [e.status, 1], [e.code], [e.mailbox], [e.folder], [e.item_id], [e.fault]]);
          jrAfter = Math.max(jrAfter, e.seq);
        });
        status.textContent = "Updated " + new Date().toLocaleTimeString() + " · " + j.total + " journal entries, " + last + " requests";
      } catch (err) {
        status.textContent = "Not updating: " + err.message;
      }
      setTimeout(tick, 1000);
    }
    tick();
  }
  function live() {
    const arrived = document.querySelector("[data-live-arrived]");
    if (!arrived) return;
    const now = document.querySelector("[data-live-now]");
    async function tick() {
      try {
        const s = await json("/sim/scenario");
        if (s.live) {
          arrived.textContent = s.live.arrived;
          if (now) now.textContent = s.live.now;
        }
      } catch (_) {}
      setTimeout(tick, 2000);
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", () => {
    activity();
    live();
  });
})();

// /api: following a link to an operation or a schema (#op-…, #schema-…) opens its details.
(function () {
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target) return;
    const details = target.tagName === "DETAILS" ? target : target.querySelector("details");
    if (details) details.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
