/**
 * The script and style of the report page (`buildReport` in report.ts inlines them after uPlot).
 * The script is plain ES2020 for the browser, kept as a string so that no bundler touches it: it
 * reads the JSON in `#report-data` (`{ x: { id: number[] }, charts: [{ id, title, lines: [{ label,
 * stroke, dash, x: { step, time }, y }], range? }] }`, where `x.step`/`x.time` name arrays of `x`, `time`
 * null when the line has no wall-time axis), joins each chart's lines on one x axis (null where a
 * line has no point) and draws one uPlot per chart. Drag to zoom, double-click to reset; the cursor
 * is synced across charts; the select switches every chart between agent steps and wall time.
 */

/** The page's own script (no template placeholders inside: it is data, not code, to this module). */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('report-data').textContent);
  var plots = [];
  var axis = 'step';

  function join(parts) {
    var seen = new Set();
    parts.forEach(function (p) { p.x.forEach(function (v) { seen.add(v); }); });
    var xs = Array.from(seen).sort(function (a, b) { return a - b; });
    var at = new Map();
    xs.forEach(function (v, i) { at.set(v, i); });
    var out = [xs];
    parts.forEach(function (p) {
      var ys = new Array(xs.length).fill(null);
      p.x.forEach(function (v, i) { ys[at.get(v)] = p.y[i]; });
      out.push(ys);
    });
    return out;
  }

  // Axis ticks: 1.5M / 250k for large values, 1.2e-5 for tiny ones, 4 significant digits otherwise.
  function tick(v) {
    if (v === null || v === undefined) return '';
    var a = Math.abs(v);
    if (a >= 1e6) return Number((v / 1e6).toPrecision(4)) + 'M';
    if (a >= 1e4) return Number((v / 1e3).toPrecision(4)) + 'k';
    if (a !== 0 && a < 1e-3) return v.toExponential(1);
    return String(Number(v.toPrecision(4)));
  }
  function ticks(u, splits) { return splits.map(tick); }

  function draw() {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    DATA.charts.forEach(function (chart) {
      var el = document.getElementById('chart-' + chart.id);
      if (!el) return;
      el.textContent = '';
      var parts = [];
      var series = [{ label: axis === 'step' ? 'agent steps' : 'wall time (s)' }];
      chart.lines.forEach(function (line) {
        var xid = line.x[axis];
        if (!xid) return;
        var xs = DATA.x[xid];
        var px = [];
        var py = [];
        for (var i = 0; i < line.y.length; i++) {
          if (xs[i] !== null && xs[i] !== undefined && line.y[i] !== null) {
            px.push(xs[i]);
            py.push(line.y[i]);
          }
        }
        if (!px.length) return;
        parts.push({ x: px, y: py });
        series.push({ label: line.label, stroke: line.stroke, dash: line.dash, width: 1.5, spanGaps: true, points: { show: px.length < 3 } });
      });
      if (!parts.length) {
        el.textContent = axis === 'step' ? 'no values' : 'no values against wall time (the rows have no time/elapsed_s)';
        el.className = 'chart empty';
        return;
      }
      el.className = 'chart';
      var opts = {
        width: Math.max(320, el.clientWidth || 600),
        height: 240,
        series: series,
        scales: chart.range ? { x: { time: false }, y: { range: chart.range } } : { x: { time: false } },
        axes: [{ label: series[0].label, values: ticks }, { size: 64, values: ticks }],
        cursor: { sync: { key: 'report' } },
        legend: { live: true },
      };
      plots.push(new uPlot(opts, join(parts), el));
    });
  }

  var select = document.getElementById('x-axis');
  if (select) {
    select.addEventListener('change', function () {
      axis = select.value;
      draw();
    });
  }
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(draw, 200);
  });
  draw();
  document.body.setAttribute('data-charts-drawn', String(plots.length));
})();
`;

/** The page's own style (uPlot's stylesheet comes before it). */
export const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1500px; padding: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.sub { color: #666; margin: 0 0 12px; }
.notes { background: #fff6e0; border: 1px solid #e8c66a; padding: 8px 12px; border-radius: 4px; }
.notes li { margin: 2px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px 24px; }
.panel h3 { margin: 4px 0; }
.chart { min-height: 240px; }
.chart.empty { color: #888; min-height: 0; }
.media { display: flex; flex-wrap: wrap; gap: 12px; }
.media figure { margin: 0; }
.media img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 320px; }
.media figcaption { font-size: 12px; color: #555; max-width: 320px; overflow-wrap: anywhere; }
pre { background: #f7f7f7; padding: 8px; overflow: auto; max-height: 480px; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: middle; margin-right: 4px; }
`;
