import escapeHtml from "escape-html";

export function renderTicket(subject: string, highlight: string) {
  return `<h1>${escapeHtml(subject)}</h1><mark>${highlight}</mark>`;
}

export function renderSafe(subject: string, highlight: string) {
  return `<h1>${escapeHtml(subject)}</h1><mark>${escapeHtml(highlight)}</mark>`;
}
