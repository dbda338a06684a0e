// The progress page of a run: polls /runs/<id>/progress every two seconds and shows the
// documents as they finish. No markup from the server is inserted: text only (a file name
// is data). When the run ends, the page is loaded once more, with its final links.
(function () {
  "use strict";
  const box = document.querySelector("[data-progress-url]");
  if (!box || box.dataset.finished === "yes") return;
  const url = box.dataset.progressUrl;
  const $ = (sel) => document.querySelector(sel);

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== undefined) td.textContent = text;
    return td;
  }

  function row(d) {
    const tr = document.createElement("tr");
    const name = cell();
    if (d.url) {
      const a = document.createElement("a");
      a.href = d.url; a.textContent = d.file; name.appendChild(a);
    } else name.textContent = d.file;
    const status = cell();
    const pill = document.createElement("span");
    pill.className = "pill doc-" + d.status; pill.textContent = d.status; status.appendChild(pill);
    const why = cell(undefined, "small");
    if (d.status === "failed") {
      const what = document.createElement("div");
      what.className = "error-text"; what.textContent = d.what || "";
      const tech = document.createElement("div");
      tech.className = "muted"; tech.textContent = (d.code || "") + ": " + (d.reason || "");
      why.append(what, tech);
    } else why.textContent = d.reason || "";
    tr.append(name, status, why);
    return tr;
  }

  function show(p) {
    const bar = $("[data-bar]");
    bar.max = p.total || 1; bar.value = p.done;
    $("[data-done-text]").textContent =
      p.done + " of " + (p.total === null ? "?" : p.total) + " done";
    for (const key of ["processed", "skipped", "failed"]) {
      $('[data-count="' + key + '"]').textContent = p[key];
    }
    $("[data-run-status]").textContent = p.status;
    $("[data-run-status]").className = "pill run-" + p.status;
    $("[data-state-text]").textContent = p.status === "queued"
      ? "Waiting to start…"
      : "Reading documents… this page updates by itself.";
    const body = $("[data-documents]");
    if (p.documents.length) body.replaceChildren(...p.documents.map(row));
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const p = await response.json();
        if (p.finished) { window.location.reload(); return; }
        show(p);
      }
    } catch (e) { /* the server restarting: try again at the next tick */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 1000);
})();
