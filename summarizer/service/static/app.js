// The summarizer page: brief an article and show each item's evidence in the article; follow jobs.
// Article and brief text only ever reach the page as text nodes (never HTML), and the page's
// Content-Security-Policy allows no inline script: an article cannot run code here.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// -- API -------------------------------------------------------------------------------------

const keyInput = $("api-key");
keyInput.value = sessionStorage.getItem("summarizer-key") || "";
keyInput.addEventListener("change", () => sessionStorage.setItem("summarizer-key", keyInput.value.trim()));

function headers(extra = {}) {
  const key = keyInput.value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = `${problem.title}: ${problem.detail}`;
    } catch (_) { /* not a problem document */ }
    throw new Error(detail);
  }
  return response;
}

// -- tabs ------------------------------------------------------------------------------------

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== tab.dataset.view;
    if (tab.dataset.view === "jobs-view") refreshJobs();
  });
}

// -- one brief -------------------------------------------------------------------------------

let current = null; // {article, brief}

// A first-time user gets something to try: the seed article the README briefs.
$("sample-button").addEventListener("click", async () => {
  const status = $("brief-status");
  try {
    const response = await fetch("/static/sample.txt");
    if (!response.ok) throw new Error(`sample: ${response.status} ${response.statusText}`);
    $("article-file").value = "";
    $("article-input").value = await response.text();
    status.className = "";
    status.textContent = "A sample article: press Brief.";
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  }
});

$("article-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (file) $("article-input").value = await file.text();
});

function mediaType(text) {
  const file = $("article-file").files[0];
  const name = file ? file.name.toLowerCase() : "";
  if (name.endsWith(".html") || name.endsWith(".htm") || /^\s*(<!doctype html|<html)/i.test(text)) return "text/html";
  if (name.endsWith(".md") || name.endsWith(".markdown")) return "text/markdown";
  return "text/plain";
}

$("brief-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("article-input").value;
  const status = $("brief-status");
  const button = $("brief-button");
  status.className = "";
  status.textContent = "Briefing… (a local model can take minutes)";
  button.disabled = true;
  try {
    const media = mediaType(text);
    const published = $("published").value;
    const body = media === "text/html"
      ? JSON.stringify({ html: text, published: published || null })
      : JSON.stringify({ text, published: published || null });
    // The brief as it forms: the article's voices and warnings at once, then each item as the
    // model writes it (final when shown), then the summary (server-sent events).
    const response = await api("/v1/briefs?include=article", {
      method: "POST", body, headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    });
    const cache = response.headers.get("X-Summarizer-Cache");
    let finished = false;
    for await (const message of serverEvents(response)) {
      const data = JSON.parse(message.data);
      if (message.event === "article") startBrief(data.article);
      else if (message.event === "candidates") showCandidates(data.candidates);
      else if (message.event === "item") addItem(data);
      else if (message.event === "summary") showSummary(data);
      else if (message.event === "done") { finishBrief(data.brief); finished = true; }
      else if (message.event === "error") throw new Error(`${data.title}: ${data.detail}`);
    }
    if (!finished) throw new Error("the connection closed before the brief was done");
    status.textContent = cache === "hit" ? "From the cache (no model call)." : "Done.";
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

const SECTIONS = [
  ["key_developments", "Key developments", "evidence", (d) => [
    el("span", { class: "what" }, d.what),
    (d.when_iso || d.when || d.where) ? el("span", { class: "context" }, ` (${[d.when_iso || d.when, d.where].filter(Boolean).join(", ")})`) : null,
  ]],
  ["stated_positions", "Stated positions", "quote", (p) => [
    el("span", { class: "who" }, p.actor + (p.role ? `, ${p.role}` : "")), ": ", p.stance,
  ]],
  ["warnings", "Warnings", "evidence", (w) => [
    el("span", { class: "who" }, w.issued_by), " warns: ", w.about,
    w.condition ? el("span", { class: "context" }, ` (if ${w.condition})`) : null,
  ]],
];

// Server-sent events read from a fetch response (EventSource can neither POST nor send a key).
async function* serverEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(":");
        const text = rest.join(":").replace(/^ /, "");
        if (field === "event") event.event = text;
        else if (field === "data") event.data += (event.data ? "\n" : "") + text;
      }
      if (event.data) yield event; // a ": ping" comment has no data
    }
  }
}

