"""Stored secrets are encrypted at rest (never the plaintext in the database) and survive a
key rotation: a new key first, `tavo secrets rotate`, then the old key removed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from tavo_platform.cli import app
from tavo_platform.encryption import SecretBox, SecretError, secret_box
from tavo_platform.settings import Settings
from tavo_platform.store.migrate import upgrade
from tavo_platform.store.sql import SqlStore
from typer.testing import CliRunner


def test_rotation_re_encrypts_under_the_new_key(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite+aiosqlite:///{data / 'tavo.db'}"
    upgrade(url)
    plaintext = "whsec_plain-secret-value"

    async def make() -> str:
        store = SqlStore(url)
        try:
            org = await store.ensure_organization("acme")
            box = secret_box(Settings(data_dir=data, secret_keys=[old]))
            hook = await store.create_webhook(org.id, "https://example.com/h", ["scan.failed"],
                                              "", box.encrypt(plaintext))
            return hook.secret
        finally:
            await store.close()

    stored = asyncio.run(make())
    engine = create_engine(f"sqlite:///{data / 'tavo.db'}")
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT secret FROM webhooks")).scalar_one()
    assert plaintext not in raw and raw == stored

    env = {"TAVO_SECRET_KEYS": json.dumps([new, old]), "TAVO_DATA_DIR": str(data)}
    result = CliRunner().invoke(app, ["secrets", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 secret(s)" in result.output
    with engine.connect() as connection:
        rotated = connection.execute(text("SELECT secret FROM webhooks")).scalar_one()
    engine.dispose()
    assert SecretBox([new]).decrypt(rotated) == plaintext
    try:
        SecretBox([old]).decrypt(rotated)
        raise AssertionError("the old key still decrypts")
    except SecretError:
        pass
    # Without the key that encrypted it, rotation refuses rather than corrupt anything.
    third = Fernet.generate_key().decode()
    refused = CliRunner().invoke(app, ["secrets", "rotate"],
                                 env={**env, "TAVO_SECRET_KEYS": json.dumps([third])})
    assert refused.exit_code == 2 and "cannot be decrypted" in refused.output


def test_a_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    token = secret_box(settings).encrypt("x")
    assert secret_box(settings).decrypt(token) == "x"
    assert ((tmp_path / "d" / "secret.key").stat().st_mode & 0o777) == 0o600


def test_invalid_keys_are_refused_by_the_settings() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(secret_keys=["not-a-key"])
