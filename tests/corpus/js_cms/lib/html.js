import DOMPurify from "isomorphic-dompurify";

export function card(title) {
  return `<div class="card">${title}</div>`;
}

export function cleanCard(title) {
  return `<div class="card">${DOMPurify.sanitize(title)}</div>`;
}
