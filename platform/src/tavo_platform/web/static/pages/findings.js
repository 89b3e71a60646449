// Findings: the organisation-wide table with the API's filters, sorting and paging, and a
// finding's page: code, data path, CWE/OWASP links, fix guidance, history and triage.

import { api, ApiError, hasEndpoint } from "../api.js";
import { append, clear, h, notice, SEVERITIES, severityBadge, statusBadge, table, when } from "../dom.js";

const PAGE_SIZE = 50;
const TRIAGE = [["false_positive", "False positive"], ["accepted_risk", "Accepted risk"], ["wont_fix", "Won't fix"], ["open", "Reopen"]];
const FILTERS = [
  ["severity", "Severity", SEVERITIES],
  ["status", "Status", ["open", "fixed", "reopened", "false_positive", "accepted_risk", "wont_fix"]],
  ["owasp_llm", "OWASP LLM", ["LLM01", "LLM02", "LLM03", "LLM04", "LLM05", "LLM06", "LLM07", "LLM08", "LLM09", "LLM10"]],
  ["rule", "Rule", null],
  ["category", "Category", null],
  ["path", "Path prefix", null],
  ["repository", "Repository (id or URL)", null],
  ["project", "Upload project", null],
];
const SEVERITY_RANK = Object.fromEntries(SEVERITIES.map((level, index) => [level, index]));
const SORTS = {
  severity: (a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9),
  path: (a, b) => `${a.path}:${String(a.start_line).padStart(8, "0")}`.localeCompare(`${b.path}:${String(b.start_line).padStart(8, "0")}`),
  rule: (a, b) => String(a.rule_id).localeCompare(String(b.rule_id)),
};

export function findingsTable(findings, link) {
  return table(["Severity", "Finding", "Location", "Status"], findings.map((finding) => h("tr", { dataset: { finding: finding.id } },
    h("td", {}, severityBadge(finding.severity)),
    h("td", {}, h("a", { href: link(finding) }, finding.title || finding.rule_id), h("div", { class: "muted small" }, finding.rule_id)),
    h("td", {}, h("code", {}, `${finding.path}:${finding.start_line}`)),
    h("td", {}, finding.status ? statusBadge(finding.status) : "—"))));
}

function filterForm(params, context) {
  const fields = FILTERS.map(([name, label, choices]) => {
    const id = `filter-${name}`;
    const value = params.get(name) || "";
    const control = choices
      ? h("select", { id, name }, h("option", { value: "" }, "any"), choices.map((choice) => h("option", { value: choice, selected: choice === value }, choice)))
      : h("input", { id, name, type: "text", value });
    return h("div", {}, h("label", { for: id }, label), control);
  });
  const sort = h("select", { id: "filter-sort", name: "sort" }, Object.keys(SORTS).map((key) => h("option", { value: key, selected: params.get("sort") === key }, key)));
  return h("form", { class: "card filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(event.target).entries()) if (value) next.set(name, String(value));
    context.go(`#/findings?${next}`);
  } }, h("div", { class: "grid" }, fields, h("div", {}, h("label", { for: "filter-sort" }, "Sort by"), sort)), h("button", { type: "submit" }, "Filter"));
}

export async function findingsPage(root, context) {
  append(root, h("h1", {}, "Findings"));
  if (!(await hasEndpoint("/findings"))) {
    append(root, notice("Organisation-wide findings are not available on this server yet: open a scan to see its findings.", "info"));
    return;
  }
  const params = context.params;
  const page = Number(params.get("page") || 0);
  const query = { page, page_size: PAGE_SIZE };
  for (const [name] of FILTERS) if (params.get(name)) query[name] = params.get(name);
  const result = await api.get("/findings", query);
  const items = [...result.items].sort(SORTS[params.get("sort") || "severity"]);
  const link = (to) => { const next = new URLSearchParams(params); next.set("page", String(to)); return `#/findings?${next}`; };
  const { pager } = await import("./scans.js");
  append(root, [filterForm(params, context), h("h2", {}, `${result.total} findings`),
    findingsTable(items, (finding) => `#/findings/${encodeURIComponent(finding.id)}`), pager(page, result.total, link, PAGE_SIZE)]);
}

async function findInScan(scanId, findingId) {
  for (let page = 0; page < 100; page += 1) {
    const results = await api.get(`/scans/${encodeURIComponent(scanId)}/results`, { page, page_size: 200 });
    const found = results.vulnerabilities.find((finding) => finding.id === findingId);
    if (found || !results.has_more) return found || null;
  }
  return null;
}

function codeBlock(finding) {
  const first = Number(finding.start_line) || 1;
  const last = Number(finding.end_line) || first;
  const lines = String(finding.snippet || "").split("\n");
  return h("pre", { class: "code", "aria-label": "Code" }, h("code", {}, lines.map((text, index) => {
    const number = first + index;
    return h("span", { class: number >= first && number <= last ? "line hit" : "line" }, h("span", { class: "ln", "aria-hidden": "true" }, String(number)), text, "\n");
  })));
}

