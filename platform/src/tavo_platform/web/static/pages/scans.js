// Scans: the list with live status (server-sent events), starting a scan of a repository
// or an uploaded archive, cancelling; a scan's page with its progress and findings.

import { api, ApiError, eventsUrl, hasEndpoint } from "../api.js";
import { append, clear, h, notice, SEVERITIES, severityBadge, statusBadge, table, when } from "../dom.js";
import { findingsTable } from "./findings.js";

const SCAN_TYPES = ["security", "comprehensive", "llm", "secrets", "code", "models"];
const ACTIVE = new Set(["queued", "running"]);
const PAGE_SIZE = 25;

function follow(scanId, context, onStatus) {
  // One event stream per unfinished scan shown; closed when the page is left.
  const source = new EventSource(eventsUrl(scanId));
  source.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    onStatus(status);
    if (status.finished) source.close();
  });
  source.addEventListener("deleted", () => source.close());
  source.onerror = () => source.close();
  context.onLeave(() => source.close());
}

function cancelButton(scan, after) {
  return h("button", { type: "button", class: "secondary", onclick: async (event) => {
    event.target.disabled = true;
    try {
      await api.post(`/scans/${encodeURIComponent(scan.id)}/cancel`);
      await after();
    } catch (error) {
      event.target.replaceWith(notice(error.message, "error"));
    }
  } }, "Cancel");
}

function scanRow(scan, context, reload) {
  const status = h("td", {}, statusBadge(scan.status));
  const total = h("td", {}, scan.summary ? String(scan.summary.total) : "—");
  const actions = h("td", {}, ACTIVE.has(scan.status) ? cancelButton(scan, reload) : null);
  if (ACTIVE.has(scan.status)) {
    follow(scan.id, context, (update) => {
      clear(status).append(statusBadge(update.status));
      if (update.total_findings !== null && update.total_findings !== undefined) clear(total).append(String(update.total_findings));
      if (update.finished) clear(actions);
    });
  }
  return h("tr", { dataset: { scan: scan.id } },
    h("td", {}, h("a", { href: `#/scans/${encodeURIComponent(scan.id)}` }, scan.id)),
    h("td", {}, scan.repository_url || (scan.source === "upload" ? "uploaded archive" : "—")),
    h("td", {}, scan.scan_type), status, total, h("td", {}, when(scan.created_at)), actions);
}

function startForm(context) {
  const url = h("input", { id: "scan-url", name: "repository_url", type: "url", placeholder: "https://github.com/org/app.git" });
  const ref = h("input", { id: "scan-ref", name: "branch", type: "text", placeholder: "main" });
  const type = h("select", { id: "scan-type", name: "scan_type" }, SCAN_TYPES.map((value) => h("option", { value }, value)));
  const file = h("input", { id: "scan-file", name: "file", type: "file", accept: ".tar.gz,.tgz,.tar,.zip" });
  const project = h("input", { id: "scan-project", name: "project", type: "text", placeholder: "my-app" });
  const status = h("div", { "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    clear(status);
    try {
      let scan;
      if (file.files && file.files.length) {
        const archive = file.files[0];
        scan = await api.upload("/uploads/scans", archive, { filename: archive.name, scan_type: type.value, project: project.value.trim() });
      } else {
        const body = { repository_url: url.value.trim(), scan_type: type.value };
        if (ref.value.trim()) body.branch = ref.value.trim();
        scan = await api.post("/scans", body);
      }
      context.go(`#/scans/${encodeURIComponent(scan.id)}`);
    } catch (error) {
      status.append(notice(error instanceof ApiError ? error.message : String(error), "error"));
    }
  };
  return h("form", { class: "card", onsubmit: submit, "aria-labelledby": "start-heading" },
    h("h2", { id: "start-heading" }, "Start a scan"),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: "scan-url" }, "Repository URL"), url),
      h("div", {}, h("label", { for: "scan-ref" }, "Branch or ref"), ref),
      h("div", {}, h("label", { for: "scan-type" }, "Scan type"), type),
      h("div", {}, h("label", { for: "scan-file" }, "…or upload an archive"), file),
      h("div", {}, h("label", { for: "scan-project" }, "Upload project (tracks findings across uploads)"), project)),
    h("button", { type: "submit" }, "Start scan"), status);
}