// A brief being formed: an empty one the events fill in.
function startBrief(article) {
  const brief = {
    headline: "", summary: "", summary_sentences: [], key_developments: [], stated_positions: [], warnings: [],
    metadata: { grounding: { spans: [] } },
  };
  current = { article, brief, units: utf16Offsets(article.text) };
  $("headline").textContent = article.title || "";
  $("summary").textContent = "";
  $("items").replaceChildren(...SECTIONS.map(([kind, title]) =>
    el("div", { class: "section", dataset: { section: kind }, hidden: "" }, el("h3", {}, title), el("ul"))));
  $("brief-meta").textContent = "Reading the article…";
  $("article-text").replaceChildren(document.createTextNode(article.text));
  $("brief").hidden = false;
  $("article-pane").hidden = false;
}

// The recall net's sentences, marked in the article while the model writes.
function showCandidates(candidates) {
  if (!current) return;
  const voices = candidates.filter((c) => c.kind === "voice").length;
  $("brief-meta").textContent = `${voices} voice(s) and ${candidates.length - voices} warning(s) found in the article; the model is writing…`;
  const text = current.article.text;
  const at16 = (point) => current.units[Math.max(0, Math.min(point, current.units.length - 1))];
  const parts = [];
  let at = 0;
  for (const c of [...candidates].sort((a, b) => a.start - b.start)) {
    const start = at16(c.start);
    const end = at16(c.end);
    if (start < at) continue;
    parts.push(document.createTextNode(text.slice(at, start)));
    parts.push(el("mark", { class: `candidate ${c.kind}`, title: `${c.kind}: ${c.actor}` }, text.slice(start, end)));
    at = end;
  }
  parts.push(document.createTextNode(text.slice(at)));
  $("article-text").replaceChildren(...parts);
}

// One item, final when it arrives: shown in its place, its evidence clickable at once.
function addItem({ section, index, item, spans }) {
  if (!current) return;
  current.brief[section][index] = item;
  current.brief.metadata.grounding.spans.push(...spans);
  const [kind, , field, render] = SECTIONS.find(([name]) => name === section);
  const box = document.querySelector(`#items [data-section="${kind}"]`);
  if (!box) return;
  box.hidden = false;
  const path = `${kind}[${index}].${field}`;
  const li = el("li", { dataset: { index: String(index) } }, el("button", {
    type: "button", class: "item", dataset: { item: path }, title: item[field],
    onclick: (e) => showEvidence(path, e.currentTarget),
  }, ...render(item)));
  const after = [...box.querySelectorAll("li")].find((other) => Number(other.dataset.index) > index);
  box.querySelector("ul").insertBefore(li, after || null);
}

function showSummary(brief) {
  $("headline").textContent = brief.headline;
  const summary = $("summary");
  const sentences = brief.summary_sentences || [];
  if (sentences.length) {
    // Each summary sentence shows, on click, the article sentences that state it.
    summary.replaceChildren(...sentences.flatMap((sentence, index) => [
      el("span", {
        class: "sentence", role: "button", tabindex: "0", dataset: { item: `summary_sentences[${index}]` },
        title: "show the article sentences behind this", onclick: (e) => showSupport(sentence, e.currentTarget),
      }, sentence.text), " ",
    ]));
  } else {
    summary.textContent = brief.summary;
  }
}

// The whole brief: what the events showed stays as it is (a click's highlight too).
function finishBrief(brief) {
  const shown = current && SECTIONS.every(([kind]) =>
    (current.brief[kind] || []).filter(Boolean).length === (brief[kind] || []).length);
  current.brief = brief;
  if (!shown) {
    showBrief(current);
    return;
  }
  showSummary(brief);
  showMeta(brief);
}

function showMeta(brief) {
  const meta = brief.metadata;
  $("brief-meta").textContent = `${meta.model} · prompt ${meta.prompt_version} · ${meta.usage.total_tokens} tokens · `
    + `${meta.latency_s.toFixed(1)} s · ${meta.grounding.verified} items verified`;
}

function showBrief({ article, brief }) {
  showSummary(brief);
  const items = $("items");
  items.replaceChildren();
  for (const [kind, title, field, render] of SECTIONS) {
    const list = brief[kind] || [];
    if (!list.length) continue;
    const ul = el("ul");
    list.forEach((item, index) => {
      const path = `${kind}[${index}].${field}`;
      ul.append(el("li", {}, el("button", {
        type: "button", class: "item", dataset: { item: path }, title: item[field],
        onclick: (e) => showEvidence(path, e.currentTarget),
      }, ...render(item))));
    });
    items.append(el("h3", {}, title), ul);
  }
  showMeta(brief);
  $("article-text").replaceChildren(document.createTextNode(article.text));
  current.units = utf16Offsets(article.text);
  $("brief").hidden = false;
  $("article-pane").hidden = false;
}

