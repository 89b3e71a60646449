"""Roles: what a caller may do in its organisation, checked on every authenticated request.

A key acts with a role: a user's key with its own (never above its user's: see
store/users.py), an organisation's key with `admin` when it is an admin key, else `member`.

    viewer   reads everything of the organisation; changes nothing but its own keys
    member   runs the organisation's work: scans, uploads, triage, repositories,
             webhooks, schedules, rules, analyses
    admin    also manages users and their roles, and reads the audit log

The policy below is one table for the whole API, keyed by the matched route's method and
path template: a reading method needs `viewer`, any other method `member`, unless listed.
A route added later is therefore closed to viewers by default.
"""

from __future__ import annotations

from fastapi import Request

from tavo_platform.server.auth import Principal
from tavo_platform.server.errors import APIError
from tavo_platform.store.users import key_role, role_rank

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
USER = "/api/v1/users/{user_id}"

# Routes whose method alone says too little: the minimum role, by (method, path template).
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/audit-log"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("PATCH", USER): "admin",
    ("DELETE", USER): "admin",
    ("POST", f"{USER}/invitation"): "admin",
    # Reads sent as POST, and what every caller may do for itself (the handlers check
    # that the keys are the caller's own, or that the caller is an admin).
    ("POST", "/api/v1/scans/bulk/status"): "viewer",
    ("DELETE", "/ui/session"): "viewer",
    ("POST", f"{USER}/keys"): "viewer",
    ("DELETE", f"{USER}/keys/{{key_id}}"): "viewer",
    ("POST", f"{USER}/keys/{{key_id}}/rotate"): "viewer",
    ("POST", f"{USER}/password"): "viewer",
}


def role_of(principal: Principal) -> str:
    return key_role(principal.key)


def has_role(principal: Principal, role: str) -> bool:
    return role_rank(role_of(principal)) >= role_rank(role)


def required_role(method: str, path: str) -> str:
    listed = POLICY.get((method, path))
    if listed is not None:
        return listed
    return "viewer" if method in _READS else "member"


def forbidden(needed: str, principal: Principal) -> APIError:
    role = role_of(principal)
    return APIError(
        403,
        "FORBIDDEN",
        f"this action needs the {needed} role; this key acts as {role}",
        {"required_role": needed, "role": role},
    )


def check_role(principal: Principal, request: Request) -> None:
    """403 unless the caller's role reaches what the matched route needs."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    needed = required_role(request.method, path)
    if not has_role(principal, needed):
        raise forbidden(needed, principal)
