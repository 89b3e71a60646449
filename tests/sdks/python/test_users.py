"""Users, roles and user-owned keys through the SDK (sync and async) against a real server:
invitations accepted without a key, what each role may do, keys capped at the user's role,
demotion and removal taking effect on keys, the acting user in the audit log, another
organisation's users not found, and bad input refused with the error envelope."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from tavo import (
    SyncTavoClient,
    TavoAPIError,
    TavoAuthError,
    TavoClient,
    TavoNotFoundError,
    TavoValidationError,
    accept_invitation,
    accept_invitation_async,
)
from tavo.types import (
    AcceptedInvitation,
    AuditActor,
    InvitedUser,
    RotatedUserKey,
    User,
    UserKey,
    UserList,
)

from tests.sdks.python.conftest import run
from tests.support.live import LiveServer

PASSWORD = "correct horse battery staple"
PUBLIC_HOOK = "https://93.184.216.34/hook"


def org_admin_key(server: LiveServer, org: str) -> str:
    """An organisation key acting as admin, made by the platform admin."""
    response = httpx.post(f"{server.base_url}/api/v1/admin/keys",
                          json={"tier": "pro", "org": org, "role": "admin",
                                "limits": {"requests_per_hour": 10**6}},
                          headers={"Authorization": f"Bearer {server.admin_key}"})
    response.raise_for_status()
    assert response.json()["role"] == "admin" and response.json()["is_admin"] is False
    return str(response.json()["key"])


def forbidden(call: Any, *args: Any, **kwargs: Any) -> TavoAPIError:
    with pytest.raises(TavoAPIError) as refused:
        call(*args, **kwargs)
    assert refused.value.status_code == 403 and refused.value.code == "FORBIDDEN"
    return refused.value


def test_invite_accept_and_what_each_role_may_do(server: LiveServer,
                                                 repository_url: str) -> None:
    org = f"people-{uuid.uuid4().hex[:8]}"
    with SyncTavoClient(org_admin_key(server, org), base_url=server.base_url) as admin:
        invited = admin.users.invite_user("Vic@Example.com", role="viewer", name="Vic")
        assert isinstance(invited, InvitedUser) and invited.invitation is not None
        assert invited.email == "vic@example.com" and invited.status == "invited"
        member_invite = admin.users.invite_user("mo@example.com")
        assert member_invite.role == "member"
        with pytest.raises(TavoValidationError):
            admin.users.invite_user("not an address")
        with pytest.raises(TavoAPIError) as taken:
            admin.users.invite_user("vic@example.com")
        assert taken.value.status_code == 409 and taken.value.code == "USER_EXISTS"
        assert admin.users.list_users().total == 2
    assert member_invite.invitation is not None and invited.invitation is not None
    viewer = accept_invitation(invited.invitation.token, PASSWORD, base_url=server.base_url)
    assert isinstance(viewer, AcceptedInvitation) and viewer.key.key
    assert viewer.user.status == "active" and viewer.key.role == "viewer"
    with pytest.raises(TavoAPIError) as spent:
        accept_invitation(invited.invitation.token, PASSWORD, base_url=server.base_url)
    assert spent.value.status_code == 400 and spent.value.code == "INVITATION_INVALID"
    member = run(accept_invitation_async(member_invite.invitation.token, PASSWORD,
                                         name="Mo", base_url=server.base_url))
    assert member.user.name == "Mo" and member.key.key
    with SyncTavoClient(viewer.key.key, base_url=server.base_url) as client:
        assert isinstance(client.users.list_users(), UserList)
        assert client.users.me().role == "viewer"
        assert client.scan_management.list_scans().total == 0
        refused = forbidden(client.scan_management.create_scan, repository_url=repository_url)
        assert refused.details == {"required_role": "member", "role": "viewer"}
        forbidden(client.webhooks.create_webhook, PUBLIC_HOOK, ["scan.failed"])
        forbidden(client.findings.triage_finding, "tf_missing", "false_positive")
        forbidden(client.users.invite_user, "x@example.com")
        client.users.change_password(PASSWORD, PASSWORD + " again")
        with pytest.raises(TavoAPIError) as wrong:
            client.users.change_password(PASSWORD, PASSWORD + " once more")
        assert wrong.value.code == "INVALID_CREDENTIALS"
    with SyncTavoClient(member.key.key, base_url=server.base_url) as client:
        hook = client.webhooks.create_webhook(PUBLIC_HOOK, ["scan.failed"])
        forbidden(client.users.update_user, member.user.id, role="admin")
        forbidden(client.audit_log.list_audit_log)
    with SyncTavoClient(org_admin_key(server, org), base_url=server.base_url) as admin:
        entry = admin.audit_log.list_audit_log(action="webhook.").items[0]
        assert entry.target_id == hook.id
        assert entry.actor_user == AuditActor(id=member.user.id, email="mo@example.com")
        mine = admin.audit_log.list_audit_log(actor_user=member.user.id)
        assert [e.action for e in mine.items] == ["webhook.created", "user.activated"]


def test_user_keys_demotion_and_removal(server: LiveServer) -> None:
    org = f"keys-{uuid.uuid4().hex[:8]}"
    admin_key = org_admin_key(server, org)

    async def body() -> None:
        async with TavoClient(admin_key, base_url=server.base_url) as admin:
            invited = await admin.users.invite_user("kai@example.com", role="member")
            assert invited.invitation is not None
            kai = await accept_invitation_async(invited.invitation.token, PASSWORD,
                                                base_url=server.base_url)
            assert kai.key.key is not None
            async with TavoClient(kai.key.key, base_url=server.base_url) as own:
                made = await own.users.create_key(name="ci", role="member",
                                                  scope="read-only")
                assert isinstance(made, UserKey) and made.key and made.role == "member"
                listed = await own.users.list_keys()
                assert {k.id for k in listed.items} == {kai.key.id, made.id}
                assert all(k.key is None for k in listed.items)
                rotated = await own.users.rotate_key(made.id, overlap_seconds=0)
                assert isinstance(rotated, RotatedUserKey) and rotated.key
                assert rotated.replaces is not None and rotated.replaces.id == made.id
                assert (rotated.role, rotated.scope) == ("member", "read-only")
                async with TavoClient(made.key, base_url=server.base_url,
                                      max_retries=0) as old:
                    with pytest.raises(TavoAuthError):
                        await old.users.me()  # no overlap asked: expired at once
                made = rotated
            demoted = await admin.users.update_user(kai.user.id, role="viewer")
            assert isinstance(demoted, User) and demoted.role == "viewer"
            async with TavoClient(kai.key.key, base_url=server.base_url) as own:
                with pytest.raises(TavoAPIError) as above:
                    await own.users.create_key(role="member")
                assert above.value.status_code == 403
                keys = (await own.users.list_keys()).items
                assert {k.role for k in keys} == {"viewer"}
            removed = await admin.users.remove_user(kai.user.id)
            assert removed.keys_revoked == 3  # the first, the rotated one, and its expired old one
            async with TavoClient(kai.key.key, base_url=server.base_url,
                                  max_retries=0) as gone:
                with pytest.raises(TavoAuthError):
                    await gone.users.me()
            with pytest.raises(TavoNotFoundError):
                await admin.users.get_user(kai.user.id)

    run(body())


def test_other_organisations_users_are_not_found(server: LiveServer) -> None:
    with SyncTavoClient(org_admin_key(server, f"a-{uuid.uuid4().hex[:8]}"),
                        base_url=server.base_url) as acme:
        user = acme.users.invite_user("ann@example.com")
        again = acme.users.reissue_invitation(user.id, invitation_days=2)
        assert again.invitation is not None and user.invitation is not None
        assert again.invitation.token != user.invitation.token
    with SyncTavoClient(org_admin_key(server, f"g-{uuid.uuid4().hex[:8]}"),
                        base_url=server.base_url) as globex:
        for call in (globex.users.get_user, globex.users.remove_user,
                     globex.users.reissue_invitation, globex.users.list_keys):
            with pytest.raises(TavoNotFoundError):
                call(user.id)
        with pytest.raises(TavoNotFoundError):
            globex.users.update_user(user.id, role="viewer")
        assert globex.users.list_users().total == 0
        with pytest.raises(TavoNotFoundError):
            globex.users.me()  # an organisation key is no user
