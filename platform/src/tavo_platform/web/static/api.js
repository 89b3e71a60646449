// The one way pages talk to the server: the public API under /api/v1 (what the SDKs use),
// authenticated by the session cookie; state changes carry the CSRF token.

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;
let openapiPaths = null;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") search.append(name, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(path, { method = "GET", body, params, raw } = {}) {
  const headers = { Accept: "application/json" };
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers["Content-Type"] = "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const url = path.startsWith("/ui/") ? path : `/api/v1${path}`;
  const response = await fetch(url + query(params), {
    method, headers, body: payload, credentials: "same-origin",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, "BAD_RESPONSE", `the server sent something that is not JSON (${response.status})`);
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    const failure = new ApiError(response.status, error.code || "ERROR", error.message || response.statusText, error.details);
    if (response.status === 401 && !path.startsWith("/ui/session")) {
      window.dispatchEvent(new CustomEvent("tavo:signed-out"));
    }
    throw failure;
  }
  return data;
}

export const api = {
  get: (path, params) => request(path, { params }),
  post: (path, body, params) => request(path, { method: "POST", body, params }),
  patch: (path, body) => request(path, { method: "PATCH", body }),
  delete: (path) => request(path, { method: "DELETE" }),
  upload: (path, file, params) => request(path, { method: "POST", raw: file, params }),
};

// Which optional endpoints this server has, read from its OpenAPI document: pages whose
// API is not there say so instead of failing.
// Fetched once, when the first page asks (and the app asks early, in parallel with its
// first data requests); the document is cacheable (ETag).
export function loadEndpoints() {
  if (openapiPaths === null) {
    openapiPaths = fetch("/api/v1/openapi.json", { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : {}))
      .then((document) => document.paths || {})
      .catch(() => ({}));
  }
  return openapiPaths;
}

export async function hasEndpoint(path, method = "get") {
  const entry = (await loadEndpoints())[`/api/v1${path}`];
  return Boolean(entry && entry[method]);
}

export function eventsUrl(scanId) {
  return `/api/v1/scans/${encodeURIComponent(scanId)}/events`;
}
