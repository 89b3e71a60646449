// Overview: every repository's latest scan, open findings by severity, the trend, and the
// OWASP Top 10 for LLM Applications as a grid of categories with open findings.

import { api, hasEndpoint } from "../api.js";
import { append, h, notice, SEVERITIES, severityBadge, statusBadge, table, when } from "../dom.js";
import { trendChart } from "../chart.js";

const OWASP_LLM = {
  LLM01: "Prompt injection", LLM02: "Sensitive information disclosure", LLM03: "Supply chain",
  LLM04: "Data and model poisoning", LLM05: "Improper output handling", LLM06: "Excessive agency",
  LLM07: "System prompt leakage", LLM08: "Vector and embedding weaknesses", LLM09: "Misinformation",
  LLM10: "Unbounded consumption",
};

function latestCompleted(repositories, scans) {
  // The newest completed scan of each repository, and of each upload project.
  const seen = new Map();
  for (const scan of scans) {
    const key = scan.repository_id || scan.repository_url || `upload:${scan.id}`;
    if (scan.status === "completed" && !seen.has(key)) seen.set(key, scan);
  }
  return [...seen.values()];
}

async function trackedOpen() {
  // One request per severity, all at once: each answers a count (page_size 1).
  if (!(await hasEndpoint("/findings"))) return null;
  const [all, ...bySeverity] = await Promise.all([
    api.get("/findings", { page_size: 1 }),
    ...SEVERITIES.map((severity) => api.get("/findings", { status: ["open", "reopened"], severity, page_size: 1 })),
  ]);
  return all.total > 0 ? Object.fromEntries(SEVERITIES.map((severity, index) => [severity, bySeverity[index].total])) : null;
}

function openBySeverity(latest, tracked) {
  // Findings tracked across scans (repositories and upload projects) when there are any;
  // else what each repository's latest scan found.
  if (tracked) return { counts: tracked, source: "open findings tracked across scans (triaged ones left out)" };
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0]));
  for (const scan of latest) {
    for (const severity of SEVERITIES) counts[severity] += (scan.summary?.by_severity || {})[severity] || 0;
  }
  return { counts, source: "findings of each repository's latest completed scan" };
}

function severityCards(counts, source) {
  return h("section", { "aria-labelledby": "open-heading" },
    h("h2", { id: "open-heading" }, "Open findings"),
    h("p", { class: "muted" }, `By severity: ${source}.`),
    h("div", { class: "cards" }, SEVERITIES.map((severity) => h("div", { class: "card stat" },
      severityBadge(severity), h("span", { class: "stat-value", dataset: { severity } }, String(counts[severity] || 0))))));
}

function owaspGrid(latest) {
  const counts = {};
  for (const scan of latest) {
    for (const [id, count] of Object.entries(scan.summary?.by_owasp_llm || {})) counts[id] = (counts[id] || 0) + count;
  }
  return h("section", { "aria-labelledby": "owasp-heading" },
    h("h2", { id: "owasp-heading" }, "OWASP Top 10 for LLM Applications 2025"),
    h("ul", { class: "owasp-grid" }, Object.entries(OWASP_LLM).map(([id, name]) => {
      const count = counts[id] || 0;
      return h("li", { class: count ? "owasp open" : "owasp clear", dataset: { owasp: id } },
        h("strong", {}, id), h("span", {}, name),
        h("span", { class: "owasp-count" }, count ? `${count} open` : "clear"));
    })));
}

function repositoryTable(repositories) {
  const rows = repositories.map((repository) => {
    const last = repository.last_scan;
    const bySeverity = last?.summary?.by_severity || {};
    return h("tr", {},
      h("td", {}, repository.name || repository.url, h("div", { class: "muted small" }, repository.url)),
      h("td", {}, last ? h("a", { href: `#/scans/${encodeURIComponent(last.id)}` }, when(last.created_at)) : "never scanned"),
      h("td", {}, last ? statusBadge(last.status) : "—"),
      h("td", {}, SEVERITIES.slice(0, 3).map((severity) => h("span", { class: "count" }, severityBadge(severity), ` ${bySeverity[severity] || 0} `))));
  });
  return h("section", { "aria-labelledby": "repos-heading" },
    h("h2", { id: "repos-heading" }, "Repositories"),
    table(["Repository", "Latest scan", "Status", "Findings"], rows));
}

function trendPoints(scans) {
  return scans.filter((scan) => scan.status === "completed" && scan.summary)
    .slice(0, 30).reverse()
    .map((scan) => ({ by_severity: scan.summary.by_severity || {}, at: scan.finished_at }));
}

export async function overviewPage(root) {
  const [repositories, scans, tracked] = await Promise.all([
    api.get("/repositories", { page_size: 100, trend_size: 10 }),
    api.get("/scans", { page_size: 100 }),
    trackedOpen(),
  ]);
  const latest = latestCompleted(repositories.items, scans.items);
  const open = openBySeverity(latest, tracked);
  append(root, [
    h("h1", {}, "Overview"),
    severityCards(open.counts, open.source),
    h("section", { "aria-labelledby": "trend-heading" },
      h("h2", { id: "trend-heading" }, "Trend"),
      h("p", { class: "muted" }, "Findings of the last 30 completed scans, oldest first."),
      trendChart(trendPoints(scans.items), "Findings per completed scan by severity")),
    owaspGrid(latest),
    repositoryTable(repositories.items),
    repositories.items.length ? null : notice("No repositories registered yet: start a scan from the Scans page."),
  ]);
}
