// The search page: calls /api/search and draws each hit's sampled frames with their region boxes,
// labelled with the query word each region aligns to under RWA (the argmax of its word attention).
"use strict";

const $ = (id) => document.getElementById(id);
const FRAME_W = 192;
const FRAME_H = 108;
let info = null;

function hue(word) {
  let h = 0;
  for (const c of word) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

function colour(word, alpha) {
  return `hsla(${hue(word)}, 70%, 42%, ${alpha})`;
}

function isSpecial(word) {
  return word.startsWith("[") && word.endsWith("]");
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// Whole words of the query: a "##" word piece belongs to the word before it ("toast", "##er" -> "toaster").
function wholeWords(tokens) {
  const out = tokens.slice();
  for (let i = 0; i < tokens.length;) {
    let j = i + 1;
    let w = tokens[i];
    while (j < tokens.length && tokens[j].startsWith("##")) w += tokens[j++].slice(2);
    for (let t = i; t < j; t++) out[t] = w;
    i = j;
  }
  return out;
}

function drawBoxes(ctx, regions, w, h) {
  // Strongest attention last, so that its box is on top.
  const sorted = [...regions].sort((a, b) => a.weight - b.weight);
  ctx.font = "10px system-ui, sans-serif";
  for (const r of sorted) {
    const [x1, y1, x2, y2] = r.box;
    const alpha = 0.15 + 0.85 * r.weight;
    ctx.lineWidth = r.weight >= 0.5 ? 2 : 1;
    ctx.strokeStyle = isSpecial(r.word) ? `rgba(120,120,120,${alpha})` : colour(r.word, alpha);
    ctx.strokeRect(x1 * w, y1 * h, (x2 - x1) * w, (y2 - y1) * h);
  }
  for (const r of sorted) {
    if (isSpecial(r.word) || r.weight < 0.5) continue;
    const [x1, y1] = r.box;
    const label = r.word;
    const tw = ctx.measureText(label).width + 6;
    ctx.fillStyle = colour(r.word, 0.9);
    ctx.fillRect(x1 * w, y1 * h, tw, 13);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, x1 * w + 3, y1 * h + 10);
  }
}

function frameCanvas(videoId, frameIndex, frameNumber, regions) {
  const canvas = el("canvas", { class: "frame", width: FRAME_W, height: FRAME_H,
    "data-frame": String(frameNumber) });
  const ctx = canvas.getContext("2d");
  const neutral = () => {
    ctx.fillStyle = "#eceef2";
    ctx.fillRect(0, 0, FRAME_W, FRAME_H);
    drawBoxes(ctx, regions, FRAME_W, FRAME_H);
  };
  neutral();
  if (info && info.framesFolder) {
    const img = new Image();
    img.onload = () => {
      ctx.drawImage(img, 0, 0, FRAME_W, FRAME_H);
      drawBoxes(ctx, regions, FRAME_W, FRAME_H);
      canvas.dataset.image = "loaded";
    };
    img.src = `/frames/${encodeURIComponent(videoId)}/${frameNumber}`;
  }
  return el("figure", {}, canvas, el("figcaption", {}, `frame ${frameNumber}`));
}

function wordChips(regions) {
  const counts = new Map();
  for (const r of regions) {
    if (isSpecial(r.word)) continue;
    counts.set(r.word, (counts.get(r.word) || 0) + 1);
  }
  const chips = el("div", { class: "words" });
  for (const [w, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    const chip = el("span", { class: "word" }, w, el("small", {}, `×${n}`));
    chip.style.background = colour(w, 0.9);
    chips.append(chip);
  }
  return chips;
}

function renderHit(hit, words) {
  const score = el("span", { class: "score" }, "score ", el("b", {}, hit.score.toFixed(4)),
    `  global ${hit.global.toFixed(4)}`, hit.local == null ? "" : `  RWA ${hit.local.toFixed(4)}`);
  const li = el("li", { class: "hit", "data-video": hit.videoId },
    el("h2", {}, el("span", { class: "rank" }, `#${hit.rank}`), el("span", { class: "vid" }, hit.videoId), score));
  const x = hit.explanation;
  if (x) {
    // Label regions with whole query words rather than word pieces.
    for (const r of x.regions) r.word = words[r.token] || r.word;
    const frames = el("div", { class: "frames" });
    x.frameNumbers.forEach((num, f) => {
      frames.append(frameCanvas(hit.videoId, f, num, x.regions.filter((r) => r.frame === f)));
    });
    li.append(frames, wordChips(x.regions),
      el("div", { class: "why" }, `${x.regions.length} regions; each box is coloured by the query word it ` +
        "attends to most (region-to-word attention of RWA); brighter = stronger."));
  }
  return li;
}

async function search(ev) {
  if (ev) ev.preventDefault();
  const q = $("q").value.trim();
  if (!q) return;
  const params = new URLSearchParams({ q, k: $("k").value, rerank: $("rerank").value,
    explain: info && info.regions ? "1" : "0" });
  $("status").className = "";
  $("status").textContent = "Searching…";
  $("hits").replaceChildren();
  // A shareable address: the fragment stays in the browser and reaches no server.
  history.replaceState(null, "", `#${new URLSearchParams({ q, k: $("k").value, rerank: $("rerank").value })}`);
  try {
    const resp = await fetch(`/api/search?${params}`);
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error || `HTTP ${resp.status}`);
    const words = wholeWords(body.tokens || []);
    $("hits").replaceChildren(...body.hits.map((h) => renderHit(h, words)));
    $("status").textContent = `${body.hits.length} videos for “${body.query}” · ${body.method} search, ` +
      `${body.scoring} · ${body.timings.total.toFixed(1)} ms`;
    $("status").dataset.done = "1";
  } catch (e) {
    $("status").className = "error";
    $("status").textContent = `Error: ${e.message}`;
  }
}

async function init() {
  try {
    const resp = await fetch("/api/info");
    info = await resp.json();
    $("about").textContent = `${info.videos} videos · ${info.embedDim}-d · ` +
      `${info.hnsw ? "HNSW + exact" : "exact search"} · ` +
      `${info.regions ? `${info.frames} frames × ${info.regionsPerFrame} regions per video` : "no region data"}`;
    $("rerank").max = Math.min(info.limits.maxRerankTop, info.videos);
    $("rerank").disabled = !info.regions;
    $("k").max = info.limits.maxK;
  } catch (e) {
    $("status").className = "error";
    $("status").textContent = `Cannot reach the server: ${e.message}`;
  }
  $("search").addEventListener("submit", search);
  const shared = new URLSearchParams(location.hash.slice(1));
  if (shared.get("q")) {
    $("q").value = shared.get("q");
    if (shared.get("k")) $("k").value = shared.get("k");
    if (shared.get("rerank") && !$("rerank").disabled) $("rerank").value = shared.get("rerank");
    search();
  }
}

init();
