// Administration (the admin role): users and their roles (invitations are shown once),
// API keys for platform admin keys (created keys are shown once), and, where this server
// has them, webhooks with their deliveries, schedules, usage and the audit log.

import { api, ApiError, hasEndpoint } from "../api.js";
import { append, clear, h, notice, statusBadge, table, when } from "../dom.js";

function errorText(error) {
  return error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
}

async function keysSection(reload) {
  const keys = await api.get("/admin/keys", { page_size: 100 });
  const result = h("div", { "aria-live": "polite", id: "key-result" });
  const name = h("input", { id: "key-name", name: "name", maxlength: 200 });
  const org = h("input", { id: "key-org", name: "org", value: "default", required: true, maxlength: 200 });
  const tier = h("select", { id: "key-tier", name: "tier" }, ["free", "pro", "enterprise"].map((value) => h("option", { value }, value)));
  const create = async (event) => {
    event.preventDefault();
    clear(result);
    try {
      const created = await api.post("/admin/keys", { name: name.value, org: org.value, tier: tier.value });
      // Shown once: the server keeps only its hash.
      result.append(h("div", { class: "notice notice-success", role: "status" },
        h("p", {}, "The new key (copy it now; it is not shown again):"), h("code", { class: "secret", id: "new-key" }, created.key)));
      await reload(result);
    } catch (error) {
      result.append(notice(errorText(error), "error"));
    }
  };
  const revoke = (key) => async () => {
    if (!window.confirm(`Revoke ${key.prefix}…? Programs using it stop working.`)) return;
    try {
      await api.delete(`/admin/keys/${encodeURIComponent(key.id)}`);
      await reload();
    } catch (error) {
      result.append(notice(errorText(error), "error"));
    }
  };
  const rows = keys.items.map((key) => h("tr", { dataset: { key: key.id } },
    h("td", {}, h("code", {}, `${key.prefix}…`)), h("td", {}, key.name || "—"), h("td", {}, key.tier),
    h("td", {}, key.is_admin ? "admin" : "—"), h("td", {}, when(key.created_at)),
    h("td", {}, key.revoked_at ? statusBadge("revoked") : h("button", { type: "button", class: "secondary", onclick: revoke(key) }, "Revoke"))));
  return h("section", { "aria-labelledby": "keys-heading" }, h("h2", { id: "keys-heading" }, "API keys"),
    h("form", { class: "card", onsubmit: create }, h("div", { class: "grid" },
      h("div", {}, h("label", { for: "key-name" }, "Name"), name),
      h("div", {}, h("label", { for: "key-org" }, "Organisation"), org),
      h("div", {}, h("label", { for: "key-tier" }, "Tier"), tier)), h("button", { type: "submit" }, "Create key"), result),
    table(["Key", "Name", "Tier", "Role", "Created", ""], rows));
}

function genericList(title, id, items, columns) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title),
    table(columns.map(([label]) => label), items.map((item) => h("tr", {}, columns.map(([, read]) => h("td", {}, read(item) ?? "—"))))));
}

const ROLES = ["viewer", "member", "admin"];

async function usersSection(reload) {
  const users = await api.get("/users", { page_size: 100 });
  const result = h("div", { "aria-live": "polite", id: "user-result" });
  const email = h("input", { id: "user-email", name: "email", type: "email", required: true, maxlength: 320 });
  const role = h("select", { id: "user-role", name: "role" }, ROLES.map((value) => h("option", { value, selected: value === "member" }, value)));
  const invite = async (event) => {
    event.preventDefault();
    clear(result);
    try {
      const invited = await api.post("/users", { email: email.value, role: role.value });
      // Shown once: the server keeps only its hash.
      result.append(h("div", { class: "notice notice-success", role: "status" },
        h("p", {}, `The invitation of ${invited.email} (hand it over now; it is not shown again):`),
        h("code", { class: "secret", id: "new-invitation" }, invited.invitation.token)));
      email.value = "";
      await reload(result);
    } catch (error) {
      result.append(notice(errorText(error), "error"));
    }
  };
  const change = (user, select) => async () => {
    try {
      await api.patch(`/users/${encodeURIComponent(user.id)}`, { role: select.value });
      await reload();
    } catch (error) {
      select.value = user.role;
      result.append(notice(errorText(error), "error"));
    }
  };
  const remove = (user) => async () => {
    if (!window.confirm(`Remove ${user.email}? Their keys and sessions stop working.`)) return;
    try {
      await api.delete(`/users/${encodeURIComponent(user.id)}`);
      await reload();
    } catch (error) {
      result.append(notice(errorText(error), "error"));
    }
  };
  const rows = users.items.map((user) => {
    const select = h("select", { "aria-label": `Role of ${user.email}` }, ROLES.map((value) => h("option", { value, selected: value === user.role }, value)));
    select.addEventListener("change", change(user, select));
    return h("tr", { dataset: { user: user.id } },
      h("td", {}, user.name || "—"), h("td", {}, user.email), h("td", {}, select),
      h("td", {}, statusBadge(user.status)), h("td", {}, when(user.created_at)),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: remove(user) }, "Remove")));
  });
  return h("section", { "aria-labelledby": "users-heading" }, h("h2", { id: "users-heading" }, "Users and roles"),
    h("form", { class: "card", onsubmit: invite }, h("div", { class: "grid" },
      h("div", {}, h("label", { for: "user-email" }, "E-mail address"), email),
      h("div", {}, h("label", { for: "user-role" }, "Role"), role)), h("button", { type: "submit" }, "Invite"), result),
    table(["Name", "Email", "Role", "Status", "Invited", ""], rows));
}

