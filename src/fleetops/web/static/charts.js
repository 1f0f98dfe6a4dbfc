/* Draws every `[data-chart]` element with the vendored uPlot (docs/console.md: "Charts").
   The server writes the data as JSON: {"x": [unix seconds], "series": [{"label", "values", "colour"}],
   "unit": "min", "bars": false}. Call fleetopsCharts.draw(root) after swapping in new HTML. */
(function () {
  var COLOURS = {green: "#2e9d4f", red: "#c83232", orange: "#e08a1e", blue: "#3b6fd8", grey: "#8a94a3",
                 yellow: "#e3c23a"};
  function options(spec, width) {
    var bars = spec.bars && uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({size: [0.7, 40]}) : null;
    var unit = spec.unit ? " " + spec.unit : "";
    return {
      width: width, height: spec.height || 170,
      legend: {show: true}, cursor: {drag: {x: false, y: false}},
      scales: {x: {time: true}, y: {range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; }}},
      axes: [{}, {size: 70, values: function (u, ticks) { return ticks.map(function (v) { return v + unit; }); }}],
      series: [{}].concat(spec.series.map(function (s) {
        var colour = COLOURS[s.colour] || s.colour || COLOURS.blue;
        return {label: s.label, stroke: colour, width: 2, fill: bars ? colour : undefined, paths: bars || undefined,
                points: {show: spec.x.length < 40}};
      }))
    };
  }
  function draw(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.dataset.chart);
      el.textContent = "";
      var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
      new uPlot(options(spec, Math.max(200, el.clientWidth || 400)), data, el);
    });
  }
  window.fleetopsCharts = {draw: draw};
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
})();
