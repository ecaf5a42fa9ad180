/* Charts (ECharts) of the dashboard and the certificate coverage page, from data the page carries in
   json_script elements and data attributes; no inline script (Content-Security-Policy). Tooltips are drawn
   on the canvas (renderMode "richText"), so ECharts writes no HTML with inline styles. */
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(el, option) {
    var chart = window.echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    var towns = document.getElementById("chart-towns");
    var data = json("chart-data");
    if (towns && data) {
      draw(towns, {
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, renderMode: "richText"},
        legend: {type: "scroll", top: 0},
        grid: {left: 40, right: 10, top: 40, bottom: 60},
        xAxis: {type: "category", data: data.towns, axisLabel: {rotate: 45}},
        yAxis: {type: "value"},
        series: data.series
      });
    }
    var months = document.getElementById("months");
    var rows = json("months-data");
    if (months && rows) {
      var series = [["issued", months.dataset.labelIssued], ["printed", months.dataset.labelPrinted],
                    ["scanned", months.dataset.labelScanned]];
      draw(months, {
        tooltip: {trigger: "axis", renderMode: "richText"},
        legend: {},
        xAxis: {type: "category", data: rows.map(function (m) { return m.month + "月"; })},
        yAxis: {type: "value"},
        series: series.map(function (s) {
          return {name: s[1], type: "bar", data: rows.map(function (m) { return m[s[0]]; })};
        })
      });
    }
  });
})();
