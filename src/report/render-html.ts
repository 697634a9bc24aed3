/**
 * The report as one HTML page that needs no network: uPlot's script and stylesheet are
 * inlined, the data travels as JSON in the page, and a short script draws each plot. Each
 * plot's container says what it holds (`data-points`) and, once drawn, `data-rendered`,
 * so a browser test (or a person with devtools) can check it.
 */
import type { AlertResult, Thresholds } from "./alerts.js";
import type { PlotSpec } from "./plots.js";

export interface PageContent {
  readonly title: string;
  readonly plots: readonly PlotSpec[];
  readonly alerts: readonly AlertResult[];
  readonly thresholds: Thresholds;
  /** Facts about the input shown at the top (events read, malformed lines, bucket length, …). */
  readonly facts: ReadonlyArray<readonly [string, string]>;
  /** Epoch ms of the first bucket, for the moments' offsets. */
  readonly start: number;
}

export interface UplotAssets {
  readonly script: string;
  readonly css: string;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON that can sit inside a <script> element: no "<" to end it early. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

function moment(ms: number, start: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC (+${((ms - start) / 1000).toFixed(1)} s)`;
}

function alertRows(alerts: readonly AlertResult[], start: number): string {
  return alerts
    .map((a) => {
      const state = a.firing ? "firing" : a.fired.length > 0 ? "fired" : "ok";
      const moments = a.fired.length === 0 ? "—" : a.fired.slice(0, 20).map((f) => escapeHtml(moment(f.from, start))).join("<br>") + (a.fired.length > 20 ? `<br>… ${a.fired.length - 20} more` : "");
      return `<tr class="alert ${state}" data-alert="${a.id}" data-state="${state}" data-fired="${a.fired.length}"><td>${escapeHtml(a.title)}</td><td>${escapeHtml(a.condition)}</td><td class="state">${state === "ok" ? "not firing" : state === "firing" ? "firing" : `fired ${a.fired.length}×, not firing now`}</td><td>${moments}</td><td>${escapeHtml(a.plot)}</td></tr>`;
    })
    .join("\n");
}

function plotBlocks(plots: readonly PlotSpec[]): string {
  return plots
    .map((p) =>
      p.note !== undefined
        ? `<section class="plot empty" data-plot="${p.id}"><h2>${escapeHtml(p.title)}</h2><p class="note">${escapeHtml(p.note)}</p></section>`
        : `<section class="plot" data-plot="${p.id}"><h2>${escapeHtml(p.title)}</h2><div class="chart" data-plot="${p.id}" data-points="${p.points}" data-series="${p.series.length}"></div></section>`,
    )
    .join("\n");
}

/** Runs in the page: draws each plot with uPlot and marks the alerts' moments as bands. */
const DRAW = `
(function () {
  var plots = JSON.parse(document.getElementById("report-plots").textContent);
  plots.forEach(function (p) {
    if (p.note !== undefined) return;
    var el = document.querySelector('.chart[data-plot="' + p.id + '"]');
    var series = [{}].concat(p.series.map(function (s, i) {
      var readings = p.data[i + 1].filter(function (v) { return v !== null; }).length;
      // A series with few readings is drawn as dots too: one reading alone makes no line.
      var out = { label: s.label, stroke: s.color, width: 1.5, spanGaps: true, points: { show: readings < 16, size: 6, fill: s.color } };
      if (s.dash) out.dash = s.dash;
      if (s.stepped) out.paths = uPlot.paths.stepped({ align: 1 });
      return out;
    }));
    var bands = {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = "rgba(214, 39, 40, 0.12)";
          p.marks.forEach(function (m) {
            var x0 = u.valToPos(m.from, "x", true), x1 = u.valToPos(m.to, "x", true);
            ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
          });
          ctx.restore();
        }],
      },
    };
    // Times in UTC, as the alert table gives them.
    var opts = { width: Math.max(320, el.clientWidth), height: 240, tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); }, series: series, axes: [{}, { label: p.unit, size: 60 }], plugins: [bands], cursor: { drag: { x: true, y: false } } };
    new uPlot(opts, p.data, el);
    el.setAttribute("data-rendered", "true");
  });
})();`;

export function renderHtml(content: PageContent, uplot: UplotAssets): string {
  const facts = content.facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("");
  const thresholds = Object.entries(content.thresholds).map(([k, v]) => `<code>${escapeHtml(k)}=${String(v)}</code>`).join(" ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>${uplot.css}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 15px; margin: 0 0 6px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
table.alerts { width: 100%; margin: 8px 0 20px; } table.alerts th { border-bottom: 1px solid #ccc; }
tr.alert.firing td.state { color: #b00; font-weight: 600; } tr.alert.fired td.state { color: #a60; } tr.alert.ok td.state { color: #287a28; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 18px; }
.plot { border: 1px solid #e3e3e3; border-radius: 6px; padding: 10px; min-width: 0; }
.note { color: #777; font-style: italic; margin: 30px 0; text-align: center; }
.thresholds { color: #555; font-size: 12px; } code { background: #f4f4f4; padding: 0 3px; }
</style>
</head>
<body>
<h1>${escapeHtml(content.title)}</h1>
<table class="facts">${facts}</table>
<h2 style="margin-top:16px">Alerts</h2>
<table class="alerts"><thead><tr><th>alert</th><th>condition</th><th>state</th><th>fired at</th><th>marked on</th></tr></thead>
<tbody>
${alertRows(content.alerts, content.start)}
</tbody></table>
<p class="thresholds">Thresholds: ${thresholds}. Moments are marked as red bands on the plot each alert names.</p>
<div class="grid">
${plotBlocks(content.plots)}
</div>
<script>${uplot.script.replace(/<\/script/gi, "<\\/script")}</script>
<script type="application/json" id="report-plots">${scriptJson(content.plots)}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