export async function scansPage(root, context) {
  const page = Number(context.params.get("page") || 0);
  const status = context.params.get("status") || "";
  const list = h("section", { "aria-labelledby": "scans-heading" });
  const reload = async () => {
    const scans = await api.get("/scans", { page, page_size: PAGE_SIZE, status });
    clear(list).append(
      h("h2", { id: "scans-heading" }, `Scans (${scans.total})`),
      table(["Scan", "Source", "Type", "Status", "Findings", "Created", ""], scans.items.map((scan) => scanRow(scan, context, reload))),
      pager(page, scans.total, (to) => `#/scans?page=${to}${status ? `&status=${encodeURIComponent(status)}` : ""}`));
  };
  append(root, [h("h1", {}, "Scans"), startForm(context), list]);
  await reload();
}

export function pager(page, total, link, size = PAGE_SIZE) {
  const last = Math.max(0, Math.ceil(total / size) - 1);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    page > 0 ? h("a", { href: link(page - 1), rel: "prev" }, "← Previous") : null,
    h("span", { class: "muted" }, `Page ${page + 1} of ${last + 1}`),
    page < last ? h("a", { href: link(page + 1), rel: "next" }, "Next →") : null);
}

function summaryBlock(scan) {
  const bySeverity = scan.summary?.by_severity || {};
  return h("dl", { class: "facts" },
    h("dt", {}, "Status"), h("dd", { id: "scan-status" }, statusBadge(scan.status)),
    h("dt", {}, "Source"), h("dd", {}, scan.repository_url || scan.source || "—"),
    h("dt", {}, "Branch"), h("dd", {}, scan.branch || "default"),
    h("dt", {}, "Created"), h("dd", {}, when(scan.created_at)),
    h("dt", {}, "Finished"), h("dd", {}, when(scan.finished_at)),
    h("dt", {}, "Findings"), h("dd", {}, SEVERITIES.map((severity) => h("span", { class: "count" }, severityBadge(severity), ` ${bySeverity[severity] || 0} `))),
    scan.error ? [h("dt", {}, "Error"), h("dd", {}, scan.error)] : null);
}

export async function scanPage(root, context, scanId) {
  const scan = await api.get(`/scans/${encodeURIComponent(scanId)}`);
  const findings = h("section", { "aria-labelledby": "scan-findings-heading" });
  const actions = h("p", { class: "actions" });
  const loadFindings = async () => {
    const page = Number(context.params.get("page") || 0);
    const severity = context.params.get("severity") || "";
    const results = await api.get(`/scans/${encodeURIComponent(scanId)}/results`, { page, page_size: PAGE_SIZE, severity });
    clear(findings).append(
      h("h2", { id: "scan-findings-heading" }, `Findings (${results.total})`),
      findingsTable(results.vulnerabilities, (finding) => `#/findings/${encodeURIComponent(finding.id)}?scan=${encodeURIComponent(scanId)}`),
      pager(page, results.total, (to) => `#/scans/${encodeURIComponent(scanId)}?page=${to}`));
  };
  append(root, [h("h1", {}, "Scan ", h("code", {}, scan.id)), summaryBlock(scan), actions, findings]);
  if (ACTIVE.has(scan.status)) {
    actions.append(cancelButton(scan, () => scanPage(clear(root), context, scanId)));
    findings.append(h("p", { class: "muted", id: "scan-progress" }, "The scan is running; this page updates when it ends."));
    follow(scan.id, context, async (update) => {
      clear(document.getElementById("scan-status") || h("span")).append(statusBadge(update.status));
      if (update.finished) {
        clear(actions);
        if (update.status === "completed") await loadFindings();
      }
    });
    return;
  }
  if (scan.status === "completed") {
    actions.append(h("a", { class: "button", href: `#/scans/${encodeURIComponent(scan.id)}/analysis` }, "AI analysis"));
    if (await hasEndpoint("/scans/{scan_id}/diff")) {
      actions.append(" ", h("a", { class: "button secondary", href: `#/diff?head=${encodeURIComponent(scan.id)}` }, "Compare with another scan"));
    }
    await loadFindings();
  }
}
