// Keyboard shortcuts for the review queue and the obligation page, and a few small helpers.
// Plain JavaScript, no dependencies. Letter keys act only when no field has the focus.
(function () {
  "use strict";

  const page = document.body.dataset.page;
  const help = document.getElementById("help");

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }
  document.querySelectorAll("[data-help]").forEach((b) => b.addEventListener("click", toggleHelp));

  // Select elements that submit their form on change (queue filters): no inline handlers, so
  // the pages work under a strict Content-Security-Policy.
  document.querySelectorAll("select[data-autosubmit]").forEach((s) =>
    s.addEventListener("change", () => s.form.submit()));

  // Forms that change someone's access ask first (users page).
  document.querySelectorAll("form[data-confirm]").forEach((f) =>
    f.addEventListener("submit", (ev) => {
      if (!window.confirm(f.dataset.confirm)) ev.preventDefault();
    }));

  // A short message that goes away by itself.
  function toast(text) {
    let box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.className = "toast";
      box.setAttribute("role", "status");
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  // --- whole page / snippet ---------------------------------------------------------------
  function togglePage() {
    document.querySelectorAll(".page-svg").forEach((svg) => {
      const full = svg.getAttribute("viewBox") === svg.dataset.fullBox;
      svg.setAttribute("viewBox", full ? svg.dataset.snippetBox : svg.dataset.fullBox);
    });
    document.querySelectorAll("[data-toggle-page]").forEach((b) => {
      b.textContent = b.textContent === "Whole page" ? "Snippet" : "Whole page";
    });
  }
  document.querySelectorAll("[data-toggle-page]").forEach((b) => b.addEventListener("click", togglePage));

  // --- add an obligation: take the sentence from a unit or the selected clause text -----
  const sentence = document.querySelector("[data-sentence]");
  const useSelection = document.querySelector("[data-use-selection]");
  if (useSelection) {
    useSelection.addEventListener("click", () => {
      const text = String(window.getSelection() || "").trim();
      if (text) sentence.value = text.replace(/\s+/g, " ");
    });
  }
  document.querySelectorAll("[data-unit]").forEach((b) => b.addEventListener("click", () => {
    sentence.value = b.textContent.trim();
    document.querySelectorAll("[data-unit]").forEach((o) => o.classList.toggle("chosen", o === b));
  }));

  // --- deadline words: say how they read before saving ----------------------------------
  const deadline = document.querySelector("[data-deadline]");
  const reading = document.querySelector("[data-deadline-reading]");
  const PARTS = [["deadline_relation", "relation"], ["deadline_duration", "duration"],
                 ["deadline_business_days", "business days"], ["deadline_anchor", "anchor"],
                 ["deadline_date", "date"]];
  function shown(v) { return v === true ? "yes" : v === false ? "no" : (v || "none"); }
  async function readDeadline() {
    const text = deadline.value.trim();
    if (text === (deadline.dataset.stored || "").trim()) { reading.hidden = true; return; }
    try {
      const response = await fetch("/deadline-reading?text=" + encodeURIComponent(text),
                                   { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const parts = await response.json();
      reading.textContent = "These words read as " +
        PARTS.map(([k, label]) => `${label} ${shown(parts[k])}`).join(" · ") +
        ". On save they fill in every part you have not changed yourself.";
      reading.hidden = false;
    } catch (e) { /* offline: the server says the same after saving */ }
  }
  if (deadline && reading) {
    let timer = null;
    deadline.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(readDeadline, 250); });
  }

  // --- the queue ---------------------------------------------------------------------------
  const rows = Array.from(document.querySelectorAll("[data-queue] tbody tr[data-id]"));
  let current = Math.max(rows.findIndex((r) => r.classList.contains("selected")), 0);

  function select(i) {
    if (!rows.length) return;
    current = Math.min(Math.max(i, 0), rows.length - 1);
    rows.forEach((r, j) => {
      r.classList.toggle("selected", j === current);
      r.setAttribute("aria-selected", j === current ? "true" : "false");
    });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) select(current);
  rows.forEach((r, i) => r.addEventListener("click", (ev) => {
    if (ev.target.closest("a, button, form")) return;
    if (current === i) window.location = r.dataset.href; else select(i);
  }));

  // Deciding from the list (without the source in view) only when the reviewer turned it on.
  function submitRow(kind) {
    const row = rows[current];
    if (!row) return;
    const form = row.querySelector(`form[data-${kind}]`);
    if (form) form.querySelector("button[name=do]").click();
    else toast("Open the obligation (Enter) to decide with its source in view, or turn on quick decisions (q).");
  }

  function move(step) {
    const data = document.body.dataset;
    if (step > 0 && current === rows.length - 1 && data.nextPage) go(data.nextPage);
    else if (step < 0 && current === 0 && data.prevPage) go(data.prevPage);
    else select(current + step);
  }

  // --- the obligation page ---------------------------------------------------------------
  const reviewForm = document.getElementById("review-form");

  function go(url) { if (url) window.location = url; }

  function decide(kind) {
    const button = reviewForm && reviewForm.querySelector(`button[data-do="${kind}"]`);
    if (!button) return;
    if (kind === "approve" && !reviewForm.reportValidity()) return;
    button.click();
  }

  if (reviewForm) {
    reviewForm.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        decide("save");
      } else if (ev.key === "Escape") {
        document.activeElement.blur();
      }
    });
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (typing(ev.target)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    if (help && help.open && ev.key !== "?") return;
    const key = ev.key;
    let handled = true;
    if (key === "?") toggleHelp();
    else if (page === "queue") {
      const data = document.body.dataset;
      if (key === "j" || key === "ArrowDown") move(1);
      else if (key === "k" || key === "ArrowUp") move(-1);
      else if ((key === "Enter" || key === "o") && rows[current]) go(rows[current].dataset.href);
      else if (key === "a") submitRow("approve");
      else if (key === "r") submitRow("reject");
      else if (key === "n") go(data.nextPage);
      else if (key === "p") go(data.prevPage);
      else if (key === "q") go(data.toggleQuick);
      else if (key === "/") document.querySelector(".filters select").focus();
      else handled = false;
    } else if (page === "obligation") {
      const data = document.body.dataset;
      if (key === "j") go(data.next);
      else if (key === "k") go(data.prev);
      else if (key === "u") go(data.queue);
      else if (key === "a") decide("approve");
      else if (key === "r") decide("reject");
      else if (key === "e") reviewForm.querySelector("[data-first-field]").focus();
      else if (key === "d") reviewForm.querySelector("[data-deadline]").focus();
      else if (key === "c") reviewForm.querySelector("[data-comment]").focus();
      else if (key === "f") togglePage();
      else handled = false;
    } else handled = false;
    if (handled) ev.preventDefault();
  });
})();
