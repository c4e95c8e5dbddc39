/* Dashboards: draw every chart from its JSON spec (<script id="<chart>-spec">) with the vendored
 * ECharts, and toggle each chart's data table. Specs are built by jiesu/dashboards/views.py and
 * jiesu/warnings/views.py; kinds: line, bar, hbar, band (forecast with its band), map, heat. */
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var TEXT = zh
    ? { schematic: "示意边界，非法定行政区划", band: "预测区间", noData: "无数据" }
    : { schematic: "Schematic boundaries (示意), not the legal ones", band: "Forecast band", noData: "No data" };
  var COLORS = ["#1a5fb4", "#b3261e", "#1e7e34", "#b35c00", "#6b3fa0", "#00838f"];

  function fmt(value, kind) {
    if (value === null || value === undefined || isNaN(value)) return "—";
    if (kind === "pct") return (value * 100).toFixed(1) + "%";
    if (kind === "hours") return value.toFixed(1) + " h";
    if (kind === "score") return value.toFixed(1);
    return String(Math.round(value * 100) / 100);
  }

  function axisLabel(kind) {
    return { formatter: function (v) { return kind === "pct" ? Math.round(v * 100) + "%" : v; } };
  }

  function cartesian(spec, type, horizontal) {
    var category = { type: "category", data: spec.categories, axisLabel: { hideOverlap: true } };
    var value = { type: "value", axisLabel: axisLabel(spec.format), scale: spec.format === "pct" };
    return {
      color: COLORS,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v, spec.format); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: horizontal ? 120 : 48, right: 16, top: 32, bottom: 28, containLabel: false },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s) {
        return { type: type, name: s.name, data: s.data, smooth: !!s.smooth, showSymbol: false,
                 connectNulls: false, barMaxWidth: 28 };
      })
    };
  }

  function band(spec) {
    var low = spec.low, width = spec.high.map(function (h, i) { return h === null ? null : h - low[i]; });
    return {
      color: COLORS,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [spec.labels.actual, spec.labels.expected, TEXT.band] },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: spec.categories },
      yAxis: { type: "value" },
      series: [
        { name: "low", type: "line", data: low, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
          tooltip: { show: false } },
        { name: TEXT.band, type: "line", data: width, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
          areaStyle: { color: "rgba(26,95,180,.18)" }, itemStyle: { color: "rgba(26,95,180,.35)" } },
        { name: spec.labels.expected, type: "line", data: spec.expected, lineStyle: { type: "dashed" },
          itemStyle: { color: "#1a5fb4" }, showSymbol: false },
        { name: spec.labels.actual, type: "line", data: spec.actual, itemStyle: { color: "#b3261e" },
          markPoint: { symbol: "pin", symbolSize: 34, data: spec.alerts.map(function (i) {
            return { coord: [i, spec.actual[i]], value: "!" }; }) } }
      ]
    };
  }

  function schematicNote(geojson) {
    return geojson.schematic ? [{ type: "text", right: 8, bottom: 6, silent: true,
      style: { text: TEXT.schematic, fill: "#b35c00", font: "12px sans-serif" } }] : [];
  }

  function choropleth(spec, name, geojson) {
    var values = spec.values.map(function (v) { return v.value; }).filter(function (v) { return v !== null; });
    var max = values.length ? Math.max.apply(null, values) : 1, min = values.length ? Math.min.apply(null, values) : 0;
    return {
      tooltip: { trigger: "item", formatter: function (p) {
        var label = p.data && p.data.label ? p.data.label : p.name;
        return label + "<br>" + spec.measure + ": " + fmt(p.value, spec.format); } },
      visualMap: { min: min, max: max === min ? min + 1 : max, left: 8, bottom: 8, calculable: true,
                   inRange: { color: ["#e8f0fe", "#7aa7e0", "#1a5fb4", "#0b2e5c"] },
                   formatter: function (v) { return fmt(v, spec.format); } },
      graphic: schematicNote(geojson),
      series: [{ type: "map", map: name, nameProperty: "code", roam: true,
                 label: { show: false }, emphasis: { label: { show: true, formatter: function (p) {
                   return p.data && p.data.label ? p.data.label : p.name; } } },
                 data: spec.values.map(function (v) { return { name: v.name, value: v.value, label: v.label }; }) }]
    };
  }

  function heat(spec, name, geojson) {
    var max = spec.cells.reduce(function (m, c) { return Math.max(m, c[2]); }, 1);
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.value ? p.value[2] : ""; } },
      geo: { map: name, nameProperty: "code", roam: true, itemStyle: { areaColor: "#eef2f6", borderColor: "#9aa7b4" },
             emphasis: { disabled: true } },
      visualMap: { min: 0, max: max, left: 8, bottom: 8, calculable: true,
                   inRange: { color: ["#fff5cc", "#f4b400", "#e8710a", "#c5221f", "#7f1d1d"] } },
      graphic: schematicNote(geojson),
      series: [{ type: "heatmap", coordinateSystem: "geo", data: spec.cells, pointSize: 7, blurSize: 9 }]
    };
  }

  var geoCache = {};
  function loadGeo(url) {
    if (!geoCache[url]) {
      geoCache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
    }
    return geoCache[url];
  }

  function draw(el, spec) {
    var chart = echarts.init(el, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    window.addEventListener("resize", function () { chart.resize(); });
    if (spec.kind === "map" || spec.kind === "heat") {
      loadGeo(spec.geo).then(function (geojson) {
        var name = "jiesu:" + spec.geo;
        echarts.registerMap(name, geojson);
        chart.setOption(spec.kind === "map" ? choropleth(spec, name, geojson) : heat(spec, name, geojson));
      }).catch(function () { chart.setOption({ title: { text: TEXT.noData, left: "center", top: "middle" } }); });
      return chart;
    }
    var option = spec.kind === "band" ? band(spec)
      : cartesian(spec, spec.kind === "line" ? "line" : "bar", spec.kind === "hbar");
    chart.setOption(option);
    return chart;
  }

  function toggles() {
    document.querySelectorAll(".table-toggle").forEach(function (button) {
      button.addEventListener("click", function () {
        var table = document.getElementById(button.getAttribute("aria-controls"));
        var open = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", open ? "false" : "true");
        table.hidden = open;
      });
    });
  }

  function start() {
    toggles();
    if (typeof echarts === "undefined") return;
    document.querySelectorAll(".chart").forEach(function (el) {
      var script = document.getElementById(el.id + "-spec");
      if (script) draw(el, JSON.parse(script.textContent));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
