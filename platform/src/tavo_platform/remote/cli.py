"""`tavo remote login | scan | findings | triage`."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tavo_platform.enums import ScanStatus
from tavo_platform.remote.client import Remote, RemoteError, pack

remote_app = typer.Typer(help="Talk to a Tavo server.", no_args_is_help=True,
                         rich_markup_mode=None)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
POLL_SECONDS = 0.5
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"
    never = "never"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _remote() -> Remote:
    try:
        return Remote.load()
    except RemoteError as error:
        raise _fail(str(error)) from None


@remote_app.command()
def login(
    url: Annotated[str, typer.Option("--url", metavar="URL", help="The server's address.")],
    api_key: Annotated[
        str, typer.Option("--api-key", metavar="KEY", prompt=True, hide_input=True,
                          envvar="TAVO_API_KEY", help="An API key (asked for when not given).")
    ],
) -> None:
    """Check the key against the server and keep both in the user's config (mode 0600)."""
    remote = Remote(url.rstrip("/"), api_key.strip())
    try:
        remote.call("GET", "/api/v1/scans", params={"limit": 1})
    except RemoteError as error:
        raise _fail(f"login refused: {error}") from None
    typer.echo(f"logged in to {remote.url}; key kept in {remote.save()}")


def _follow(remote: Remote, scan_id: str, timeout: float) -> dict[str, Any]:
    """Waits for the scan, telling each status change on stderr."""
    deadline = time.monotonic() + timeout
    seen = ""
    while True:
        status = remote.call("GET", f"/api/v1/scans/{scan_id}/status")
        if status["status"] != seen:
            seen = status["status"]
            typer.echo(f"scan {scan_id}: {seen}", err=True)
        if status["finished"]:
            return dict(status)
        if time.monotonic() > deadline:
            raise RemoteError(f"scan {scan_id} did not finish within {timeout:.0f}s")
        time.sleep(POLL_SECONDS)


def _documents(remote: Remote, scan_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = remote.call("GET", f"/api/v1/scans/{scan_id}/results",
                           params={"offset": len(found), "limit": 500})
        found += page["vulnerabilities"]
        if not page["has_more"]:
            return found


def _report(remote: Remote, scan: dict[str, Any], output_format: Format, colour: bool) -> tuple[
        str, list[dict[str, Any]]]:
    import json

    if output_format is Format.sarif:
        log = remote.call("GET", f"/api/v1/scans/{scan['id']}/results.sarif")
        documents = _documents(remote, scan["id"])
        return json.dumps(log, indent=2) + "\n", documents
    from tavo_platform.formats import RENDERERS
    from tavo_platform.formats.stored import scan_result

    documents = _documents(remote, scan["id"])
    result = scan_result(documents, scan.get("summary") or {}, root=scan["id"])
    return RENDERERS[output_format.value](result, colour), documents


def _exit_code(documents: list[dict[str, Any]], fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return EXIT_OK
    limit = SEVERITIES.index(fail_on.value.upper())
    worst = [SEVERITIES.index(d["severity"]) for d in documents if d.get("severity") in SEVERITIES]
    return EXIT_FINDINGS if any(rank <= limit for rank in worst) else EXIT_OK


@remote_app.command()
def scan(
    path: Annotated[Path | None, typer.Argument(metavar="[PATH]",
                                                help="Directory to upload (default: here).")]
    = None,
    repo: Annotated[str | None, typer.Option("--repo", metavar="URL",
                                             help="Scan this repository instead.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", metavar="REF")] = None,
    base_ref: Annotated[str | None, typer.Option("--base-ref", metavar="REF",
                                                 help="Diff-aware: only new findings.")] = None,
    scan_type: Annotated[str, typer.Option("--scan-type")] = "security",
    project: Annotated[str | None, typer.Option("--project", metavar="NAME",
                                                help="Track an upload's findings under this "
                                                "project.")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait")] = True,
    timeout: Annotated[float, typer.Option("--timeout", min=1)] = 1800,
    output_format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding is at or above "
                                            "this severity.")] = FailOn.low,
) -> None:
    """Scan on the server: upload the working tree (honouring .gitignore) or name a
    repository; follow it live and print its findings as `tavo scan` does (same formats
    and exit codes)."""
    remote = _remote()
    try:
        if repo is not None:
            if path is not None:
                raise RemoteError("give PATH or --repo, not both")
            body = {"repository_url": repo, "scan_type": scan_type, "ref": ref,
                    "base_ref": base_ref}
            created = remote.call("POST", "/api/v1/scans",
                                  json={k: v for k, v in body.items() if v is not None})
        else:
            root = (path or Path(".")).resolve()
            if not root.is_dir():
                raise RemoteError(f"{root} is not a directory")
            params = {"scan_type": scan_type, **({"project": project} if project else {})}
            created = remote.call("POST", "/api/v1/uploads/scans", params=params,
                                  content=pack(root),
                                  headers={"Content-Type": "application/octet-stream"})
        typer.echo(f"scan {created['id']} queued", err=True)
        if not wait:
            typer.echo(created["id"])
            return
        status = _follow(remote, created["id"], timeout)
        if status["status"] != ScanStatus.COMPLETED:
            raise RemoteError(f"scan {created['id']} {status['status']}: "
                              f"{status.get('error') or ''}".rstrip(": "))
        finished = remote.call("GET", f"/api/v1/scans/{created['id']}")
        report, documents = _report(remote, finished, output_format,
                                    output_format is Format.text and sys.stdout.isatty())
    except RemoteError as error:
        raise _fail(str(error)) from None
    sys.stdout.write(report)
    raise typer.Exit(_exit_code(documents, fail_on))


@remote_app.command()
def findings(
    repository: Annotated[str | None, typer.Option("--repository", metavar="ID_OR_URL")] = None,
    status: Annotated[list[str] | None, typer.Option("--status")] = None,
    severity: Annotated[list[str] | None, typer.Option("--severity")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The organisation's findings across scans, newest first."""
    import json

    params: dict[str, Any] = {"limit": limit}
    for name, value in (("repository", repository), ("status", status),
                        ("severity", severity)):
        if value:
            params[name] = value
    try:
        page = _remote().call("GET", "/api/v1/findings", params=params)
    except RemoteError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    for item in page["items"]:
        typer.echo(f"{item['id']}  {item['status']:<14} {item['severity']:<8} "
                   f"{item['path']}:{item['start_line']}  {item['rule_id']}")
    typer.echo(f"{len(page['items'])} of {page['total']} finding(s)", err=True)


@remote_app.command()
def triage(
    finding_id: Annotated[str, typer.Argument(metavar="FINDING_ID")],
    status: Annotated[str, typer.Argument(
        metavar="STATUS", help="false_positive, accepted_risk, wont_fix, or open to clear")],
    comment: Annotated[str | None, typer.Option("--comment", "-m")] = None,
) -> None:
    """Triage a finding (kept across rescans)."""
    body: dict[str, Any] = {"status": status}
    if comment is not None:
        body["comment"] = comment
    try:
        changed = _remote().call("PATCH", f"/api/v1/findings/{finding_id}", json=body)
    except RemoteError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{changed['id']}: {changed['status']}")