const OPTIONAL = [
  ["/webhooks", "Webhooks", [["Target", (w) => w.url || w.target_url], ["Events", (w) => (w.events || w.event_types || []).join(", ")], ["Active", (w) => String(w.active ?? w.enabled ?? true)]]],
  ["/schedules", "Schedules", [["Repository", (s) => s.repository_id || s.repository_url], ["Cron", (s) => s.cron], ["Timezone", (s) => s.timezone], ["Next run", (s) => when(s.next_run_at)]]],
  ["/audit-log", "Audit log", [["When", (e) => when(e.at || e.created_at)], ["Action", (e) => e.action], ["Actor", (e) => (e.actor_user && e.actor_user.email) || e.actor || e.key_id], ["Target", (e) => e.target || e.target_id]]],
];

async function deliveriesFor(webhooks) {
  if (!webhooks.length || !(await hasEndpoint("/webhooks/{webhook_id}/deliveries"))) return null;
  const first = webhooks[0];
  const deliveries = await api.get(`/webhooks/${encodeURIComponent(first.id)}/deliveries`, { page_size: 20 });
  return genericList(`Deliveries of ${first.url || first.target_url || first.id}`, "deliveries-heading", deliveries.items || [],
    [["When", (d) => when(d.created_at || d.at)], ["Event", (d) => d.event || d.event_type], ["Status", (d) => String(d.status ?? d.response_status ?? "—")], ["Attempts", (d) => String(d.attempts ?? "—")]]);
}

async function usageSection() {
  if (!(await hasEndpoint("/usage"))) return notice("Usage figures are not available on this server yet.", "info");
  const usage = await api.get("/usage");
  const pre = h("pre", { class: "code small" }, h("code", {}, JSON.stringify(usage, null, 2)));
  return h("section", { "aria-labelledby": "usage-heading" }, h("h2", { id: "usage-heading" }, "Usage and rate-limit budgets"), pre);
}

export async function adminPage(root, context) {
  append(root, h("h1", {}, "Administration"));
  const key = context.session.key;
  if (!key.is_admin && key.role !== "admin") {
    append(root, notice("Administration needs the admin role.", "error"));
    return;
  }
  const body = h("div");
  append(root, body);
  const reload = async (keep) => {
    const sections = [await usersSection(reload)];
    // API keys of any organisation: platform admin keys only.
    if (key.is_admin) sections.push(await keysSection(reload));
    // Keep the answer just shown (a new key or invitation) in place of the fresh, empty one.
    if (keep) sections.map((section) => section.querySelector(`#${keep.id}`)).find(Boolean)?.replaceWith(keep);
    sections.push(await usageSection());
    for (const [path, title, columns] of OPTIONAL) {
      if (!(await hasEndpoint(path))) {
        sections.push(h("section", {}, h("h2", {}, title), notice(`${title}: not available on this server yet.`, "info")));
        continue;
      }
      try {
        const list = await api.get(path, { page_size: 50 });
        const items = list.items || [];
        sections.push(genericList(title, `${path.slice(1)}-heading`, items, columns));
        if (path === "/webhooks") sections.push(await deliveriesFor(items));
      } catch (error) {
        sections.push(notice(`${title}: ${errorText(error)}`, "error"));
      }
    }
    clear(body);
    append(body, sections);
  };
  await reload();
}
