  /* planner report, part 1 of 4: data decoding, formatting, state and URL hash, SVG charts,
     tables. The parts are concatenated inside one function by planner/report/html.py. */
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var S = D.summary || {};
  var ROW_LIMIT = 400;

  /* ---------- data helpers: tables are stored by column, text as dictionary + codes ---------- */
  function Table(t) {
    this.n = t ? t.n : 0;
    this.raw = t ? t.cols : {};
    this.cache = {};
  }
  Table.prototype.has = function (name) { return Object.prototype.hasOwnProperty.call(this.raw, name); };
  Table.prototype.col = function (name) {
    if (this.cache[name]) return this.cache[name];
    var c = this.raw[name], out;
    if (c === undefined) out = new Array(this.n).fill(null);
    else if (Array.isArray(c)) out = c;
    else if (c.r) { out = []; for (var j = 0; j < c.r.length; j++) for (var k = 0; k < c.k[j]; k++) out.push(c.r[j]); }
    else { out = new Array(c.c.length); for (var i = 0; i < c.c.length; i++) out[i] = c.d[c.c[i]]; }
    this.cache[name] = out;
    return out;
  };
  Table.prototype.dict = function (name) { var c = this.raw[name]; return c && c.d ? c.d : null; };
  function T(name) { return new Table(D[name]); }

  var series = T("series");
  var seriesSku = series.col("sku"), seriesWh = series.col("warehouse");

  /* ---------- formatting ---------- */
  var nf = {};
  function num(v, d) {
    if (v === null || v === undefined || v === "" || isNaN(v)) return "–";
    d = d === undefined ? 0 : d;
    if (!nf[d]) nf[d] = new Intl.NumberFormat("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    return nf[d].format(v);
  }
  function qty(v) { return num(v, Math.abs(v) >= 100 || v === Math.round(v) ? 0 : 1); }
  function money(v) { return num(v, 2); }
  function plain(v) { return v === null || v === undefined ? "–" : num(v, v === Math.round(v) || Math.abs(v) >= 100 ? 0 : 2); }
  function pct(v, d) {
    if (v === null || v === undefined) return "–";
    d = d === undefined ? 1 : d;
    var x = 100 * v;
    return num(Math.abs(x) < 0.5 * Math.pow(10, -d) ? 0 : x, d) + "%"; /* no "-0.0%" */
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function rateClass(r) { return r === null ? "" : r >= 0.97 ? "good" : r >= 0.9 ? "warn" : "bad"; }
  function meter(r) {
    var color = r >= 0.97 ? "var(--good)" : r >= 0.9 ? "var(--warn)" : "var(--bad)";
    return '<span class="meter"><span style="width:' + Math.max(0, Math.min(100, 100 * r)).toFixed(1) +
      "%;background:" + color + '"></span></span><span class="' + rateClass(r) + '">' + pct(r) + "</span>";
  }
  function kv(pairs) {
    return '<dl class="kv">' + pairs.filter(function (p) { return p[1] !== undefined && p[1] !== null; })
      .map(function (p) { return "<dt>" + esc(p[0]) + "</dt><dd>" + p[1] + "</dd>"; }).join("") + "</dl>";
  }
  function uniq(a) { var seen = {}, out = []; a.forEach(function (v) { if (!seen[v]) { seen[v] = 1; out.push(v); } }); return out; }

  /* ---------- state: tab, SKU filter, supplier, order week (mirrored in the URL hash) ---------- */
  var state = { tab: null, sku: "", supplier: "", week: "" };
  function readHash() {
    var h = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) return;
      var i = part.indexOf("=");
      if (i > 0) h[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
    });
    return h;
  }
  function writeHash() {
    var parts = [];
    ["tab", "sku", "supplier", "week"].forEach(function (k) {
      if (state[k]) parts.push(k + "=" + encodeURIComponent(state[k]));
    });
    var h = parts.length ? "#" + parts.join("&") : " ";
    if (history.replaceState) history.replaceState(null, "", h === " " ? location.pathname + location.search : h);
  }
  function skuMatch(code) {
    if (!state.sku) return true;
    return String(code).toLowerCase().indexOf(state.sku.toLowerCase()) >= 0;
  }
  /* the SKU the search names exactly (case-insensitive), or the only one it matches */
  function selectedSku() {
    if (!state.sku) return null;
    var q = state.sku.toLowerCase(), hits = [];
    for (var i = 0; i < allSkus.length; i++) {
      var s = allSkus[i].toLowerCase();
      if (s === q) return allSkus[i];
      if (s.indexOf(q) >= 0) hits.push(allSkus[i]);
    }
    return hits.length === 1 ? hits[0] : null;
  }
  function seriesOf(sku) {
    var out = [];
    for (var i = 0; i < series.n; i++) if (seriesSku[i] === sku) out.push(i);
    return out;
  }

  /* ---------- SVG charts ---------- */
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function shortNum(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return num(v / 1e9, 1) + "G";
    if (a >= 1e6) return num(v / 1e6, 1) + "M";
    if (a >= 1e4) return num(v / 1e3, 0) + "k";
    if (a >= 100 || v === Math.round(v)) return num(v, 0);
    return num(v, a >= 1 ? 1 : 2);
  }
  /* opts: {labels: [x labels], layers: [{kind: band|line|bars, lo, hi, y, color, dash}], hlines:
     [{y, color, label}], vline: index, w, h, title} */
  function chart(opts) {
    var W = opts.w || 560, H = opts.h || 220, L = 52, R = 12, Tp = 10, B = 26;
    var labels = opts.labels, n = labels.length;
    var lo = Infinity, hi = -Infinity;
    function see(v) { if (v !== null && v !== undefined && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    opts.layers.forEach(function (l) { (l.y || []).forEach(see); (l.lo || []).forEach(see); (l.hi || []).forEach(see); });
    (opts.hlines || []).forEach(function (h) { (Array.isArray(h.y) ? h.y : [h.y]).forEach(see); });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo > 0 && opts.fromZero !== false) lo = 0;
    if (hi <= lo) hi = lo + 1;
    var pad = opts.fromZero === false ? (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1 : 0;
    if (pad) { lo -= pad; hi += pad; }
    var ticks = niceTicks(lo, hi * (pad ? 1 : 1.04), 4);
    lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);
    var pw = W - L - R, ph = H - Tp - B;
    function x(i) { return L + (n <= 1 ? pw / 2 : (i * pw) / (n - 1)); }
    function y(v) { return Tp + ph - ((v - lo) / (hi - lo)) * ph; }
    var s = '<svg viewBox="0 0 ' + W + " " + H + '" width="' + W + '" height="' + H + '" role="img"' +
      (opts.title ? ' aria-label="' + esc(opts.title) + '"' : "") + ">";
    ticks.forEach(function (t) {
      s += '<line class="gridline" x1="' + L + '" x2="' + (W - R) + '" y1="' + y(t).toFixed(1) + '" y2="' + y(t).toFixed(1) + '"/>';
      s += '<text x="' + (L - 6) + '" y="' + (y(t) + 4).toFixed(1) + '" text-anchor="end">' + shortNum(t) + "</text>";
    });
    var every = Math.max(1, Math.ceil(n / 7));
    for (var i = 0; i < n; i += every) {
      var anchor = x(i) > W - R - 34 ? "end" : x(i) < L + 20 && n > 1 ? "start" : "middle";
      s += '<text x="' + x(i).toFixed(1) + '" y="' + (H - 8) + '" text-anchor="' + anchor + '">' + esc(String(labels[i]).slice(0, 10)) + "</text>";
    }
    if (opts.vline !== undefined && opts.vline !== null && opts.vline >= 0) {
      var vx = x(opts.vline - 0.5 < 0 ? 0 : opts.vline - 0.5).toFixed(1);
      s += '<line x1="' + vx + '" x2="' + vx + '" y1="' + Tp + '" y2="' + (Tp + ph) + '" stroke="#9aa6b2" stroke-dasharray="3,3"/>';
      s += '<text x="' + (+vx + 4) + '" y="' + (Tp + 10) + '">plan</text>';
    }
    opts.layers.forEach(function (l) {
      if (l.kind === "band") {
        var top = [], bot = [];
        for (var i = 0; i < n; i++) {
          if (l.lo[i] === null || l.lo[i] === undefined || l.hi[i] === null || l.hi[i] === undefined) continue;
          top.push(x(i).toFixed(1) + "," + y(l.hi[i]).toFixed(1));
          bot.unshift(x(i).toFixed(1) + "," + y(l.lo[i]).toFixed(1));
        }
        if (top.length) s += '<polygon points="' + top.concat(bot).join(" ") + '" fill="' + l.color + '" stroke="none"/>';
      } else if (l.kind === "line") {
        var d = "", pen = false;
        for (var j = 0; j < n; j++) {
          var v = l.y[j];
          if (v === null || v === undefined || !isFinite(v)) { pen = false; continue; }
          d += (pen ? "L" : "M") + x(j).toFixed(1) + "," + y(v).toFixed(1);
          pen = true;
        }
        if (d) s += '<path d="' + d + '" fill="none" stroke="' + l.color + '" stroke-width="' + (l.width || 1.8) + '"' +
          (l.dash ? ' stroke-dasharray="' + l.dash + '"' : "") + "/>";
      } else if (l.kind === "bars") {
        var bw = Math.max(2, (pw / Math.max(n, 1)) * (l.width || 0.6));
        for (var k = 0; k < n; k++) {
          var b = l.y[k];
          if (!b) continue;
          var y0 = y(Math.max(0, lo)), y1 = y(b);
          s += '<rect x="' + (x(k) - bw / 2).toFixed(1) + '" y="' + Math.min(y0, y1).toFixed(1) + '" width="' + bw.toFixed(1) +
            '" height="' + Math.abs(y0 - y1).toFixed(1) + '" fill="' + l.color + '"><title>' + esc(labels[k]) + ": " + qty(b) + "</title></rect>";
        }
      }
    });
    (opts.hlines || []).forEach(function (h) {
      if (Array.isArray(h.y)) {
        var d = "", pen = false;
        for (var i = 0; i < n; i++) {
          if (h.y[i] === null || h.y[i] === undefined) { pen = false; continue; }
          var x0 = n <= 1 ? L : x(i), x1 = n <= 1 ? W - R : x(i);
          d += (pen ? "L" : "M") + x0.toFixed(1) + "," + y(h.y[i]).toFixed(1) + (n <= 1 ? "L" + x1.toFixed(1) + "," + y(h.y[i]).toFixed(1) : "");
          pen = true;
        }
        if (d) s += '<path d="' + d + '" fill="none" stroke="' + h.color + '" stroke-width="1.6" stroke-dasharray="6,3"/>';
      }
    });
    s += '<line class="axis" x1="' + L + '" x2="' + L + '" y1="' + Tp + '" y2="' + (Tp + ph) + '"/>';
    s += '<line class="axis" x1="' + L + '" x2="' + (W - R) + '" y1="' + (Tp + ph) + '" y2="' + (Tp + ph) + '"/>';
    return s + "</svg>";
  }
  function legend(items) {
    return '<div class="legend">' + items.map(function (it) {
      return '<span><i style="background:' + it[1] + '"></i>' + esc(it[0]) + "</span>";
    }).join("") + "</div>";
  }
  /* horizontal bars: items [{label, value, note}] */
  function hbars(items, fmt) {
    var max = 0;
    items.forEach(function (it) { max = Math.max(max, Math.abs(it.value || 0)); });
    return "<table><tbody>" + items.map(function (it) {
      var w = max ? (100 * Math.abs(it.value || 0)) / max : 0;
      var color = it.value < 0 ? "var(--good)" : it.color || "var(--accent)";
      return "<tr><td>" + esc(it.label) + '</td><td style="width:55%"><span class="bar" style="width:' + w.toFixed(1) +
        "%;background:" + color + '"></span></td><td class="num">' + (fmt || money)(it.value) + "</td>" +
        (it.note !== undefined ? '<td class="num muted">' + it.note + "</td>" : "") + "</tr>";
    }).join("") + "</tbody></table>";
  }

  /* ---------- generic sortable table with a row limit ---------- */
  /* cols: [{key, label, num, fmt(v, i)}]; rows: array of row indexes; get(key) -> column array */
  function dataTable(id, cols, rows, get, opts) {
    opts = opts || {};
    var sort = sortState[id] || opts.sort || null;
    if (sort) {
      var c = get(sort.key), dir = sort.dir;
      rows = rows.slice().sort(function (a, b) {
        var x = c[a], y = c[b];
        if (x === y) return a - b;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    var limit = showAll[id] ? rows.length : ROW_LIMIT;
    var skuCol = opts.skuKey ? get(opts.skuKey) : null;
    var h = '<div class="scroll"><table id="' + id + '"><thead><tr>' + cols.map(function (c) {
      return '<th class="sortable' + (c.num ? " num" : "") + '" data-table="' + id + '" data-key="' + c.key + '">' + esc(c.label) + "</th>";
    }).join("") + "</tr></thead><tbody>";
    var cache = {};
    cols.forEach(function (c) { cache[c.key] = get(c.key); });
    for (var r = 0; r < Math.min(limit, rows.length); r++) {
      var i = rows[r];
      h += "<tr" + (skuCol ? ' data-sku="' + esc(skuCol[i]) + '"' : "") + ">";
      for (var k = 0; k < cols.length; k++) {
        var cc = cols[k], v = cache[cc.key][i];
        h += "<td" + (cc.num ? ' class="num"' : "") + ">" + (cc.fmt ? cc.fmt(v, i) : esc(v)) + "</td>";
      }
      h += "</tr>";
    }
    h += "</tbody></table></div>";
    if (rows.length > limit) {
      h += '<div class="more"><button type="button" data-showall="' + id + '">Show all ' + num(rows.length) +
        " rows</button> <span class=\"muted small\">(" + num(limit) + " shown)</span></div>";
    } else if (!rows.length) {
      h += '<div class="empty">No rows' + (state.sku ? " for SKU “" + esc(state.sku) + "”" : "") + ".</div>";
    }
    return h;
  }
  var sortState = {}, showAll = {};

  /* ---------- sections ---------- */
  var sections = [];
  function section(id, label, render) { sections.push({ id: id, label: label, render: render, dirty: true }); }

  var orders = T("orders");
  var allSkus = uniq([].concat(seriesSku, orders.n ? orders.col("sku") : [],
    D.service ? T("service").col("sku") : [], D.by_series ? T("by_series").col("sku") : [])).sort();

  /* when the search matches several SKUs (or none), say so and offer them as links */
  function matchesBox() {
    if (!state.sku || selectedSku()) return "";
    var hits = allSkus.filter(skuMatch);
    if (!hits.length) return '<div class="card" id="sku-matches"><h3>No SKU matches “' + esc(state.sku) + "”</h3></div>";
    return '<div class="card" id="sku-matches"><h3>' + num(hits.length) + " SKUs match “" + esc(state.sku) + "”</h3>" +
      '<div class="chips">' + hits.slice(0, 40).map(function (k) {
        return '<a href="#" class="chip" data-goto-sku="' + esc(k) + '">' + esc(k) + "</a>";
      }).join("") + (hits.length > 40 ? '<span class="muted">…</span>' : "") + "</div></div>";
  }
  function skuDetailHeader(sku) {
    var idx = seriesOf(sku);
    var whs = idx.map(function (i) { return seriesWh[i]; });
    return '<div class="card" id="sku-detail" data-sku="' + esc(sku) + '"><h3>SKU ' + esc(sku) + "</h3>" +
      '<span class="muted">' + (whs.length ? "stocked in " + esc(whs.join(", ")) : "no planned series") + "</span></div>";
  }