function showEvidence(path, button) {
  if (!current) return;
  const span = (current.brief.metadata.grounding.spans || []).find((s) => s.item === path);
  highlight(span ? [span] : [], button);
}

function showSupport(sentence, node) {
  highlight(sentence.support || [], node);
}

// The service's offsets count code points (Python's str); JavaScript strings count UTF-16 units,
// two for a character outside the BMP (an emoji). units[i] is where code point i starts.
function utf16Offsets(text) {
  const units = new Uint32Array(text.length + 1);
  let point = 0;
  let unit = 0;
  for (const char of text) {
    units[point++] = unit;
    unit += char.length;
  }
  units[point] = unit;
  return units.subarray(0, point + 1);
}

// Marks text[start:end] of each span in the article view (as text nodes, never HTML) and
// scrolls the first into view.
function highlight(spans, node) {
  if (!current) return;
  for (const other of document.querySelectorAll("#brief .active")) other.classList.remove("active");
  node.classList.add("active");
  const text = current.article.text;
  const units = current.units || utf16Offsets(text);
  const at16 = (point) => units[Math.max(0, Math.min(point, units.length - 1))];
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  const parts = [];
  let at = 0;
  ordered.forEach((span, index) => {
    const start = at16(span.start);
    const end = at16(span.end);
    if (start < at) return; // overlapping: keep the first
    parts.push(document.createTextNode(text.slice(at, start)));
    parts.push(el("mark", index === 0 ? { class: "evidence", id: "evidence" } : { class: "evidence" }, text.slice(start, end)));
    at = end;
  });
  parts.push(document.createTextNode(text.slice(at)));
  const pane = $("article-text");
  pane.replaceChildren(...parts);
  const first = document.getElementById("evidence");
  if (first) reveal(first);
}

// Scroll the article pane (not the whole page) so the mark sits in its middle; where the pane
// does not scroll on its own (narrow screens), scroll the page instead.
function reveal(mark) {
  const box = $("article-pane");
  if (box.scrollHeight <= box.clientHeight + 1) {
    mark.scrollIntoView({ block: "center", behavior: "instant" });
    return;
  }
  const top = box.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 100) box.scrollIntoView({ block: "start", behavior: "instant" });
  const markBox = mark.getBoundingClientRect();
  const paneBox = box.getBoundingClientRect();
  box.scrollTop += markBox.top - paneBox.top - (box.clientHeight - Math.min(markBox.height, box.clientHeight)) / 2;
}

// -- jobs ------------------------------------------------------------------------------------

const following = new Map(); // job id -> AbortController of its event stream

$("job-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("job-file").files[0];
  const status = $("job-status");
  status.className = "";
  try {
    const text = await file.text();
    const media = /^\s*\[/.test(text) ? "application/json" : "application/x-ndjson";
    const response = await api("/v1/jobs", { method: "POST", body: text, headers: { "Content-Type": media } });
    const job = await response.json();
    status.textContent = `Job ${job.id.slice(0, 8)}: ${job.total} articles.`;
    await refreshJobs();
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  }
});

async function refreshJobs() {
  let jobs;
  try {
    jobs = (await (await api("/v1/jobs")).json()).jobs;
  } catch (error) {
    $("job-status").className = "error";
    $("job-status").textContent = error.message;
    return;
  }
  const body = document.querySelector("#jobs tbody");
  body.replaceChildren(...jobs.map(jobRow));
  for (const job of jobs) if (job.state === "queued" || job.state === "running") follow(job);
}

function jobRow(job) {
  const bar = el("progress", { max: String(job.total), value: String(job.finished) });
  const open = job.state === "queued" || job.state === "running";
  const row = el("tr", { id: `job-${job.id}` },
    el("td", {}, el("code", {}, job.id.slice(0, 8))),
    el("td", { class: "state" }, job.state),
    el("td", {}, bar, el("span", { class: "count" }, ` ${job.finished} / ${job.total}`)),
    el("td", {}, new Date(job.created_at).toLocaleString()),
    el("td", {},
      el("button", { type: "button", class: "show", onclick: () => showJob(job) }, "show"),
      el("button", { type: "button", onclick: () => download(job.links.briefs, `${job.id}-briefs.jsonl`) }, "briefs"),
      el("button", { type: "button", onclick: () => download(job.links.errors, `${job.id}-errors.jsonl`) }, "errors"),
      open ? el("button", { type: "button", class: "cancel", onclick: () => cancel(job.id) }, "cancel") : null));
  // A cancelled job's cancelled articles are "finished" but not briefed: its counts tell.
  if (job.state === "cancelled") api(job.links.self).then((r) => r.json()).then(updateFromStatus).catch(() => {});
  return row;
}

