"""Writing the audit log from the routes: who (the key, and the user whose key it is) did
what to which object. Details name what changed, never a secret's value."""

from __future__ import annotations

from typing import Any

from tavo_platform.server.auth import Principal
from tavo_platform.server.state import AppState


async def audit(
    state: AppState,
    caller: Principal,
    action: str,
    target_type: str,
    target_id: str | None,
    **details: Any,
) -> None:
    user_id = caller.key.user_id
    user = await state.store.get_user(user_id, caller.org_id) if user_id else None
    await state.store.record_audit(
        caller.org_id, caller.key_id, action, target_type, target_id, details,
        actor_user_id=user_id, actor_email=user.email if user else None,
    )
