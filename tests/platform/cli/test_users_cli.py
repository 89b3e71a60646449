"""`tavo users invite`: the first admin of an organisation, invited from the command line;
the token printed once is the one the API accepts."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from tavo_platform.store.sql import SqlStore


def test_invite_prints_a_token_the_store_knows(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    result = run_cli("users", "invite", "Root@Example.com", "--org", "acme", "--tier", "pro",
                     "--json", "--data-dir", data)
    assert result.exit_code == 0, result.output
    invited = json.loads(result.output)
    assert invited["email"] == "root@example.com" and invited["role"] == "admin"
    token = invited["invitation"]["token"]
    assert token.startswith("tavo_inv_") and invited["invitation"]["expires_at"]

    async def lookup() -> tuple[str, str, str] | None:
        store = SqlStore(f"sqlite+aiosqlite:///{data}/tavo.db")
        try:
            user = await store.user_by_invitation(hashlib.sha256(token.encode()).hexdigest())
            return (user.email, user.role, user.tier) if user else None
        finally:
            await store.close()

    assert asyncio.run(lookup()) == ("root@example.com", "admin", "pro")
    again = run_cli("users", "invite", "root@example.com", "--org", "acme", "--data-dir", data)
    assert again.exit_code == 1 and "already" in again.output
    for bad in (["not-an-address"], ["x@example.com", "--role", "owner"]):
        refused = run_cli("users", "invite", *bad, "--data-dir", data)
        assert refused.exit_code == 2, refused.output
    text = run_cli("users", "invite", "two@example.com", "--role", "viewer", "--data-dir", data)
    assert text.exit_code == 0 and text.output.startswith("tavo_inv_")
