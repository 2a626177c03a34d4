/* planner report: renders the embedded run data into tabs, tables and SVG charts. No libraries. */
(function () {
  "use strict";
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

  /* --- plan: orders by supplier and week --- */
  function renderOrders() {
    if (!orders.n) return '<div class="empty">This run has no orders.</div>';
    var week = orders.col("order_week"), sup = orders.col("supplier"), sku = orders.col("sku");
    var q = orders.col("quantity"), cost = orders.col("line_cost"), committed = orders.col("committed");
    var weeks = orders.dict("order_week") || uniq(week).sort();
    var suppliers = orders.dict("supplier") || uniq(sup).sort();
    if (!state.week || (state.week !== "all" && weeks.indexOf(state.week) < 0)) state.week = weeks[0];
    var thisWeek = weeks[0];
    var h = '<h2 class="print-title">Orders</h2>';
    var sel = selectedSku();
    h += sel ? skuDetailHeader(sel) : matchesBox();
    // pivot: supplier x week, order value
    var pivot = {}, pivotQ = {};
    for (var i = 0; i < orders.n; i++) {
      if (!skuMatch(sku[i])) continue;
      var key = sup[i] + "|" + week[i];
      pivot[key] = (pivot[key] || 0) + (cost[i] || 0);
      pivotQ[key] = (pivotQ[key] || 0) + (q[i] || 0);
    }
    h += '<div class="toolbar"><label>Order week <select id="week-select">' +
      weeks.map(function (w) {
        return '<option value="' + esc(w) + '"' + (w === state.week ? " selected" : "") + ">" + esc(w) +
          (w === thisWeek ? " (this week: place now)" : " (tentative)") + "</option>";
      }).join("") + '<option value="all"' + (state.week === "all" ? " selected" : "") + ">all weeks</option></select></label>" +
      '<div class="chips" id="supplier-chips"><span class="chip' + (state.supplier ? "" : " on") + '" data-supplier="">All suppliers</span>' +
      suppliers.map(function (s) {
        var n = 0;
        for (var i = 0; i < orders.n; i++) if (sup[i] === s && (state.week === "all" || week[i] === state.week) && skuMatch(sku[i])) n++;
        return '<span class="chip' + (state.supplier === s ? " on" : "") + '" data-supplier="' + esc(s) + '" title="' + num(n) +
          ' lines in this selection">' + esc(s) + ' <span class="muted small">' + num(n) + "</span></span>";
      }).join("") + '</div><span class="spacer"></span><button type="button" id="orders-csv">Download these lines (CSV)</button></div>';
    // rows of the selection, grouped by supplier
    var rows = [];
    for (var j = 0; j < orders.n; j++) {
      if ((state.week === "all" || week[j] === state.week) && (!state.supplier || sup[j] === state.supplier) && skuMatch(sku[j])) rows.push(j);
    }
    var fallback = false;
    if (!rows.length && state.sku && state.week !== "all") {
      // the SKU has nothing in this week: list its lines of every week instead
      fallback = true;
      for (var f = 0; f < orders.n; f++) if ((!state.supplier || sup[f] === state.supplier) && skuMatch(sku[f])) rows.push(f);
    }
    var groups = {};
    rows.forEach(function (r) { (groups[sup[r]] = groups[sup[r]] || []).push(r); });
    var title = state.week === "all" || fallback ? "All order weeks" : state.week === thisWeek ? "Orders to place this week (" + thisWeek + ")" : "Tentative orders for " + state.week;
    h += "<h2>" + esc(title) + (state.supplier ? " from " + esc(state.supplier) : "") + "</h2>";
    if (fallback) h += '<p class="muted">No lines for “' + esc(state.sku) + "” in " + esc(state.week) + "; its lines of every week are listed.</p>";
    var wh = orders.col("warehouse"), arr = orders.col("arrival_week"), price = orders.col("unit_price");
    var shown = 0, limit = showAll.orders ? Infinity : ROW_LIMIT;
    var t = '<div class="scroll"><table id="orders-table"><thead><tr><th>Supplier / SKU</th><th>Warehouse</th><th>Order week</th><th class="num">Quantity</th>' +
      '<th>Arrives</th><th class="num">Unit price</th><th class="num">Line cost</th><th>Status</th></tr></thead><tbody>';
    Object.keys(groups).sort().forEach(function (g) {
      var rs = groups[g], tq = 0, tc = 0;
      rs.forEach(function (r) { tq += q[r] || 0; tc += cost[r] || 0; });
      t += '<tr class="group" data-supplier="' + esc(g) + '"><td colspan="3">' + esc(g) + ' <span class="muted">' + num(rs.length) +
        " lines</span></td><td class=\"num\">" + qty(tq) + '</td><td></td><td></td><td class="num">' + money(tc) + "</td><td></td></tr>";
      rs.forEach(function (r) {
        if (shown++ >= limit) return;
        t += '<tr data-sku="' + esc(sku[r]) + '"><td>' + esc(sku[r]) + "</td><td>" + esc(wh[r]) + "</td><td>" + esc(week[r]) +
          '</td><td class="num">' + qty(q[r]) + "</td><td>" + esc(arr[r]) + '</td><td class="num">' + money(price[r]) +
          '</td><td class="num">' + money(cost[r]) + "</td><td>" + (committed[r] ? '<span class="status">place now</span>' : '<span class="muted">tentative</span>') + "</td></tr>";
      });
    });
    var totalQ = 0, totalC = 0;
    rows.forEach(function (r) { totalQ += q[r] || 0; totalC += cost[r] || 0; });
    t += '<tr class="subtotal"><td colspan="3">Total ' + num(rows.length) + ' lines</td><td class="num">' + qty(totalQ) +
      '</td><td></td><td></td><td class="num">' + money(totalC) + "</td><td></td></tr></tbody></table></div>";
    h += rows.length ? t : '<div class="empty">No order lines for this selection' + (state.sku ? " and SKU “" + esc(state.sku) + "”" : "") + ".</div>";
    if (rows.length > limit) h += '<div class="more"><button type="button" data-showall="orders">Show all ' + num(rows.length) + " lines</button></div>";
    // the supplier x week matrix
    h += "<h2>Order value by supplier and week</h2><p class=\"muted small\">Click a cell to list its lines. Week " + esc(thisWeek) + " is committed (place now); later weeks are the plan's expected tentative orders.</p>";
    h += '<div class="scroll"><table id="supplier-week"><thead><tr><th>Supplier</th>' + weeks.map(function (w) { return '<th class="num">' + esc(w.slice(5)) + "</th>"; }).join("") +
      '<th class="num">Total</th></tr></thead><tbody>';
    suppliers.forEach(function (s) {
      var tot = 0;
      h += "<tr><td>" + esc(s) + "</td>";
      weeks.forEach(function (w) {
        var v = pivot[s + "|" + w] || 0; tot += v;
        h += '<td class="num"><a href="#" data-cell="' + esc(s) + "|" + esc(w) + '" title="' + qty(pivotQ[s + "|" + w] || 0) + ' units">' + (v ? shortNum(v) : "·") + "</a></td>";
      });
      h += '<td class="num">' + money(tot) + "</td></tr>";
    });
    h += "</tbody></table></div>";
    return h;
  }
  function ordersCsv() {
    var cols = ["order_week", "supplier", "sku", "warehouse", "quantity", "arrival_week", "unit_price", "line_cost", "committed"];
    var week = orders.col("order_week"), sup = orders.col("supplier"), sku = orders.col("sku");
    var lines = [cols.join(",")];
    for (var j = 0; j < orders.n; j++) {
      if ((state.week === "all" || week[j] === state.week) && (!state.supplier || sup[j] === state.supplier) && skuMatch(sku[j])) {
        lines.push(cols.map(function (c) { var v = orders.col(c)[j]; v = v === null ? "" : String(v); return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }).join(","));
      }
    }
    var blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "orders-" + (state.supplier || "all") + "-" + state.week + ".csv";
    document.body.appendChild(a); a.click(); a.remove();
  }

  /* --- plan: projected stock --- */
  var inv = T("inventory"), fc = T("forecast"), hist = T("history"), cap = T("capacity");
  var planWeeks = (S.plan_weeks && S.plan_weeks.length) ? S.plan_weeks : (inv.dict("week") || []);
  function rowsBySeries(t) {
    var by = {}, s = t.col("s");
    for (var i = 0; i < t.n; i++) (by[s[i]] = by[s[i]] || []).push(i);
    return by;
  }
  var invBy = null, fcBy = null, histBy = null;
  function stockChart(si) {
    invBy = invBy || rowsBySeries(inv);
    var rows = invBy[si] || [];
    var wk = inv.col("week"), m = inv.col("on_hand_mean"), lo = inv.col("on_hand_q0.1"), hi = inv.col("on_hand_q0.9"), sh = inv.col("shortage_mean");
    var labels = rows.map(function (r) { return wk[r]; });
    function pick(c) { return rows.map(function (r) { return c[r]; }); }
    return chart({ labels: labels, title: "projected stock " + seriesSku[si] + " " + seriesWh[si], layers: [
      { kind: "band", lo: pick(lo), hi: pick(hi), color: "var(--band)" },
      { kind: "line", y: pick(m), color: "#1f6feb" },
      { kind: "bars", y: pick(sh), color: "rgba(198,40,40,.65)", width: 0.35 }
    ] });
  }
  function warehouseCharts() {
    if (!cap.n) return "";
    var res = cap.col("resource"), name = cap.col("name"), wk = cap.col("week"), c = cap.col("capacity");
    var m = cap.col("use_mean"), lo = cap.col("use_q0.1"), hi = cap.col("use_q0.9");
    var groups = {};
    for (var i = 0; i < cap.n; i++) { var k = res[i] + "|" + name[i]; (groups[k] = groups[k] || []).push(i); }
    var h = "";
    ["warehouse", "supplier"].forEach(function (kind) {
      var keys = Object.keys(groups).filter(function (k) { return k.split("|")[0] === kind; }).sort();
      if (!keys.length) return;
      h += "<h2>" + (kind === "warehouse" ? "Warehouse volume against capacity" : "Supplier orders against weekly capacity") + "</h2>";
      h += kind === "warehouse"
        ? legend([["expected stock volume", "#1f6feb"], ["p10–p90 over the scenarios", "rgba(31,111,235,.25)"], ["capacity", "#c62828"]])
        : legend([["expected units ordered", "#1f6feb"], ["capacity", "#c62828"]]);
      h += '<div class="grid2">';
      keys.forEach(function (k) {
        var rows = groups[k];
        function pick(col) { return rows.map(function (r) { return col[r]; }); }
        var caps = pick(c), finite = caps.some(function (v) { return v !== null; });
        var layers = kind === "warehouse"
          ? [{ kind: "band", lo: pick(lo), hi: pick(hi), color: "var(--band)" }, { kind: "line", y: pick(m), color: "#1f6feb" }]
          : [{ kind: "bars", y: pick(m), color: "#1f6feb" }];
        var peak = 0;
        rows.forEach(function (r) { if (c[r]) peak = Math.max(peak, (kind === "warehouse" ? (hi[r] || m[r]) : m[r]) / c[r]); });
        h += '<div class="card"><h3>' + esc(k.split("|")[1]) + ' <span class="muted small">' +
          (finite ? "peak use " + pct(peak, 0) + " of capacity" : "unlimited") + "</span></h3>" +
          chart({ labels: pick(wk), layers: layers, hlines: finite ? [{ y: caps, color: "#c62828" }] : [], h: 190 }) + "</div>";
      });
      h += "</div>";
    });
    return h;
  }
  function renderStock() {
    var h = '<h2 class="print-title">Projected stock</h2>';
    var sel = selectedSku();
    if (sel) {
      h += skuDetailHeader(sel) + "<h2>Projected stock of " + esc(sel) + "</h2>" +
        legend([["expected on hand (end of week)", "#1f6feb"], ["p10–p90 over the scenarios", "rgba(31,111,235,.25)"], ["expected shortage", "rgba(198,40,40,.65)"]]) + '<div class="grid2">';
      seriesOf(sel).forEach(function (si) { h += '<div class="card" data-sku="' + esc(sel) + '"><h3>' + esc(sel) + " at " + esc(seriesWh[si]) + "</h3>" + stockChart(si) + "</div>"; });
      h += "</div>";
    } else {
      h += matchesBox() || '<p class="muted">Type a SKU code in the search box to see its projected stock band per warehouse.</p>';
    }
    h += warehouseCharts();
    if (inv.n) {
      // the series at risk: lowest fill rate over the plan weeks
      invBy = invBy || rowsBySeries(inv);
      var fr = inv.col("fill_rate"), sh = inv.col("shortage_mean"), m = inv.col("on_hand_mean");
      var risk = [];
      Object.keys(invBy).forEach(function (si) {
        var rows = invBy[si], minFill = 1, short = 0, end = m[rows[rows.length - 1]];
        rows.forEach(function (r) { minFill = Math.min(minFill, fr[r] === null ? 1 : fr[r]); short += sh[r] || 0; });
        if (skuMatch(seriesSku[si])) risk.push({ s: +si, minFill: minFill, short: short, end: end });
      });
      risk.sort(function (a, b) { return a.minFill - b.minFill || b.short - a.short; });
      var idx = risk.map(function (_, i) { return i; });
      h += "<h2>Series by weakest week</h2>";
      h += dataTable("risk", [
        { key: "sku", label: "SKU", fmt: function (v) { return '<a href="#" data-goto-sku="' + esc(v) + '">' + esc(v) + "</a>"; } },
        { key: "wh", label: "Warehouse" },
        { key: "minFill", label: "Lowest weekly fill rate", num: true, fmt: meter },
        { key: "short", label: "Expected shortage (units)", num: true, fmt: qty },
        { key: "end", label: "On hand at horizon end", num: true, fmt: qty }
      ], idx, function (k) {
        return risk.map(function (r) { return k === "sku" ? seriesSku[r.s] : k === "wh" ? seriesWh[r.s] : r[k]; });
      }, { skuKey: "sku" });
    }
    return h;
  }

  /* --- plan: forecast fan charts over the history --- */
  function fanChart(si) {
    fcBy = fcBy || rowsBySeries(fc);
    histBy = histBy || (hist.n ? rowsBySeries(hist) : {});
    var hr = histBy[si] || [], fr = fcBy[si] || [];
    var hw = hist.n ? hist.col("week") : [], hq = hist.n ? hist.col("quantity") : [];
    var fw = fc.col("week");
    var labels = hr.map(function (r) { return hw[r]; }).concat(fr.map(function (r) { return fw[r]; }));
    var nh = hr.length, nf = fr.length;
    function fcLine(name) {
      var c = fc.col(name), out = new Array(nh).fill(null);
      fr.forEach(function (r) { out.push(c[r]); });
      if (nh && nf && name !== "q0.05" && name !== "q0.95" && name !== "q0.1" && name !== "q0.9") out[nh - 1] = hq[hr[nh - 1]];
      return out;
    }
    var actual = hr.map(function (r) { return hq[r]; }).concat(new Array(nf).fill(null));
    return chart({ labels: labels, vline: nh || null, w: 620, h: 230, title: "forecast " + seriesSku[si] + " " + seriesWh[si], layers: [
      { kind: "band", lo: fcLine("q0.05"), hi: fcLine("q0.95"), color: "var(--band2)" },
      { kind: "band", lo: fcLine("q0.1"), hi: fcLine("q0.9"), color: "var(--band)" },
      { kind: "line", y: actual, color: "#44515e", width: 1.3 },
      { kind: "line", y: fcLine("q0.5"), color: "#1f6feb" },
      { kind: "line", y: fcLine("mean"), color: "#1f6feb", dash: "4,3", width: 1.2 }
    ] });
  }
  var models = {};
  if (D.forecast_model) D.forecast_model.s.forEach(function (s, i) { models[s] = D.forecast_model.model[i]; });
  function renderForecast() {
    if (!fc.n) return '<div class="empty">This run has no forecast table.</div>';
    var h = '<h2 class="print-title">Forecasts</h2>';
    var sel = selectedSku(), list;
    var lg = legend([["demand history", "#44515e"], ["median forecast", "#1f6feb"], ["p10–p90", "rgba(31,111,235,.3)"], ["p5–p95", "rgba(31,111,235,.15)"]]);
    if (sel) {
      list = seriesOf(sel);
      h += skuDetailHeader(sel) + "<h2>Demand forecast of " + esc(sel) + "</h2>";
    } else {
      fcBy = fcBy || rowsBySeries(fc);
      var mean = fc.col("mean"), tot = Object.keys(fcBy).map(function (s) {
        var t = 0; fcBy[s].forEach(function (r) { t += mean[r] || 0; }); return { s: +s, t: t };
      }).filter(function (o) { return skuMatch(seriesSku[o.s]); });
      tot.sort(function (a, b) { return b.t - a.t; });
      list = tot.slice(0, 6).map(function (o) { return o.s; });
      h += matchesBox() + "<h2>Largest series" + (state.sku ? " matching “" + esc(state.sku) + "”" : "") + "</h2><p class=\"muted\">Type a SKU code to see its own fan charts.</p>";
    }
    h += lg + '<div class="grid2">';
    list.forEach(function (si) {
      h += '<div class="card" data-sku="' + esc(seriesSku[si]) + '"><h3>' + esc(seriesSku[si]) + " at " + esc(seriesWh[si]) +
        ' <span class="muted small">model: ' + esc(models[si] || "–") + "</span></h3>" + fanChart(si) + "</div>";
    });
    h += "</div>";
    if (D.forecast_selection) {
      var sel2 = T("forecast_selection"), ids = sel2.col("id"), chosen = sel2.col("chosen");
      var counts = {};
      for (var i = 0; i < sel2.n; i++) if (chosen[i]) { var mm = sel2.col("model")[i]; counts[mm] = (counts[mm] || 0) + 1; }
      var ranked = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
      var top = ranked.slice(0, 10).map(function (k) { return { label: k, value: counts[k] }; });
      var others = 0;
      ranked.slice(10).forEach(function (k) { others += counts[k]; });
      if (others) top.push({ label: (ranked.length - 10) + " other models", value: others, color: "#9aa6b2" });
      h += "<h2>Models chosen by backtest</h2>" + hbars(top, function (v) { return num(v) + " series"; });
      if (sel) {
        var rows = [];
        for (var j = 0; j < sel2.n; j++) if (String(ids[j]).split("/")[0] === sel) rows.push(j);
        h += "<h3>Backtest scores of " + esc(sel) + " (lower is better)</h3>" + dataTable("selection", [
          { key: "id", label: "Series" }, { key: "model", label: "Model" },
          { key: "score", label: "Score", num: true, fmt: function (v) { return num(v, 3); } },
          { key: "chosen", label: "Chosen", fmt: function (v) { return v ? "✔" : ""; } }
        ], rows, function (k) { return sel2.col(k); }, { sort: { key: "score", dir: 1 } });
      }
    }
    return h;
  }

  /* --- plan: costs, bottlenecks, service --- */
  var COST_LABELS = { purchase: "Purchase", logistics: "Logistics (shipping)", fixed: "Fixed order costs", holding: "Holding",
    shortage: "Shortage", transfer: "Transfers", terminal: "Terminal value of stock (credit)" };
  function renderCosts() {
    var c = S.costs || {}, total = 0;
    Object.keys(c).forEach(function (k) { total += c[k] || 0; });
    var h = '<h2 class="print-title">Costs</h2><h2>Expected cost by component</h2>';
    h += hbars(Object.keys(c).map(function (k) {
      return { label: COST_LABELS[k] || k, value: c[k], note: total ? pct(c[k] / total) : "" };
    }));
    h += kv([["Total expected cost", "<b>" + money(S.objective !== undefined ? S.objective : total) + "</b>"]]);
    var v = S.value_of_information;
    if (v) {
      h += "<h2>Value of the stochastic plan</h2>" + kv([
        ["Stochastic plan (RP)", money(v.rp)], ["Plan on the mean forecast, evaluated on the scenarios (EEV)", money(v.eev)],
        ["Value of the stochastic solution (VSS = EEV − RP)", "<b>" + money(v.vss) + "</b>"],
        ["Wait-and-see (perfect foresight, WS)", money(v.ws)], ["Expected value of perfect information (EVPI = RP − WS)", money(v.evpi)]
      ]);
    }
    if (S.risk) h += "<h2>Risk</h2>" + kv(Object.keys(S.risk).map(function (k) { var x = S.risk[k]; return [k, typeof x === "number" ? num(x, 2) : esc(JSON.stringify(x))]; }));
    return h;
  }
  function renderBottlenecks() {
    var b = S.bottlenecks || [];
    var h = '<h2 class="print-title">Bottlenecks</h2><h2>Binding capacities and budget</h2>';
    if (!b.length) return h + '<p class="empty">Nothing binds: no warehouse, supplier capacity or budget limits the plan.</p>';
    h += '<p class="muted">The shadow price is what one more unit of the resource in that week would save in expected cost.</p>';
    h += '<table id="bottlenecks"><thead><tr><th>Constraint</th><th>Resource</th><th>Weeks binding</th><th class="num">Max shadow price</th><th>What it means</th></tr></thead><tbody>';
    b.forEach(function (x) {
      var wks = x.weeks || [];
      h += "<tr><td>" + esc(String(x.constraint || "").replace(/_/g, " ")) + "</td><td>" + esc(x.name || x.supplier || x.warehouse || "") +
        "</td><td>" + num(wks.length) + (wks.length ? ' <span class="muted small">' + esc(wks[0]) + (wks.length > 1 ? " – " + esc(wks[wks.length - 1]) : "") + "</span>" : "") +
        '</td><td class="num">' + num(x.max_shadow_price, 3) + "</td><td>" + esc(x.message || "") + "</td></tr>";
    });
    h += "</tbody></table>";
    h += '<div class="grid2">';
    b.forEach(function (x) {
      var sp = x.shadow_price_by_week || {};
      var wks = planWeeks.length ? planWeeks : Object.keys(sp);
      h += '<div class="card"><h3>' + esc(x.name || "") + ' <span class="muted small">' + esc(String(x.constraint || "").replace(/_/g, " ")) + ", shadow price per week</span></h3>" +
        chart({ labels: wks, h: 160, layers: [{ kind: "bars", y: wks.map(function (w) { return sp[w] || 0; }), color: "#b35900" }] }) + "</div>";
    });
    return h + "</div>";
  }
  function renderService() {
    if (!D.service) return '<div class="empty">This run has no service table.</div>';
    var sv = T("service"), sku = sv.col("sku"), fr = sv.col("fill_rate"), rows = [];
    for (var i = 0; i < sv.n; i++) if (skuMatch(sku[i])) rows.push(i);
    var below = 0;
    for (var j = 0; j < sv.n; j++) if (fr[j] !== null && fr[j] < 0.95) below++;
    var svc = S.service || {};
    var h = '<h2 class="print-title">Service</h2>' + (selectedSku() ? skuDetailHeader(selectedSku()) : matchesBox()) + "<h2>Service by SKU and warehouse</h2>" +
      kv([["Expected fill rate", svc.fill_rate !== undefined ? pct(svc.fill_rate) : null],
        ["Cycle service level", svc.cycle_service_level !== undefined ? pct(svc.cycle_service_level) : null],
        ["Series below 95% fill rate", num(below) + " of " + num(sv.n)]]);
    h += dataTable("service", [
      { key: "sku", label: "SKU" }, { key: "warehouse", label: "Warehouse" },
      { key: "demand_mean", label: "Expected demand", num: true, fmt: qty },
      { key: "shortage_mean", label: "Expected shortage", num: true, fmt: qty },
      { key: "fill_rate", label: "Fill rate", num: true, fmt: meter },
      { key: "cycle_service_level", label: "Cycle service level", num: true, fmt: function (v) { return pct(v); } }
    ], rows, function (k) { return sv.col(k); }, { sort: { key: "fill_rate", dir: 1 }, skuKey: "sku" });
    if (D.transfers) {
      var tr = T("transfers"), ts = tr.col("sku"), trows = [];
      for (var k = 0; k < tr.n; k++) if (skuMatch(ts[k])) trows.push(k);
      h += "<h2>Expected transfers between warehouses</h2>" + dataTable("transfers", [
        { key: "week", label: "Week" }, { key: "sku", label: "SKU" }, { key: "from_warehouse", label: "From" },
        { key: "to_warehouse", label: "To" }, { key: "quantity_mean", label: "Expected quantity", num: true, fmt: qty }
      ], trows, function (k) { return tr.col(k); }, { skuKey: "sku" });
    }
    return h;
  }

  /* --- shared: data quality, scenario, run --- */
  function renderQuality() {
    var q = D.data_quality;
    var h = '<h2 class="print-title">Data quality</h2>';
    if (!q) return h + '<div class="empty">No data-quality report in this run.</div>';
    h += "<h2>Dataset " + esc(q.dataset || "") + "</h2>";
    if (q.summary) h += kv(Object.keys(q.summary).map(function (k) { return [k, esc(q.summary[k])]; }));
    if (q.rows_read) {
      h += '<h3>Rows per table</h3><table><thead><tr><th>Table</th><th>File</th><th class="num">Rows read</th><th class="num">Rows after cleaning</th></tr></thead><tbody>';
      Object.keys(q.rows_read).forEach(function (t) {
        h += "<tr><td>" + esc(t) + "</td><td class=\"muted\">" + esc((q.files || {})[t] || "") + '</td><td class="num">' + num(q.rows_read[t]) +
          '</td><td class="num">' + num((q.rows_clean || {})[t]) + "</td></tr>";
      });
      h += "</tbody></table>";
    }
    var steps = q.steps || [];
    h += "<h3>Cleaning steps and defaults applied</h3>";
    h += steps.length ? '<table><thead><tr><th>Table</th><th>Step</th><th>Column</th><th class="num">Count</th><th>Detail</th></tr></thead><tbody>' +
      steps.map(function (s) {
        return "<tr><td>" + esc(s.table) + "</td><td>" + esc(s.step) + "</td><td>" + esc(s.column || "") + '</td><td class="num">' + num(s.count) + "</td><td>" + esc(s.detail || "") + "</td></tr>";
      }).join("") + "</tbody></table>" : '<p class="muted">No data were changed.</p>';
    if (q.ignored && q.ignored.length) {
      h += "<h3>Files ignored</h3><ul>" + q.ignored.map(function (g) { return "<li>" + esc(g.file) + ": " + esc(g.reason) + "</li>"; }).join("") + "</ul>";
    }
    if (q.fingerprint) h += '<p class="muted small">Dataset fingerprint ' + esc(q.fingerprint) + "</p>";
    return h;
  }
  function renderScenario() {
    var h = '<h2 class="print-title">Scenario</h2><h2>Resolved scenario</h2>';
    if (S.overrides && S.overrides.length) h += "<h3>Overrides (--set)</h3><ul>" + S.overrides.map(function (o) { return "<li><code>" + esc(o) + "</code></li>"; }).join("") + "</ul>";
    if (S.whatif && S.whatif.length) h += "<h3>What-if changes</h3><ul>" + S.whatif.map(function (o) { return "<li>" + esc(o) + "</li>"; }).join("") + "</ul>";
    h += D.scenario_yaml ? '<pre id="scenario-yaml">' + esc(D.scenario_yaml) + "</pre>" : '<p class="muted">No scenario in summary.json.</p>';
    return h;
  }
  function renderRun() {
    var h = '<h2 class="print-title">Run</h2><h2>Run</h2>' + kv([["Folder", esc(D.folder)], ["Kind", esc(D.kind)],
      ["Status", esc(S.status || (D.finished ? "" : "unfinished: no summary.json"))], ["Report generated", esc(D.generated)],
      ["Dataset fingerprint", S.dataset_fingerprint ? '<span class="small">' + esc(S.dataset_fingerprint) + "</span>" : null]]);
    function obj(title, o, f) {
      if (!o || typeof o !== "object") return "";
      return "<h3>" + title + "</h3>" + kv(Object.keys(o).map(function (k) { var v = o[k]; return [k, typeof v === "number" ? f(v) : esc(typeof v === "object" ? JSON.stringify(v) : v)]; }));
    }
    h += obj("Model", S.model, function (v) { return num(v); });
    h += obj("Solver", S.solver, function (v) { return num(v, v === Math.round(v) ? 0 : 3); });
    h += obj("Timings (seconds)", S.timings, function (v) { return num(v, 1); });
    var skip = { status: 1, objective: 1, costs: 1, service: 1, bottlenecks: 1, risk: 1, value_of_information: 1, model: 1, solver: 1, timings: 1,
      plan_weeks: 1, notes: 1, overrides: 1, whatif: 1, dataset_fingerprint: 1, kind: 1 };
    var rest = {};
    Object.keys(S).forEach(function (k) { if (!skip[k]) rest[k] = S[k]; });
    if (Object.keys(rest).length) h += "<h3>Other summary fields</h3><pre>" + esc(JSON.stringify(rest, null, 2)) + "</pre>";
    return h;
  }
  function renderImages() {
    return (D.images || []).map(function (im) {
      return '<div class="card"><h3>' + esc(im.name) + '</h3><img class="plot" alt="' + esc(im.name) + '" src="data:image/png;base64,' + im.src + '"></div>';
    }).join("");
  }

  /* --- simulate: policy comparison --- */
  var POLICY_COLORS = ["#1f6feb", "#c62828", "#1a7f37", "#b35900", "#6f42c1", "#0b7285", "#5d6b7a"];
  function renderPolicies() {
    var h = '<h2 class="print-title">Policies</h2>';
    if (!D.kpis) return h + '<div class="empty">No kpis.csv in this run.</div>';
    var k = T("kpis"), pol = k.col("policy"), tc = k.col("total_cost"), best = -1;
    for (var i = 0; i < k.n; i++) if (pol[i] !== "oracle" && tc[i] !== null && (best < 0 || tc[i] < tc[best])) best = i;
    h += "<h2>Total cost by policy</h2>" + hbars(pol.map(function (p, i) {
      return { label: p + (i === best ? " (lowest)" : ""), value: tc[i], color: p === "oracle" ? "#9aa6b2" : POLICY_COLORS[0] };
    }));
    h += '<p class="muted small">“oracle” knows the demand in advance: a lower bound, not a policy one can run.</p>';
    var cols = Object.keys(k.raw).map(function (c) {
      var pctCol = c === "fill_rate" || c === "cycle_service_level";
      return { key: c, label: c.replace(/_/g, " "), num: c !== "policy", fmt: c === "policy" ? null : pctCol ? function (v) { return pct(v); } : plain };
    });
    h += "<h2>KPIs</h2>" + dataTable("kpis", cols, pol.map(function (_, i) { return i; }), function (c) { return k.col(c); });
    if (D.weekly) {
      var w = T("weekly"), wp = w.col("policy"), ww = w.col("week"), weeks = uniq(ww).sort();
      var policies = uniq(pol.concat(wp)).filter(function (p) { return wp.indexOf(p) >= 0; });
      ["cost", "on_hand_end", "short"].forEach(function (m) {
        if (!w.has(m)) return;
        var mc = w.col(m);
        var layers = policies.map(function (p, pi) {
          var y = weeks.map(function () { return null; });
          for (var i = 0; i < w.n; i++) if (wp[i] === p) y[weeks.indexOf(ww[i])] = mc[i];
          return { kind: "line", y: y, color: POLICY_COLORS[pi % POLICY_COLORS.length], width: 1.5 };
        });
        h += "<h2>" + { cost: "Cost per week", on_hand_end: "Stock on hand at week end", short: "Units short per week" }[m] + "</h2>" +
          legend(policies.map(function (p, pi) { return [p, POLICY_COLORS[pi % POLICY_COLORS.length]]; })) + chart({ labels: weeks, layers: layers, w: 900, h: 240 });
      });
    }
    if (D.by_series) {
      var bs = T("by_series"), bsku = bs.col("sku"), rows = [];
      for (var j = 0; j < bs.n; j++) if (skuMatch(bsku[j])) rows.push(j);
      h += "<h2>Service by SKU and policy</h2>" + dataTable("by-series", Object.keys(bs.raw).map(function (c) {
        return { key: c, label: c.replace(/_/g, " "), num: ["policy", "sku", "warehouse"].indexOf(c) < 0,
          fmt: c === "fill_rate" ? meter : ["policy", "sku", "warehouse"].indexOf(c) >= 0 ? null : qty };
      }), rows, function (c) { return bs.col(c); }, { skuKey: "sku", sort: { key: "fill_rate", dir: 1 } });
    }
    var imgs = renderImages();
    if (imgs) h += "<h2>Plots</h2><div class=\"plots\">" + imgs + "</div>";
    return h;
  }

  /* --- sweep: sensitivity --- */
  function renderSweep() {
    var h = '<h2 class="print-title">Sensitivity</h2>';
    if (!D.sweep) return h + '<div class="empty">No sweep.csv in this run.</div>';
    var sw = T("sweep"), keys = D.sweep_keys || [], obj = sw.col("objective"), status = sw.col("status");
    var ok = [];
    for (var i = 0; i < sw.n; i++) if (obj[i] !== null && (!status || !status[i] || /optimal|feasible|time/i.test(status[i]))) ok.push(i);
    var all = ok.map(function (i) { return obj[i]; }), base = all.length ? all.reduce(function (a, b) { return a + b; }, 0) / all.length : 0;
    var bars = keys.map(function (key) {
      var c = sw.col(key), groups = {};
      ok.forEach(function (i) { var v = String(c[i]); (groups[v] = groups[v] || []).push(obj[i]); });
      var vals = Object.keys(groups).map(function (v) { var g = groups[v]; return { v: v, m: g.reduce(function (a, b) { return a + b; }, 0) / g.length }; });
      vals.sort(function (a, b) { var x = parseFloat(a.v), y = parseFloat(b.v); return isNaN(x) || isNaN(y) ? (a.v < b.v ? -1 : 1) : x - y; });
      var lo = vals.reduce(function (a, b) { return b.m < a.m ? b : a; }, vals[0] || { m: 0 });
      var hi = vals.reduce(function (a, b) { return b.m > a.m ? b : a; }, vals[0] || { m: 0 });
      return { key: key, vals: vals, lo: lo, hi: hi, range: (hi.m || 0) - (lo.m || 0) };
    }).sort(function (a, b) { return b.range - a.range; });
    if (bars.length) {
      // tornado: expected cost range per varied key, around the mean over all points
      var min = Infinity, max = -Infinity;
      bars.forEach(function (b) { min = Math.min(min, b.lo.m); max = Math.max(max, b.hi.m); });
      var W = 760, L = 200, R = 130, rowH = 30, H = bars.length * rowH + 30;
      var span = max - min || 1;
      function x(v) { return L + ((v - min) / span) * (W - L - R); }
      var s = '<svg id="tornado" viewBox="0 0 ' + W + " " + H + '" width="' + W + '" height="' + H + '" role="img" aria-label="tornado">';
      bars.forEach(function (b, i) {
        var y = 10 + i * rowH;
        s += '<text x="' + (L - 8) + '" y="' + (y + 16) + '" text-anchor="end">' + esc(b.key) + "</text>";
        s += '<rect x="' + x(b.lo.m).toFixed(1) + '" y="' + y + '" width="' + Math.max(1, x(b.hi.m) - x(b.lo.m)).toFixed(1) + '" height="' + (rowH - 8) + '" fill="#1f6feb" opacity=".8"><title>' +
          esc(b.key) + ": " + money(b.lo.m) + " at " + esc(b.lo.v) + " to " + money(b.hi.m) + " at " + esc(b.hi.v) + "</title></rect>";
        s += '<text x="' + (x(b.hi.m) + 6).toFixed(1) + '" y="' + (y + 16) + '">' + esc(b.lo.v) + " → " + esc(b.hi.v) + " : " + shortNum(b.range) + "</text>";
      });
      var bx = x(base).toFixed(1);
      s += '<line x1="' + bx + '" x2="' + bx + '" y1="4" y2="' + (H - 20) + '" stroke="#44515e" stroke-dasharray="3,3"/>';
      s += '<text x="' + bx + '" y="' + (H - 6) + '" text-anchor="middle">mean ' + shortNum(base) + "</text></svg>";
      h += "<h2>Tornado: expected cost range per varied key</h2><p class=\"muted small\">Each bar spans the expected cost averaged over the other keys, from the key's cheapest to its dearest value.</p>" + s;
      h += "<h2>Cost curves</h2><div class=\"grid2\">";
      bars.forEach(function (b) {
        h += '<div class="card"><h3>' + esc(b.key) + "</h3>" + chart({ labels: b.vals.map(function (v) { return v.v; }), h: 190, fromZero: false,
          layers: [{ kind: "line", y: b.vals.map(function (v) { return v.m; }), color: "#1f6feb" }] }) + "</div>";
      });
      h += "</div>";
    }
    var imgs = renderImages();
    if (imgs) h += "<h2>Plots</h2><div class=\"plots\">" + imgs + "</div>";
    return h;
  }
  function renderPoints() {
    var sw = T("sweep"), links = D.sweep_links || [];
    var cols = Object.keys(sw.raw).map(function (c) {
      var isKey = (D.sweep_keys || []).indexOf(c) >= 0 || c === "status" || c === "bottlenecks";
      return { key: c, label: c.replace(/_/g, " "), num: !isKey, fmt: isKey ? null : c === "fill_rate" ? function (v) { return pct(v); } : plain };
    });
    if (links.some(function (l) { return l; })) cols.push({ key: "__link", label: "Report", fmt: function (v) { return v ? '<a href="' + esc(v) + '">open</a>' : ""; } });
    var rows = []; for (var i = 0; i < sw.n; i++) rows.push(i);
    return '<h2 class="print-title">Points</h2><h2>Grid points</h2>' + dataTable("points", cols, rows, function (c) { return c === "__link" ? links : sw.col(c); });
  }

  /* ---------- header, KPIs, notes ---------- */
  function kpi(label, value, hint) {
    return '<div class="kpi"><div class="label">' + esc(label) + '</div><div class="value">' + value + "</div>" + (hint ? '<div class="hint">' + hint + "</div>" : "") + "</div>";
  }
  function header() {
    var kindLabel = { plan: "Procurement plan", simulate: "Policy simulation", sweep: "Cost sweep" }[D.kind];
    document.getElementById("kind-label").textContent = kindLabel;
    var st = S.status || (D.finished ? "" : "unfinished");
    var cls = /infeasible|error|fail|unbounded|unfinished/i.test(st) ? " bad" : /optimal|done|finished|ok/i.test(st) ? "" : " warn";
    document.getElementById("subtitle").innerHTML = (st ? '<span class="status' + cls + '">' + esc(st) + "</span> " : "") +
      esc(D.run) + (planWeeks.length && D.kind === "plan" ? " · " + num(planWeeks.length) + " weeks from " + esc(planWeeks[0]) : "") +
      " · generated " + esc(D.generated);
    var k = "";
    if (D.kind === "plan") {
      var c = orders.n ? orders.col("line_cost") : [], cm = orders.n ? orders.col("committed") : [], sup = orders.n ? orders.col("supplier") : [];
      var nowLines = 0, nowValue = 0, nowSup = {};
      for (var i = 0; i < orders.n; i++) if (cm[i]) { nowLines++; nowValue += c[i] || 0; nowSup[sup[i]] = 1; }
      k += kpi("Expected total cost", money(S.objective), S.costs ? "purchase " + shortNum(S.costs.purchase || 0) + ", shortage " + shortNum(S.costs.shortage || 0) : "");
      k += kpi("Orders to place now", '<a href="#tab=orders" data-goto-tab="orders">' + num(nowLines) + " lines</a>", money(nowValue) + " from " + num(Object.keys(nowSup).length) + " suppliers");
      if (S.service) k += kpi("Expected fill rate", pct(S.service.fill_rate), "cycle service level " + pct(S.service.cycle_service_level));
      k += kpi("Binding constraints", num((S.bottlenecks || []).length), (S.bottlenecks || []).slice(0, 2).map(function (b) { return esc(b.name); }).join(", "));
      if (S.value_of_information) k += kpi("Value of the stochastic plan", money(S.value_of_information.vss), "EVPI " + money(S.value_of_information.evpi));
      if (S.model) k += kpi("Model", num(S.model.series) + " series", num(S.model.scenarios) + " scenarios · " + num(S.model.variables) + " variables");
    } else if (D.kind === "simulate" && D.kpis) {
      var kp = T("kpis"), pol = kp.col("policy"), tc = kp.col("total_cost"), fr = kp.col("fill_rate");
      pol.forEach(function (p, i) { k += kpi(p, money(tc[i]), fr ? "fill rate " + pct(fr[i]) : ""); });
    } else if (D.kind === "sweep" && D.sweep) {
      var sw = T("sweep"), ob = sw.col("objective"), finite = ob.filter(function (v) { return v !== null; });
      k += kpi("Grid points", num(sw.n), (D.sweep_keys || []).map(esc).join(", "));
      if (finite.length) {
        k += kpi("Cheapest point", money(Math.min.apply(null, finite)));
        k += kpi("Dearest point", money(Math.max.apply(null, finite)));
      }
    }
    document.getElementById("kpis").innerHTML = k;
    var notes = (S.notes || []).slice();
    if (!D.finished) notes.unshift("summary.json is missing: the run did not finish; the tables shown are whatever it wrote.");
    if (notes.length) {
      var box = document.getElementById("notes");
      box.hidden = false;
      box.innerHTML = "<b>Notes</b><ul>" + notes.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul>";
    }
    document.getElementById("footer").textContent = "planner report · " + D.folder + " · built from the run folder's files; rebuild with: planner report " + D.folder;
  }

  /* ---------- tabs and events ---------- */
  function render(id) {
    var sec = sections.filter(function (s) { return s.id === id; })[0];
    if (!sec) return;
    document.getElementById("sec-" + id).innerHTML = sec.render();
    sec.dirty = false;
  }
  function show(id, noHash) {
    if (!sections.some(function (s) { return s.id === id; })) id = sections[0].id;
    state.tab = id;
    sections.forEach(function (s) {
      var on = s.id === id;
      document.getElementById("sec-" + s.id).classList.toggle("active", on);
      document.getElementById("tab-" + s.id).setAttribute("aria-selected", on ? "true" : "false");
      if (on && s.dirty) render(s.id);
    });
    if (!noHash) writeHash();
  }
  function refresh() {
    sections.forEach(function (s) { s.dirty = true; });
    render(state.tab); writeHash();
  }
  /* the one search path: typing, the clear button, links to a SKU and #sku=CODE all call it */
  function setSku(value, noRender) {
    state.sku = (value || "").trim();
    var box = document.getElementById("sku-search");
    if (box.value.trim() !== state.sku) box.value = state.sku;
    showAll = {};
    if (!noRender) refresh();
  }

  if (D.kind === "plan") {
    section("orders", "Orders", renderOrders);
    section("stock", "Projected stock", renderStock);
    section("forecast", "Forecasts", renderForecast);
    section("costs", "Costs", renderCosts);
    section("bottlenecks", "Bottlenecks", renderBottlenecks);
    section("service", "Service", renderService);
  } else if (D.kind === "simulate") {
    section("policies", "Policy comparison", renderPolicies);
  } else {
    section("sensitivity", "Sensitivity", renderSweep);
    section("points", "Grid points", renderPoints);
  }
  section("quality", "Data quality", renderQuality);
  section("scenario", "Scenario", renderScenario);
  section("run", "Run", renderRun);

  var tabs = document.getElementById("tabs"), main = document.getElementById("sections");
  tabs.innerHTML = sections.map(function (s) {
    return '<button type="button" role="tab" id="tab-' + s.id + '" data-tab="' + s.id + '">' + esc(s.label) + "</button>";
  }).join("");
  main.innerHTML = sections.map(function (s) { return '<section class="section" id="sec-' + s.id + '" role="tabpanel"></section>'; }).join("");
  document.getElementById("sku-list").innerHTML = allSkus.map(function (s) { return '<option value="' + esc(s) + '">'; }).join("");
  header();

  tabs.addEventListener("click", function (e) { var t = e.target.closest("[data-tab]"); if (t) show(t.getAttribute("data-tab")); });
  var search = document.getElementById("sku-search"), timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { setSku(search.value); }, 150); });
  document.getElementById("sku-clear").addEventListener("click", function () { search.value = ""; setSku(""); });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { search.value = ""; clearTimeout(timer); setSku(""); }
    if (e.key === "Enter") {
      clearTimeout(timer);
      var hits = allSkus.filter(function (k) { return k.toLowerCase().indexOf(search.value.trim().toLowerCase()) >= 0; });
      setSku(hits.length ? hits[0] : search.value);
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    var chip = t.closest("[data-supplier]");
    if (chip && chip.classList.contains("chip")) { state.supplier = chip.getAttribute("data-supplier"); showAll = {}; refresh(); return; }
    var cell = t.closest("[data-cell]");
    if (cell) { e.preventDefault(); var p = cell.getAttribute("data-cell").split("|"); state.supplier = p[0]; state.week = p[1]; refresh(); document.getElementById("sec-orders").scrollIntoView(); return; }
    var more = t.closest("[data-showall]");
    if (more) { showAll[more.getAttribute("data-showall")] = true; refresh(); return; }
    var go = t.closest("[data-goto-sku]");
    if (go) { e.preventDefault(); search.value = go.getAttribute("data-goto-sku"); setSku(search.value); return; }
    var gt = t.closest("[data-goto-tab]");
    if (gt) { e.preventDefault(); state.week = ""; state.supplier = ""; show(gt.getAttribute("data-goto-tab")); refresh(); return; }
    var th = t.closest("th.sortable");
    if (th) {
      var id = th.getAttribute("data-table"), key = th.getAttribute("data-key"), cur = sortState[id];
      sortState[id] = { key: key, dir: cur && cur.key === key ? -cur.dir : 1 };
      refresh(); return;
    }
    if (t.id === "orders-csv") ordersCsv();
  });
  document.addEventListener("change", function (e) {
    if (e.target.id === "week-select") { state.week = e.target.value; showAll = {}; refresh(); }
  });
  window.addEventListener("hashchange", function () {
    var h = readHash();
    state.supplier = h.supplier || "";
    state.week = h.week || "";
    setSku(h.sku || "", true);
    sections.forEach(function (s) { s.dirty = true; });
    show(h.tab || state.tab);
  });
  window.addEventListener("beforeprint", function () {
    sections.forEach(function (s) { if (s.dirty) render(s.id); });
  });

  var h0 = readHash();
  if (h0.supplier) state.supplier = h0.supplier;
  if (h0.week) state.week = h0.week;
  if (h0.sku) setSku(h0.sku, true);
  if (h0.view === "all") {
    // every section rendered and shown one after the other (as when printing)
    document.body.classList.add("all");
    sections.forEach(function (s) { render(s.id); });
  }
  show(h0.tab || sections[0].id, true);
  document.body.setAttribute("data-ready", "1");
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now() - T0)));
  document.body.setAttribute("data-load-ms", String(Math.round(performance.now())));
})();