function traceBlock(finding) {
  const steps = finding.trace || finding.dataflow || finding.data_path || [];
  const list = Array.isArray(steps) ? steps : Array.isArray(steps.steps) ? steps.steps : [];
  if (!list.length) return null;
  return h("section", { "aria-labelledby": "trace-heading" }, h("h2", { id: "trace-heading" }, "Data path"),
    h("ol", { class: "trace" }, list.map((step) => h("li", {},
      h("span", { class: "badge" }, step.kind || step.role || "step"), " ",
      h("code", {}, `${step.path || finding.path}:${step.line || step.start_line || "?"}`), " ",
      h("span", {}, step.label || step.message || step.description || ""),
      step.snippet || step.code ? h("pre", { class: "code small" }, h("code", {}, step.snippet || step.code)) : null))));
}

function cweLinks(finding) {
  return (finding.cwe || []).map((cwe) => {
    const number = String(cwe).replace(/\D/g, "");
    return number ? h("a", { href: `https://cwe.mitre.org/data/definitions/${number}.html`, rel: "noreferrer noopener", target: "_blank" }, cwe) : h("span", {}, cwe);
  }).flatMap((link, index) => (index ? [", ", link] : [link]));
}

function details(finding) {
  return h("dl", { class: "facts" },
    h("dt", {}, "Rule"), h("dd", {}, h("code", {}, finding.rule_id)),
    h("dt", {}, "Severity"), h("dd", {}, severityBadge(finding.severity), ` confidence ${finding.confidence || "—"}`),
    h("dt", {}, "Location"), h("dd", {}, h("code", {}, `${finding.path}:${finding.start_line}`)),
    h("dt", {}, "CWE"), h("dd", {}, cweLinks(finding).length ? cweLinks(finding) : "—"),
    h("dt", {}, "OWASP LLM"), h("dd", {}, finding.owasp_llm ? h("a", { href: "https://genai.owasp.org/llm-top-10/", rel: "noreferrer noopener", target: "_blank" }, finding.owasp_llm) : "—"),
    finding.status ? [h("dt", {}, "Status"), h("dd", {}, statusBadge(finding.status))] : null,
    finding.first_seen_scan_id ? [h("dt", {}, "First seen"), h("dd", {}, h("a", { href: `#/scans/${encodeURIComponent(finding.first_seen_scan_id)}` }, finding.first_seen_scan_id))] : null);
}

async function historyBlock(findingId) {
  if (!(await hasEndpoint("/findings/{finding_id}/history"))) return null;
  const history = await api.get(`/findings/${encodeURIComponent(findingId)}/history`);
  const entries = history.items || history.history || [];
  return h("section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading" }, "History"),
    table(["When", "Change", "By", "Comment"], entries.map((entry) => h("tr", {},
      h("td", {}, when(entry.at || entry.created_at)),
      h("td", {}, `${entry.from_status || entry.previous_status || "—"} → ${entry.to_status || entry.status || "—"}`),
      h("td", {}, entry.actor || entry.by || entry.key_id || "—"),
      h("td", {}, entry.comment || "")))));
}

function triageForm(finding, reload) {
  const comment = h("textarea", { id: "triage-comment", name: "comment", rows: 2, maxlength: 2000 });
  const status = h("div", { "aria-live": "polite" });
  const act = (value) => async () => {
    clear(status);
    try {
      await api.patch(`/findings/${encodeURIComponent(finding.id)}`, { status: value, comment: comment.value || undefined });
      await reload();
    } catch (error) {
      status.append(notice(error instanceof ApiError ? error.message : String(error), "error"));
    }
  };
  return h("section", { class: "card", "aria-labelledby": "triage-heading" }, h("h2", { id: "triage-heading" }, "Triage"),
    h("label", { for: "triage-comment" }, "Comment"), comment,
    h("p", { class: "actions" }, TRIAGE.map(([value, label]) => h("button", { type: "button", class: "secondary", dataset: { triage: value }, onclick: act(value) }, label))), status);
}

export async function findingPage(root, context, findingId) {
  const scanId = context.params.get("scan");
  const lifecycle = await hasEndpoint("/findings/{finding_id}");
  let finding = null;
  if (lifecycle && !scanId) finding = await api.get(`/findings/${encodeURIComponent(findingId)}`);
  else if (scanId) finding = await findInScan(scanId, findingId);
  if (!finding) {
    append(root, [h("h1", {}, "Finding"), notice("This finding was not found.", "error")]);
    return;
  }
  const reload = () => findingPage(clear(root), context, findingId);
  append(root, [
    h("h1", {}, finding.title || finding.rule_id),
    details(finding),
    h("p", {}, finding.message || ""),
    codeBlock(finding),
    traceBlock(finding),
    finding.fix ? h("section", { "aria-labelledby": "fix-heading" }, h("h2", { id: "fix-heading" }, "How to fix"), h("p", {}, finding.fix)) : null,
    (finding.references || []).length ? h("ul", { class: "refs" }, finding.references.map((ref) => h("li", {}, h("a", { href: ref, rel: "noreferrer noopener", target: "_blank" }, ref)))) : null,
    lifecycle && !scanId ? triageForm(finding, reload) : null,
    lifecycle && !scanId ? await historyBlock(finding.id) : null,
    !lifecycle ? notice("Triage and history need the findings lifecycle, which this server does not have yet.", "info") : null,
  ]);
}
