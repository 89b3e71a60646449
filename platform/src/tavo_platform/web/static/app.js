// The dashboard's shell: who is signed in, the navigation, and a hash router that hands
// each route to its page module.

import { ApiError, loadEndpoints, request, setCsrf } from "./api.js";
import { append, clear, h, notice } from "./dom.js";
import { overviewPage } from "./pages/overview.js";
import { scanPage, scansPage } from "./pages/scans.js";
import { findingPage, findingsPage } from "./pages/findings.js";
import { analysisPage, diffPage } from "./pages/analysis.js";
import { adminPage } from "./pages/admin.js";

const ROUTES = [
  [/^\/?$/, overviewPage, "Overview"],
  [/^\/scans$/, scansPage, "Scans"],
  [/^\/scans\/([^/]+)$/, scanPage, "Scan"],
  [/^\/scans\/([^/]+)\/analysis$/, analysisPage, "AI analysis"],
  [/^\/findings$/, findingsPage, "Findings"],
  [/^\/findings\/([^/]+)$/, findingPage, "Finding"],
  [/^\/diff$/, diffPage, "Compare scans"],
  [/^\/admin$/, adminPage, "Administration"],
];
const NAV = [["#/", "Overview"], ["#/scans", "Scans"], ["#/findings", "Findings"], ["#/diff", "Compare"], ["#/admin", "Admin"]];

const state = { session: null, cleanup: [] };

function main() {
  return document.getElementById("main");
}

function parseHash() {
  const [path, search = ""] = (location.hash.replace(/^#/, "") || "/").split("?");
  return { path, params: new URLSearchParams(search) };
}

function renderNav() {
  const nav = clear(document.getElementById("nav"));
  if (!state.session) return;
  const current = "#" + parseHash().path;
  append(nav, NAV.filter(([, label]) => label !== "Admin" || state.session.key.is_admin || state.session.key.role === "admin")
    .map(([href, label]) => h("a", { href, "aria-current": current === href || (href !== "#/" && current.startsWith(href)) ? "page" : null }, label)));
  const who = clear(document.getElementById("who"));
  append(who, [
    h("span", { class: "muted" }, `${state.session.key.org_id} · ${state.session.key.role || state.session.key.tier}`),
    h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"),
  ]);
}

async function signOut() {
  try {
    await request("/ui/session", { method: "DELETE" });
  } finally {
    state.session = null;
    setCsrf(null);
    location.hash = "#/";
    await route();
  }
}

function signInPage(root, message) {
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password" });
  const input = h("input", { id: "api-key", name: "api_key", type: "password", autocomplete: "off", minlength: 8 });
  const status = h("div", { "aria-live": "polite" }, message ? notice(message, "error") : null);
  const form = h("form", { class: "card narrow", onsubmit: async (event) => {
    event.preventDefault();
    clear(status);
    const body = input.value
      ? { api_key: input.value }
      : { email: email.value, password: password.value };
    if (!body.api_key && !(body.email && body.password)) {
      append(status, notice("Give your e-mail address and password, or an API key.", "error"));
      return;
    }
    try {
      const session = await request("/ui/session", { method: "POST", body });
      input.value = "";
      password.value = "";
      await started(session);
    } catch (error) {
      append(status, notice(error instanceof ApiError ? error.message : "Sign-in failed.", "error"));
    }
  } },
  h("h1", {}, "Sign in to Tavo"),
  h("p", { class: "muted" }, "With the e-mail address and password of your invitation, or with an API key (tavo keys create). Either is exchanged for a session cookie and never kept in the page."),
  h("label", { for: "email" }, "E-mail address"), email,
  h("label", { for: "password" }, "Password"), password,
  h("label", { for: "api-key" }, "or an API key"), input,
  h("button", { type: "submit" }, "Sign in"), status);
  append(clear(root), form);
  clear(document.getElementById("nav"));
  clear(document.getElementById("who"));
  email.focus();
}

async function started(session) {
  state.session = session;
  setCsrf(session.csrf_token);
  await route();
}

async function route() {
  for (const stop of state.cleanup.splice(0)) stop();
  const root = main();
  if (!state.session) {
    try {
      const session = await request("/ui/session").catch(() => null);
      if (session) {
        state.session = session;
        setCsrf(session.csrf_token);
      }
    } catch {
      state.session = null;
    }
  }
  if (!state.session) return signInPage(root);
  loadEndpoints();
  renderNav();
  const { path, params } = parseHash();
  const match = ROUTES.map(([pattern, page, title]) => [path.match(pattern), page, title]).find(([found]) => found);
  clear(root);
  if (!match) {
    append(root, [h("h1", {}, "Not found"), notice("There is no such page.", "error")]);
    return;
  }
  const [found, page, title] = match;
  document.title = `${title} · Tavo`;
  const context = {
    session: state.session,
    params,
    onLeave: (stop) => state.cleanup.push(stop),
    go: (hash) => { location.hash = hash; },
  };
  try {
    await page(root, context, ...found.slice(1).map(decodeURIComponent));
  } catch (error) {
    append(root, notice(error instanceof ApiError ? `${error.message} (${error.code})` : String(error), "error"));
  }
  root.dataset.ready = "true";
}

window.addEventListener("hashchange", () => { main().dataset.ready = "false"; route(); });
window.addEventListener("tavo:signed-out", () => {
  state.session = null;
  signInPage(main(), "Your session has ended: sign in again.");
});
document.addEventListener("DOMContentLoaded", route);