// The row from a job status (GET /v1/jobs/{id}, or an event stream's status/end event): the bar
// and the count show the articles that ended with a brief or an error, the cancelled ones apart.
function updateFromStatus(status) {
  const counts = status.counts || {};
  const cancelled = counts.cancelled || 0;
  updateRow(status.id, status.finished - cancelled, status.total, status.state, cancelled);
}

function updateRow(id, finished, total, state, cancelled = 0) {
  const row = $(`job-${id}`);
  if (!row) return;
  row.querySelector("progress").value = finished;
  row.querySelector(".count").textContent = ` ${finished} / ${total}` + (cancelled ? ` (${cancelled} cancelled)` : "");
  if (state) row.querySelector(".state").textContent = state;
  if (state && state !== "queued" && state !== "running") row.querySelector(".cancel")?.remove();
}

// A job's briefs and errors on the page (the JSONL of /briefs and /errors, read as it streams).
async function showJob(job) {
  const panel = $("job-detail");
  panel.hidden = false;
  panel.replaceChildren(el("h3", {}, "Job ", el("code", {}, job.id.slice(0, 8))), el("p", { class: "meta" }, "Loading…"));
  try {
    const [briefs, errors] = await Promise.all([jsonl(job.links.briefs), jsonl(job.links.errors)]);
    const briefList = el("ul", { class: "job-briefs" }, ...briefs.map((line) => el("li", {},
      el("button", { type: "button", class: "job-brief", onclick: () => openBrief(line) },
        el("span", { class: "who" }, line.id), ": ", line.brief.headline),
      line.cached ? el("span", { class: "context" }, " (cached)") : null,
      el("div", { class: "context" }, line.brief.summary))));
    const errorList = el("ul", { class: "job-errors" }, ...errors.map((line) => el("li", {},
      el("span", { class: "who" }, line.id), ` ${line.status} (${line.kind}): `, line.reason)));
    panel.replaceChildren(
      el("h3", {}, "Job ", el("code", {}, job.id.slice(0, 8))),
      el("h4", {}, `Briefs (${briefs.length})`), briefs.length ? briefList : el("p", { class: "meta" }, "none yet"),
      el("h4", {}, `Errors (${errors.length})`), errors.length ? errorList : el("p", { class: "meta" }, "none"));
  } catch (error) {
    panel.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

async function jsonl(path) {
  const text = await (await api(path)).text();
  return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
}

// A job's brief in the Brief tab (without its article: a job's briefs do not carry it).
function openBrief(line) {
  document.querySelector(".tab[data-view='brief-view']").click();
  current = { article: { text: "" }, brief: line.brief };
  showBrief(current);
  $("article-pane").hidden = true;
  $("brief-status").className = "";
  $("brief-status").textContent = `From job item ${line.id} (the article text is in your job file).`;
}

async function download(path, name) {
  const blob = await (await api(path)).blob();
  const url = URL.createObjectURL(blob);
  el("a", { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function cancel(id) {
  await api(`/v1/jobs/${id}`, { method: "DELETE" });
  await refreshJobs();
}

// Server-sent events over fetch (EventSource cannot send an Authorization header); resumes
// after a dropped connection from the last event id it saw.
async function follow(job) {
  if (following.has(job.id)) return;
  const control = new AbortController();
  following.set(job.id, control);
  let last = 0;
  try {
    for (let tries = 0; tries < 20 && !control.signal.aborted; tries++) {
      try {
        const response = await api(job.links.events, { signal: control.signal, headers: last ? { "Last-Event-ID": String(last) } : {} });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = { event: "message", data: "" };
            for (const line of block.split("\n")) {
              const [field, ...rest] = line.split(":");
              const value = rest.join(":").replace(/^ /, "");
              if (field === "event") event.event = value;
              else if (field === "data") event.data += value;
              else if (field === "id") event.id = value;
            }
            if (event.id) last = Number(event.id);
            if (event.event === "item") {
              const data = JSON.parse(event.data);
              if (data.state === "cancelled") continue; // the end event brings the counts
              updateRow(job.id, data.finished, data.total, "running");
            } else if (event.event === "end" || event.event === "status") {
              updateFromStatus(JSON.parse(event.data));
              if (event.event === "end") return;
            }
          }
        }
      } catch (error) {
        if (control.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    following.delete(job.id);
  }
}
