  /* planner report, part 2 of 4: the plan tabs (orders, stock, forecasts, costs,
     bottlenecks, service). */
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

