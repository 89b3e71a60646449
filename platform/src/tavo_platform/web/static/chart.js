// A small SVG line chart: findings over time, one line per severity. Drawn from numbers
// only; labels go in as text nodes.

import { h, svg } from "./dom.js";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = 32;
const LINES = [["CRITICAL", "sev-critical"], ["HIGH", "sev-high"], ["MEDIUM", "sev-medium"], ["LOW", "sev-low"]];

export function trendChart(points, title) {
  if (!points.length) return h("p", { class: "muted" }, "No completed scans yet.");
  const totals = points.map((point) => LINES.reduce((sum, [level]) => sum + (point.by_severity[level] || 0), 0));
  const top = Math.max(1, ...totals);
  const x = (index) => PAD + (points.length === 1 ? (WIDTH - 2 * PAD) / 2 : (index * (WIDTH - 2 * PAD)) / (points.length - 1));
  const y = (value) => HEIGHT - PAD - (value * (HEIGHT - 2 * PAD)) / top;
  const paths = LINES.map(([level, css]) => {
    const d = points.map((point, index) => `${index ? "L" : "M"}${x(index).toFixed(1)},${y(point.by_severity[level] || 0).toFixed(1)}`).join(" ");
    return svg("path", { d, class: `line ${css}`, fill: "none" });
  });
  const axis = [
    svg("line", { x1: PAD, y1: HEIGHT - PAD, x2: WIDTH - PAD, y2: HEIGHT - PAD, class: "axis" }),
    svg("text", { x: 4, y: PAD, class: "axis-label" }, String(top)),
    svg("text", { x: 4, y: HEIGHT - PAD, class: "axis-label" }, "0"),
  ];
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title, class: "chart" },
    svg("title", {}, title), ...axis, ...paths);
  const legend = h("ul", { class: "legend" }, LINES.map(([level, css]) => h("li", { class: css }, level)));
  return h("figure", {}, chart, legend);
}
