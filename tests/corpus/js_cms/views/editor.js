import { marked } from "marked";
import DOMPurify from "dompurify";

const params = new URLSearchParams(window.location.search);

export function showPreview() {
  const draft = params.get("draft") ?? "";
  document.getElementById("preview").innerHTML = marked.parse(draft); // tavo-label: vuln xss
}

export function showPreviewSafely() {
  const draft = params.get("draft") ?? "";
  document.getElementById("preview").innerHTML = DOMPurify.sanitize(marked.parse(draft)); // tavo-label: safe xss
}

export function showTitle() {
  const title = params.get("title") ?? "";
  document.getElementById("title").textContent = title; // tavo-label: safe xss
}

export function jump() {
  const next = params.get("next");
  window.location.href = next; // tavo-label: vuln open-redirect
}

export function jumpHome() {
  window.location.href = "/"; // tavo-label: safe open-redirect
}
