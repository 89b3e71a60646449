"""`tavo serve`, `tavo keys …` and `tavo db …`: running and administering the platform."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from tavo_platform.settings import Settings, load_settings

# The server, the store and the migrations are imported by the commands that use them:
# importing them here cost every `tavo … --help` over a second of CPU.
if TYPE_CHECKING:
    from tavo_platform.store.sql import SqlStore

keys_app = typer.Typer(
    help="Create, list and revoke API keys.", no_args_is_help=True, rich_markup_mode=None
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True,
                     rich_markup_mode=None)
users_app = typer.Typer(help="Invite the people of an organisation.", no_args_is_help=True,
                        rich_markup_mode=None)

class WorkerPool(StrEnum):
    prefork = "prefork"
    solo = "solo"


DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", metavar="DIR", show_default="TAVO_DATA_DIR or .tavo-data",
                 help="Data directory."),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", metavar="URL", show_default="TAVO_DATABASE_URL",
                 help="Database URL."),
]


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except (ValidationError, OSError, ValueError) as error:
        typer.echo(f"error: invalid settings: {error}", err=True)
        raise typer.Exit(2) from None


def _prepare_database(settings: Settings) -> None:
    """The embedded SQLite database upgrades itself; an external one must be migrated
    explicitly (`tavo db upgrade`), so that several processes never race to migrate it."""
    from tavo_platform.store import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        migrate.upgrade(url)
        return
    try:
        migrate.check_schema_sync(url)
    except migrate.SchemaMismatch as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


async def _bootstrap_admin(settings: Settings) -> str | None:
    from tavo_platform.server.auth import display_prefix, generate_key, hash_key
    from tavo_platform.store.sql import SqlStore

    store = SqlStore(settings.resolved_database_url)
    try:
        if await store.count_api_keys():
            return None
        org = await store.ensure_organization("default")
        key = generate_key()
        await store.add_api_key(org.id, hash_key(key), display_prefix(key), "enterprise",
                                name="bootstrap admin", is_admin=True)
        return key
    finally:
        await store.close()


def _export(settings: Settings) -> None:
    """Granian's worker processes build the app from the environment: hand settings over."""
    os.environ["TAVO_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["TAVO_HOST"] = settings.host
    os.environ["TAVO_PORT"] = str(settings.port)
    os.environ["TAVO_WORKERS"] = str(settings.workers)
    if settings.database_url:
        os.environ["TAVO_DATABASE_URL"] = settings.database_url


def _check_port_free(host: str, port: int) -> None:
    """The server binds with SO_REUSEPORT, so a second server on a taken port would start
    silently and share the traffic; a bind without it finds out first, in one line."""
    if port == 0:
        return
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = ("is already in use (another `tavo serve` or another program); "
                      "choose another with --port or TAVO_PORT")
        else:
            reason = f"cannot be listened on: {error.strerror or error}"
        typer.echo(f"error: {shown} {reason}", err=True)
        raise typer.Exit(1) from None


def serve(
    host: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", show_default="TAVO_HOST or 127.0.0.1",
                     help="Address to listen on."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(metavar="PORT", show_default="TAVO_PORT or 8700", help="Port to listen on."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(metavar="N", show_default="TAVO_WORKERS or 1", help="Worker processes."),
    ] = None,
    data_dir: DataDirOption = None,
    share_port: Annotated[
        bool,
        typer.Option(
            "--share-port",
            help="Let several `tavo serve` processes listen on one port on purpose "
            "(they should share one database and TAVO_REDIS_URL).",
        ),
    ] = False,
) -> None:
    """Run the API server (HTTP/1.1 and HTTP/2; TLS when a certificate is configured)."""
    settings = _settings(host=host, port=port, workers=workers, data_dir=data_dir)
    if not share_port:
        _check_port_free(settings.host, settings.port)
    _prepare_database(settings)
    admin_key = asyncio.run(_bootstrap_admin(settings))
    if admin_key:
        typer.echo("Created the first admin API key. It is shown only this once; store it now:")
        typer.echo(f"  {admin_key}")
    if settings.workers > 1 and not settings.redis_url:
        typer.echo(
            "warning: with several workers and no TAVO_REDIS_URL, rate limits are counted "
            "per worker process", err=True,
        )
    _export(settings)
    scheme = "https" if settings.tls_certificate else "http"
    typer.echo(f"Tavo API on {scheme}://{settings.host}:{settings.port}/api/v1 "
               f"(docs: /api/v1/docs, data: {settings.data_dir})")
    _granian(settings).serve()


def _granian(settings: Settings) -> Any:
    """The HTTP server (Granian) running the app factory in `settings.workers` processes."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    return Granian(
        "tavo_platform.server.app:app_from_environment",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=HTTPModes.auto,
        ssl_cert=settings.tls_certificate,
        ssl_key=settings.tls_key,
        log_level=settings.log_level,  # type: ignore[arg-type]
        respawn_failed_workers=True,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.request_header_timeout_seconds * 1000)
        ),
    )


def _store(data_dir: Path | None, database_url: str | None) -> tuple[Settings, SqlStore]:
    from tavo_platform.store.sql import SqlStore

    settings = _settings(data_dir=data_dir, database_url=database_url)
    _prepare_database(settings)
    return settings, SqlStore(settings.resolved_database_url)


def _parse_limits(values: list[str] | None) -> dict[str, int] | None:
    if not values:
        return None
    allowed = {"requests_per_hour", "requests_per_day", "scans_per_hour"}
    limits: dict[str, int] = {}
    for value in values:
        name, _, number = value.partition("=")
        name = name.strip().replace("-", "_")
        if name not in allowed or not number.strip().isdigit() or int(number) < 1:
            typer.echo(f"error: --limits takes NAME=N with NAME in {sorted(allowed)}", err=True)
            raise typer.Exit(2)
        limits[name] = int(number)
    return limits


@keys_app.command("create")
def keys_create(
    tier: Annotated[
        str, typer.Option(metavar="TIER", help="free, pro, enterprise or a configured tier.")
    ] = "free",
    org: Annotated[
        str, typer.Option(metavar="NAME", help="Organisation name (created if new).")
    ] = "default",
    name: Annotated[str, typer.Option(metavar="LABEL", help="A label for the key.")] = "",
    limits: Annotated[
        list[str] | None,
        typer.Option("--limits", metavar="NAME=N",
                     help="Custom limit, e.g. requests_per_hour=5000 (repeatable)."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, metavar="DAYS", help="Expire after this many days.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="May manage keys.")] = False,
    role: Annotated[
        str | None,
        typer.Option(metavar="ROLE", help="admin, member or viewer in its organisation "
                     "(default: admin for --admin keys, else member)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    from tavo_platform.server import auth, views
    from tavo_platform.store.users import ROLES
    if tier not in ("free", "pro", "enterprise"):
        typer.echo("error: --tier must be free, pro or enterprise", err=True)
        raise typer.Exit(2)
    if role is not None and role not in ROLES:
        typer.echo("error: --role must be admin, member or viewer", err=True)
        raise typer.Exit(2)
    custom = _parse_limits(limits)

    async def create() -> tuple[str, dict[str, Any]]:
        _settings_unused, store = _store(data_dir, database_url)
        try:
            organization = await store.ensure_organization(org)
            key = auth.generate_key()
            expires = (
                datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
            )
            record = await store.add_api_key(
                organization.id, auth.hash_key(key), auth.display_prefix(key), tier, name=name,
                is_admin=admin, limits=custom, expires_at=expires, role=role,
            )
            return key, views.key_view(record)
        finally:
            await store.close()

    key, view = asyncio.run(create())
    if as_json:
        typer.echo(json.dumps({**view, "key": key}))
    else:
        typer.echo(f"{key}\n(id {view['id']}, tier {tier}, org {org}; shown once, store it now)")


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List keys (ids, prefixes, tiers; never the keys)."""
    from tavo_platform.server.views import key_view

    async def fetch() -> list[dict[str, Any]]:
        _settings_unused, store = _store(data_dir, database_url)
        try:
            return [key_view(k) for k in await store.list_api_keys()]
        finally:
            await store.close()

    views = asyncio.run(fetch())
    if as_json:
        typer.echo(json.dumps(views, indent=2))
        return
    for view in views:
        state = "revoked" if view["revoked_at"] else "active"
        typer.echo(f"{view['id']}  {view['prefix']}…  {view['tier']:<10} {state:<8} {view['name']}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[
        str, typer.Argument(metavar="KEY_ID", help="The key's id (from `tavo keys list`).")
    ],
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Revoke a key (it stops working within seconds)."""

    async def revoke() -> bool:
        _settings_unused, store = _store(data_dir, database_url)
        try:
            return await store.revoke_api_key(key_id) is not None
        finally:
            await store.close()

    if not asyncio.run(revoke()):
        typer.echo(f"error: no key with id {key_id}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {key_id}")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(metavar="[REVISION]")] = "head",
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Migrate the database schema to this version of Tavo."""
    from tavo_platform.store import migrate

    settings = _settings(data_dir=data_dir, database_url=database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {migrate.head_revision() if revision == 'head' else revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISION")],
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Migrate the database schema back to REVISION (`base` empties it)."""
    from tavo_platform.store import migrate

    settings = _settings(data_dir=data_dir, database_url=database_url)
    migrate.downgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}")


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", show_default="number of CPUs",
                     help="Scans run at once by this worker."),
    ] = None,
    pool: Annotated[
        WorkerPool,
        typer.Option(help="prefork: a child process per concurrent scan; solo: one scan at a "
                          "time in this process."),
    ] = WorkerPool.prefork,
    loglevel: Annotated[
        str | None,
        typer.Option(metavar="LEVEL", show_default="TAVO_LOG_LEVEL", help="Log level."),
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Run a Celery worker that runs scans queued through TAVO_QUEUE_URL."""
    import socket

    from tavo_platform.jobs.celery_app import create_celery_app
    from tavo_platform.store import migrate

    settings = _settings(data_dir=data_dir, database_url=database_url)
    if not settings.queue_url:
        typer.echo("error: set TAVO_QUEUE_URL (redis://… or amqp://…) to run scan workers",
                   err=True)
        raise typer.Exit(2)
    try:
        migrate.check_schema_sync(settings.resolved_database_url)
    except migrate.SchemaMismatch as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        "worker",
        f"--pool={pool.value}",
        f"--concurrency={concurrency or os.cpu_count() or 1}",
        f"--loglevel={(loglevel or settings.log_level).upper()}",
        # Unique per process, so several workers on one host are told apart.
        f"--hostname=tavo-{os.getpid()}@{socket.gethostname()}",
        # Worker-to-worker chatter (clock sync, event heartbeats) is not needed by scans
        # and slows every start by seconds.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    from celery.signals import worker_ready

    def announce(**_: Any) -> None:
        # Whatever the log level: supervisors (tavo cluster) wait for this line.
        typer.echo(f"tavo worker ready: consuming {settings.queue_name}")

    worker_ready.connect(announce, weak=False)
    create_celery_app(settings).worker_main(argv=argv)


def cluster(
    api_processes: Annotated[
        int, typer.Option(min=1, metavar="N", help="API processes (`tavo serve`).")
    ] = 2,
    workers: Annotated[int, typer.Option(min=0, metavar="N", help="Scan worker processes.")] = 2,
    worker_concurrency: Annotated[
        int, typer.Option(min=1, metavar="N", help="Scans per worker.")
    ] = 1,
    host: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", show_default="TAVO_HOST or 127.0.0.1",
                     help="Address the APIs listen on."),
    ] = None,
    base_port: Annotated[
        int | None,
        typer.Option(metavar="PORT", show_default="TAVO_PORT or 8700",
                     help="Port of the first API process; the others follow."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Run the scaled-out platform on this machine: migrate, then API processes and workers.

    Settings come from TAVO_* variables (TAVO_DATABASE_URL, TAVO_REDIS_URL, TAVO_QUEUE_URL
    at least); see docs/configuration.md.
    """
    from tavo_platform.cluster import Cluster, run_forever

    settings = _settings(data_dir=data_dir, host=host, port=base_port)
    missing = [name for name, value in (("TAVO_DATABASE_URL", settings.database_url),
                                        ("TAVO_REDIS_URL", settings.redis_url),
                                        ("TAVO_QUEUE_URL", settings.queue_url)) if not value]
    if missing:
        typer.echo(f"error: a cluster needs shared services; set {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    env = {k: v for k, v in os.environ.items() if k != "TAVO_PORT"}
    group = Cluster(
        data_dir=settings.data_dir.resolve(),
        env=env,
        api_processes=api_processes,
        workers=workers,
        worker_concurrency=worker_concurrency,
        host=settings.host,
        base_port=settings.port,
    )
    raise typer.Exit(run_forever(group, lambda: asyncio.run(_bootstrap_admin(settings)),
                                 typer.echo))


@users_app.command("invite")
def users_invite(
    email: Annotated[str, typer.Argument(metavar="EMAIL", show_default=False,
                                         help="The person's address.")],
    org: Annotated[
        str, typer.Option(metavar="NAME", help="Organisation name (created if new).")
    ] = "default",
    role: Annotated[str, typer.Option(metavar="ROLE", help="admin, member or viewer.")] = "admin",
    tier: Annotated[str, typer.Option(metavar="TIER", help="The tier of their keys.")] = "free",
    days: Annotated[
        int, typer.Option(min=1, max=90, metavar="DAYS", help="Days it is valid (1 to 90).")
    ] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Invite a user (the first admin of an organisation, typically); the invitation token
    is printed once. They accept it with POST /api/v1/invitations/accept (or the SDK's
    tavo.accept_invitation), choosing a password and getting their first key."""
    from tavo_platform.server.routes import users
    from tavo_platform.server.views import iso as view_time
    from tavo_platform.store.users import ROLES, NewUser, UserConflict
    try:
        address = users.normalise_email(email)
    except ValueError:
        typer.echo(f"error: {email!r} is not an e-mail address", err=True)
        raise typer.Exit(2) from None
    if role not in ROLES or tier not in ("free", "pro", "enterprise"):
        typer.echo("error: --role must be admin, member or viewer; --tier free, pro or "
                   "enterprise", err=True)
        raise typer.Exit(2)
    token, expires = users.new_invitation(days)

    async def invite() -> dict[str, Any] | None:
        _settings_unused, store = _store(data_dir, database_url)
        try:
            organization = await store.ensure_organization(org)
            user = await store.create_user(NewUser(
                org_id=organization.id, email=address, name="", role=role, tier=tier,
                invitation_hash=users.invitation_digest(token), invitation_expires_at=expires,
                invited_by=None,
            ))
            return users.user_view(user)
        except UserConflict:
            return None
        finally:
            await store.close()

    view = asyncio.run(invite())
    if view is None:
        typer.echo(f"error: organisation {org!r} has a user {address} already", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps({**view, "invitation": {"token": token,
                                                      "expires_at": view_time(expires)}}))
    else:
        typer.echo(f"{token}\n(invitation of {address} as {role} in {org}, valid {days} days; "
                   "shown once)")
