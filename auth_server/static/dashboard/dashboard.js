// Draw every chart of the page from its figure (JSON beside it), with plotly.js served by this
// app. When all are drawn, <body data-charts-rendered="N"> says so (the browser tests wait on it)
// and data-charts-rendered-ms says when, in ms since the navigation started (docs/dashboard.md).
(function () {
  "use strict";
  var charts = document.querySelectorAll(".chart");
  var drawn = 0;
  function done(count) {
    document.body.dataset.chartsRenderedMs = String(Math.round(performance.now()));
    document.body.dataset.chartsRendered = String(count);
  }
  charts.forEach(function (element) {
    var source = document.getElementById(element.id + "-figure");
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout,
                   {displaylogo: false, responsive: true}).then(function () {
      drawn += 1;
      if (drawn === charts.length) { done(drawn); }
    });
  });
  if (charts.length === 0) { done(0); }
})();
