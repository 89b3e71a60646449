"""Users, roles and user-owned keys through the API, in-process, in both configurations
(SQLite embedded; PostgreSQL + Redis scaled): invitations, the role every route needs, keys
capped at their user's role, demotion and removal taking effect on keys, the acting user in
the audit log, another organisation's users as 404, and bad input refused without changes."""

from __future__ import annotations

from typing import Any

import httpx
from tavo_platform.server.auth import display_prefix, generate_key, hash_key
from tavo_platform.web.sessions import CSRF_HEADER

from tests.support.inprocess import ApiClient, InProcessApi

PASSWORD = "correct horse battery staple"
PUBLIC_HOOK = "https://93.184.216.34/hook"


def org_admin_key(api: InProcessApi, org: str) -> str:
    """An organisation key with the admin role (what the platform admin hands out first)."""
    store = api.state.store
    organization = api.run(store.ensure_organization, org)
    key = generate_key()
    api.run(store.add_api_key, organization.id, hash_key(key), display_prefix(key), "pro",
            name="org admin", role="admin")
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def invite(client: ApiClient, key: str, email: str, role: str) -> dict[str, Any]:
    response = client.post("/api/v1/users", json={"email": email, "role": role},
                           headers=bearer(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def join(client: ApiClient, admin: str, email: str, role: str) -> tuple[dict[str, Any], str]:
    """Invites and accepts: the user and their first key."""
    invited = invite(client, admin, email, role)
    accepted = client.post("/api/v1/invitations/accept",
                           json={"token": invited["invitation"]["token"], "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["user"]["status"] == "active" and body["key"]["role"] == role
    return body["user"], body["key"]["key"]


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False and payload["error"]["code"] == code, payload
    return dict(payload["error"])


def test_roles_decide_what_each_user_may_do(api: InProcessApi) -> None:
    client = api.client
    admin = org_admin_key(api, "acme")
    _, viewer = join(client, admin, "vi@example.com", "viewer")
    member_user, member = join(client, admin, "me@example.com", "member")
    # A viewer reads, and changes nothing.
    assert client.get("/api/v1/users", headers=bearer(viewer)).json()["total"] == 2
    assert client.get("/api/v1/findings", headers=bearer(viewer)).status_code == 200
    for method, path, body in (
        ("POST", "/api/v1/scans", {"repository_url": "https://127.0.0.1/r.git"}),
        ("POST", "/api/v1/webhooks", {"url": PUBLIC_HOOK, "events": ["scan.failed"]}),
        ("PATCH", "/api/v1/findings/tf_missing", {"status": "false_positive"}),
        ("POST", "/api/v1/repositories", {"url": "https://127.0.0.1/r.git"}),
        ("DELETE", "/api/v1/scans/scan_missing", None),
        ("POST", "/api/v1/users", {"email": "x@example.com"}),
    ):
        refused = error(client.request(method, path, json=body, headers=bearer(viewer)),
                        403, "FORBIDDEN")
        assert refused["details"]["role"] == "viewer"
    assert client.get("/api/v1/webhooks", headers=bearer(admin)).json()["total"] == 0
    # A member works, but manages no users and reads no audit log.
    created = client.post("/api/v1/webhooks", headers=bearer(member),
                          json={"url": PUBLIC_HOOK, "events": ["scan.failed"]})
    assert created.status_code == 201, created.text
    error(client.post("/api/v1/users", json={"email": "y@example.com"}, headers=bearer(member)),
          403, "FORBIDDEN")
    error(client.get("/api/v1/audit-log", headers=bearer(member)), 403, "FORBIDDEN")
    error(client.request("PATCH", f"/api/v1/users/{member_user['id']}", json={"role": "admin"},
                       headers=bearer(member)), 403, "FORBIDDEN")
    assert client.get("/api/v1/users/me", headers=bearer(member)).json()["id"] == member_user["id"]
    error(client.get("/api/v1/users/me", headers=bearer(admin)), 404, "NOT_FOUND")
    # The audit log names the acting user.
    log = client.get("/api/v1/audit-log", headers=bearer(admin)).json()["items"]
    webhook_entry = next(e for e in log if e["action"] == "webhook.created")
    assert webhook_entry["actor_user"] == {"id": member_user["id"], "email": "me@example.com"}
    mine = client.get(f"/api/v1/audit-log?actor_user={member_user['id']}",
                      headers=bearer(admin)).json()["items"]
    assert {e["action"] for e in mine} == {"webhook.created", "user.activated"}


def test_user_keys_carry_at_most_the_users_role(api: InProcessApi) -> None:
    client = api.client
    admin = org_admin_key(api, "acme")
    user, member = join(client, admin, "kim@example.com", "member")
    keys = f"/api/v1/users/{user['id']}/keys"
    error(client.post(keys, json={"role": "admin"}, headers=bearer(member)), 403, "FORBIDDEN")
    made = client.post("/api/v1/users/me/keys", json={"name": "ci", "role": "viewer"},
                       headers=bearer(member))
    assert made.status_code == 201, made.text
    weak = made.json()
    assert weak["role"] == "viewer" and weak["user_id"] == user["id"]
    # A viewer key cannot mint a member key, even for a member user.
    error(client.post(keys, json={"role": "member"}, headers=bearer(weak["key"])),
          403, "FORBIDDEN")
    assert client.post(keys, json={}, headers=bearer(weak["key"])).json()["role"] == "viewer"
    error(client.post("/api/v1/schedules", json={}, headers=bearer(weak["key"])), 403,
          "FORBIDDEN")
    # Rotation: a new key of the same role and scope; the old one works for the overlap.
    first_id = next(k["id"] for k in client.get(keys, headers=bearer(member)).json()["items"]
                    if k["name"] == "first key")
    error(client.post(f"{keys}/{first_id}/rotate", json={}, headers=bearer(weak["key"])), 403,
          "FORBIDDEN")  # a viewer key cannot renew the member key
    rotated = client.post(f"{keys}/{weak['id']}/rotate", json={"overlap_seconds": 600},
                          headers=bearer(member))
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["role"] == "viewer" and rotated.json()["replaces"]["expires_at"]
    assert client.get("/api/v1/users/me", headers=bearer(rotated.json()["key"])).status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(weak["key"])).status_code == 200
    error(client.post(f"{keys}/{weak['id']}/rotate", json={"overlap_seconds": -1},
                      headers=bearer(member)), 422, "VALIDATION_ERROR")
    client.delete(f"{keys}/{rotated.json()['id']}", headers=bearer(member))
    # Nobody else creates a user's keys; an admin lists and revokes them.
    error(client.post(keys, json={}, headers=bearer(admin)), 403, "FORBIDDEN")
    listed = client.get(keys, headers=bearer(admin)).json()
    assert listed["total"] == 3 and {k["kind"] for k in listed["items"]} == {"api"}
    revoked = client.delete(f"{keys}/{weak['id']}", headers=bearer(admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    error(client.get("/api/v1/users", headers=bearer(weak["key"])), 401, "INVALID_API_KEY")
    error(client.delete(f"{keys}/key_missing", headers=bearer(member)), 404, "NOT_FOUND")
    # Demotion lowers the user's keys at once; removal revokes them.
    demoted = client.request("PATCH", f"/api/v1/users/{user['id']}", json={"role": "viewer"},
                           headers=bearer(admin))
    assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"
    error(client.post("/api/v1/webhooks", json={"url": PUBLIC_HOOK, "events": ["scan.failed"]},
                      headers=bearer(member)), 403, "FORBIDDEN")
    removed = client.delete(f"/api/v1/users/{user['id']}", headers=bearer(admin))
    assert removed.status_code == 200 and removed.json()["keys_revoked"] == 2
    error(client.get("/api/v1/findings", headers=bearer(member)), 401, "INVALID_API_KEY")
    actions = [e["action"] for e in
               client.get("/api/v1/audit-log", headers=bearer(admin)).json()["items"]]
    assert actions[:3] == ["user.removed", "user.updated", "key.revoked"]


def test_other_organisations_users_are_not_found(api: InProcessApi) -> None:
    client = api.client
    acme = org_admin_key(api, "acme")
    globex = org_admin_key(api, "globex")
    user, key = join(client, acme, "ann@example.com", "member")
    for method, path, body in (
        ("GET", f"/api/v1/users/{user['id']}", None),
        ("PATCH", f"/api/v1/users/{user['id']}", {"role": "viewer"}),
        ("DELETE", f"/api/v1/users/{user['id']}", None),
        ("GET", f"/api/v1/users/{user['id']}/keys", None),
        ("POST", f"/api/v1/users/{user['id']}/invitation", {}),
    ):
        error(client.request(method, path, json=body, headers=bearer(globex)), 404, "NOT_FOUND")
    assert client.get("/api/v1/users", headers=bearer(globex)).json()["total"] == 0
    assert client.get(f"/api/v1/users/{user['id']}", headers=bearer(acme)).json()["role"] == (
        "member")
    assert client.get("/api/v1/findings", headers=bearer(key)).status_code == 200


def test_bad_input_is_refused_and_changes_nothing(api: InProcessApi) -> None:
    client = api.client
    admin = org_admin_key(api, "acme")
    boss, boss_key = join(client, admin, "boss@example.com", "admin")
    for body in ({"email": "not-an-address"}, {"email": "a@example.com", "role": "owner"},
                 {"email": "a@example.com", "extra": 1}, {"email": "a@example.com",
                                                          "invitation_days": 0}):
        error(client.post("/api/v1/users", json=body, headers=bearer(admin)), 422,
              "VALIDATION_ERROR")
    error(client.post("/api/v1/users", json={"email": "a@example.com", "tier": "enterprise"},
                      headers=bearer(admin)), 403, "FORBIDDEN")
    error(client.post("/api/v1/users", json={"email": "BOSS@example.com "},
                      headers=bearer(admin)), 409, "USER_EXISTS")
    assert client.get("/api/v1/users", headers=bearer(admin)).json()["total"] == 1
    invited = invite(client, admin, "new@example.com", "viewer")
    token = invited["invitation"]["token"]
    accept = "/api/v1/invitations/accept"
    error(client.post(accept, json={"token": token, "password": "short"}), 422,
          "VALIDATION_ERROR")
    error(client.post(accept, json={"token": "tavo_inv_wrong", "password": PASSWORD}), 400,
          "INVITATION_INVALID")
    assert client.get(f"/api/v1/users/{invited['id']}", headers=bearer(admin)).json()[
        "status"] == "invited"
    assert client.post(accept, json={"token": token, "password": PASSWORD}).status_code == 200
    error(client.post(accept, json={"token": token, "password": PASSWORD}), 400,
          "INVITATION_INVALID")
    error(client.post(f"/api/v1/users/{invited['id']}/invitation", json={},
                      headers=bearer(admin)), 409, "USER_ACTIVE")
    # The last active admin user stays an admin, and stays.
    error(client.request("PATCH", f"/api/v1/users/{boss['id']}", json={"role": "member"},
                       headers=bearer(boss_key)), 409, "LAST_ADMIN")
    error(client.delete("/api/v1/users/me", headers=bearer(boss_key)), 409, "LAST_ADMIN")
    for bad in ({"role": "root"}, {}, {"role": None}, {"name": "x" * 201}):
        error(client.request("PATCH", f"/api/v1/users/{boss['id']}", json=bad,
                             headers=bearer(admin)), 422, "VALIDATION_ERROR")
    assert client.get("/api/v1/users/me", headers=bearer(boss_key)).json()["role"] == "admin"
    error(client.get("/api/v1/users/" + "x" * 300, headers=bearer(admin)), 404, "NOT_FOUND")


def test_dashboard_sign_in_with_a_password(api: InProcessApi) -> None:
    client = api.client
    admin = org_admin_key(api, "acme")
    user, _ = join(client, admin, "dee@example.com", "member")
    error(client.post("/ui/session", json={"email": "dee@example.com", "password": "wrong"}),
          401, "INVALID_CREDENTIALS")
    error(client.post("/ui/session", json={"email": "nobody@example.com", "password": "x"}),
          401, "INVALID_CREDENTIALS")
    error(client.post("/ui/session", json={"email": "dee@example.com"}), 422,
          "VALIDATION_ERROR")
    signed = client.post("/ui/session", json={"email": "Dee@example.com ", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    session = signed.json()
    assert session["key"]["role"] == "member" and session["key"]["user_id"] == user["id"]
    assert session["key"]["kind"] == "session"
    cookie = signed.cookies.get("tavo_session")
    assert cookie
    cookies = {"Cookie": f"tavo_session={cookie}"}
    csrf = {**cookies, CSRF_HEADER: session["csrf_token"]}
    me = client.get("/api/v1/users/me", headers=cookies)
    assert me.status_code == 200 and me.json()["email"] == "dee@example.com"
    made = client.post("/api/v1/users/me/keys", json={"name": "laptop"},
                       headers=csrf)
    assert made.status_code == 201 and made.json()["role"] == "member"
    changed = client.post("/api/v1/users/me/password", headers=csrf,
                          json={"current_password": PASSWORD, "new_password": PASSWORD + "!"})
    assert changed.status_code == 200, changed.text
    assert client.delete("/ui/session", headers=csrf).status_code == 200
    error(client.get("/api/v1/users/me", headers=cookies), 401, "INVALID_API_KEY")
    error(client.post("/ui/session", json={"email": "dee@example.com", "password": PASSWORD}),
          401, "INVALID_CREDENTIALS")
    assert client.post("/ui/session", json={"email": "dee@example.com",
                                            "password": PASSWORD + "!"}).status_code == 200


def test_the_role_policy_names_only_real_routes(api: InProcessApi) -> None:
    from tavo_platform.server.roles import POLICY, required_role

    paths = api.client.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    routes.add(("DELETE", "/ui/session"))  # the dashboard's (not in the API document)
    assert set(POLICY) <= routes
    mutations = {(m, p) for m, p in routes if m not in ("GET", "HEAD") and
                 p.startswith("/api/v1/")}
    open_to_viewers = {r for r in mutations if required_role(*r) == "viewer"}
    assert open_to_viewers == {
        ("POST", "/api/v1/scans/bulk/status"),
        ("POST", "/api/v1/users/{user_id}/keys"),
        ("DELETE", "/api/v1/users/{user_id}/keys/{key_id}"),
        ("POST", "/api/v1/users/{user_id}/keys/{key_id}/rotate"),
        ("POST", "/api/v1/users/{user_id}/password"),
    }
    assert len(mutations) > 25


def test_sign_in_names_the_organisation_and_throttles_guessing(api: InProcessApi) -> None:
    client = api.client
    for org in ("acme", "globex"):
        join(client, org_admin_key(api, org), "sam@example.com", "member")
    both = {"email": "sam@example.com", "password": PASSWORD}
    refused = error(client.post("/ui/session", json=both), 409, "ORGANIZATION_REQUIRED")
    assert len(refused["details"]["organizations"]) == 2
    signed = client.post("/ui/session", json={**both, "organization": "globex"})
    assert signed.status_code == 200, signed.text
    globex = client.get("/api/v1/users", headers=bearer(org_admin_key(api, "globex"))).json()
    assert signed.json()["key"]["org_id"] == globex["items"][0]["org_id"]
    first_org = refused["details"]["organizations"][0]
    by_id = client.post("/ui/session", json={**both, "organization": first_org})
    assert by_id.status_code == 200, by_id.text
    error(client.post("/ui/session", json={**both, "organization": "initech"}), 401,
          "INVALID_CREDENTIALS")
    guess = {"email": "sam@example.com", "password": "guess", "organization": "acme"}
    for _ in range(9):  # one failure above already
        error(client.post("/ui/session", json=guess), 401, "INVALID_CREDENTIALS")
    throttled = client.post("/ui/session", json={**guess, "password": PASSWORD})
    error(throttled, 429, "TOO_MANY_SIGN_IN_ATTEMPTS")
    assert int(throttled.headers["Retry-After"]) > 0
