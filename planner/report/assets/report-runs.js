  /* planner report, part 3 of 4: tabs every run has (data quality, scenario, run) and the
     simulation and sweep tabs. */
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
    var PLANNED = { optimal: 1, time_limit_feasible: 1 }; /* the points that have a plan */
    for (var i = 0; i < sw.n; i++) if (obj[i] !== null && (!status[i] || PLANNED[status[i]])) ok.push(i);
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

