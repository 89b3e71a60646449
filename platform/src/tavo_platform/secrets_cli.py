"""`tavo secrets rotate`: re-encrypts every stored secret under the first of the configured
keys (`secret_keys`), after a new key was put first; the old keys can then be removed."""

from __future__ import annotations

import asyncio

import typer

from tavo_platform.encryption import SecretError, secret_box
from tavo_platform.platform_cli import DatabaseOption, DataDirOption, _prepare_database, _settings
from tavo_platform.store.sql import SqlStore

secrets_app = typer.Typer(
    help="Secrets stored encrypted (webhook and hook secrets, repository credentials).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@secrets_app.command("rotate")
def rotate(data_dir: DataDirOption = None, database_url: DatabaseOption = None) -> None:
    """Re-encrypt every stored secret with the first key of `secret_keys`."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    _prepare_database(settings)
    box = secret_box(settings)

    async def run() -> int:
        store = SqlStore(settings.resolved_database_url)
        try:
            webhooks = await store.reencrypt_webhook_secrets(box.rotate)
            return webhooks + await store.reencrypt_repository_secrets(box.rotate)
        finally:
            await store.close()

    try:
        count = asyncio.run(run())
    except SecretError as error:
        typer.echo(f"error: {error} (is the old key still listed?)", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"re-encrypted {count} secret(s) under the first key")
