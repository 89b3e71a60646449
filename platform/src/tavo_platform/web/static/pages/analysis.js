// The AI analysis of a scan (its grade and what sets it) and the diff of two scans.

import { api, ApiError, hasEndpoint } from "../api.js";
import { append, clear, h, notice, severityBadge, statusBadge, table } from "../dom.js";
import { findingsTable } from "./findings.js";

function gradeBlock(result) {
  const score = result.security_score || {};
  const deductions = score.top_deductions || [];
  return h("section", { "aria-labelledby": "grade-heading" },
    h("h2", { id: "grade-heading" }, "Grade"),
    h("p", { class: "grade" }, h("span", { class: `grade-letter grade-${String(score.grade || "").toLowerCase()}` }, score.grade || "?"),
      ` score ${score.score ?? "—"} / 100, ${score.open_findings ?? 0} open findings`),
    score.method ? h("p", { class: "muted small" }, score.method) : null,
    deductions.length ? h("div", {}, h("h3", {}, "What sets it"), table(["Finding", "Risk", "Verdict"], deductions.map((item) => h("tr", {},
      h("td", {}, h("code", {}, item.finding_id)), h("td", {}, String(item.risk)), h("td", {}, item.verdict || "—"))))) : null);
}

function coverageBlock(result) {
  const coverage = result.owasp_llm_coverage || [];
  return h("section", { "aria-labelledby": "coverage-heading" }, h("h2", { id: "coverage-heading" }, "OWASP LLM coverage"),
    h("ul", { class: "owasp-grid" }, coverage.map((entry) => h("li", { class: entry.status === "found" ? "owasp open" : "owasp clear" },
      h("strong", {}, entry.id), h("span", {}, entry.name), h("span", { class: "owasp-count" }, entry.status)))));
}

function fixFirstBlock(result) {
  const items = result.fix_first || [];
  return h("section", { "aria-labelledby": "fixfirst-heading" }, h("h2", { id: "fixfirst-heading" }, "Fix first"),
    table(["#", "Severity", "Location", "Risk", "Verdict"], items.map((item) => h("tr", {},
      h("td", {}, String(item.rank)), h("td", {}, severityBadge(item.severity)),
      h("td", {}, h("code", {}, `${item.path}:${item.start_line}`)), h("td", {}, String(item.risk)), h("td", {}, item.verdict)))));
}

async function showResult(target, analysis) {
  const result = await api.get(`/ai/analyses/${encodeURIComponent(analysis.id)}/result`, { page_size: 1 });
  clear(target).append(h("p", {}, "Model ", h("code", {}, analysis.model), " ", statusBadge(analysis.status)),
    gradeBlock(result), coverageBlock(result), fixFirstBlock(result));
}

export async function analysisPage(root, context, scanId) {
  append(root, h("h1", {}, "AI analysis of ", h("a", { href: `#/scans/${encodeURIComponent(scanId)}` }, h("code", {}, scanId))));
  const body = h("div", { "aria-live": "polite" });
  append(root, body);
  const existing = await api.get("/ai/analyses", { scan_id: scanId, page_size: 1 });
  const run = async () => {
    clear(body).append(h("p", { class: "muted" }, "Analysing…"));
    try {
      const created = await api.post("/ai/analyses", { scan_id: scanId });
      const finished = await api.get(`/ai/analyses/${encodeURIComponent(created.id)}`, { wait: 30 });
      if (finished.status !== "completed") {
        clear(body).append(notice(`The analysis ended ${finished.status}: ${finished.error || "no reason given"}`, "error"));
        return;
      }
      await showResult(body, finished);
    } catch (error) {
      clear(body).append(notice(error instanceof ApiError ? error.message : String(error), "error"));
    }
  };
  const latest = existing.items[0];
  if (latest && latest.status === "completed") {
    await showResult(body, latest);
    append(root, h("button", { type: "button", class: "secondary", onclick: run }, "Analyse again"));
  } else {
    append(body, h("button", { type: "button", onclick: run }, "Run the AI analysis"));
  }
}

export async function diffPage(root, context) {
  append(root, h("h1", {}, "Compare two scans"));
  if (!(await hasEndpoint("/scans/{scan_id}/diff"))) {
    append(root, notice("Comparing scans is not available on this server yet.", "info"));
    return;
  }
  const head = h("input", { id: "diff-head", name: "head", value: context.params.get("head") || "", required: true });
  const base = h("input", { id: "diff-base", name: "base", value: context.params.get("base") || "", required: true });
  append(root, h("form", { class: "card", onsubmit: (event) => {
    event.preventDefault();
    context.go(`#/diff?head=${encodeURIComponent(head.value.trim())}&base=${encodeURIComponent(base.value.trim())}`);
  } }, h("div", { class: "grid" },
    h("div", {}, h("label", { for: "diff-base" }, "Base scan id"), base),
    h("div", {}, h("label", { for: "diff-head" }, "Scan id"), head)), h("button", { type: "submit" }, "Compare")));
  if (!context.params.get("head") || !context.params.get("base")) return;
  const diff = await api.get(`/scans/${encodeURIComponent(context.params.get("head"))}/diff`, { base: context.params.get("base") });
  // A fixed finding is shown as the base scan found it; the others as the newer scan did.
  const inScan = (scanId) => (finding) => `#/findings/${encodeURIComponent(finding.id)}?scan=${encodeURIComponent(scanId)}`;
  const sections = [["new", "New", diff.scan_id], ["fixed", "Fixed", diff.base_scan_id], ["unchanged", "Unchanged", diff.scan_id]];
  for (const [key, label, scanId] of sections) {
    const items = Array.isArray(diff[key]) ? diff[key] : diff[key]?.items || [];
    append(root, h("section", { dataset: { diff: key } }, h("h2", {}, `${label} (${items.length})`), findingsTable(items, inScan(scanId))));
  }
}
