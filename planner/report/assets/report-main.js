  /* planner report, part 4 of 4: header and KPIs, tabs, events, start-up. */
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
