"""Findings across scans through the SDK against a real server: a repository scanned three
times as its code changes; findings are new, fixed and reopened; triage survives rescans,
leaves the counts and has a history; both pagination styles and the keyset cursor agree;
bad input is refused without changing anything."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from tavo import SyncTavoClient, TavoClient, TavoNotFoundError, TavoValidationError
from tavo.types import FindingHistory, FindingList, TrackedFinding

from tests.sdks.python.conftest import Keys, run
from tests.support.live import LiveServer, make_git_repo

EVAL_LINE = "    return eval(expression)\n"
SHELL_LINE = '    subprocess.call("ls " + user_command, shell=True)\n'
PICKLE_LINE = "    return pickle.loads(blob)\n"


def app_source(*, shell: bool, pickle: bool) -> str:
    lines = ["import pickle\n", "import subprocess\n", "\n\n", "def run(user_command):\n"]
    lines.append(SHELL_LINE if shell else "    return user_command\n")
    lines += ["\n\n", "def evaluate(expression):\n", EVAL_LINE]
    if pickle:
        lines += ["\n\n", "def load(blob):\n", PICKLE_LINE]
    return "".join(lines)


def commit(root: Path, source: str) -> None:
    (root / "app.py").write_text(source, encoding="utf-8")
    git = ["git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests"]
    subprocess.run([*git, "commit", "-q", "-am", "change"], cwd=root, check=True)


def scan(client: SyncTavoClient, url: str) -> str:
    created = client.scan_management.create_scan(repository_url=url, scan_type="code")
    final = client.scan_management.wait_for_scan(created.id, timeout=300)
    assert final.status == "completed", final
    return created.id


def by_line(findings: list[TrackedFinding]) -> dict[str, TrackedFinding]:
    """Findings by the line of code they are on (stripped)."""
    return {f.snippet.strip().splitlines()[0]: f for f in findings}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / f"tracked-{uuid.uuid4().hex[:6]}"
    return make_git_repo(root, {"app.py": app_source(shell=True, pickle=False)})


def test_findings_live_across_scans_with_triage(
    server: LiveServer, keys: Keys, repository: Path
) -> None:
    key = keys.unlimited()
    url = repository.as_uri()
    with SyncTavoClient(key, base_url=server.base_url) as client:
        first = scan(client, url)
        listed = client.findings.list_findings(repository=url, limit=100)
        assert isinstance(listed, FindingList) and listed.total >= 2
        assert {f.status for f in listed.items} == {"open"}
        assert {f.first_seen_scan_id for f in listed.items} == {first}
        lines = by_line(listed.items)
        evaluated = lines[EVAL_LINE.strip()]
        shell = lines[SHELL_LINE.strip()]

        triaged = client.findings.triage_finding(
            evaluated.id, "false_positive", comment="input is a constant table"
        )
        assert triaged.status == "false_positive" and triaged.triage is not None
        assert triaged.triage.comment == "input is a constant table" and triaged.triage.by
        assert triaged.detection_status == "open"

        # Second scan: the shell call is gone, a pickle load is new.
        commit(repository, app_source(shell=False, pickle=True))
        second = scan(client, url)
        now = by_line(client.findings.list_findings(repository=url, limit=100).items)
        assert now[SHELL_LINE.strip()].status == "fixed"
        assert now[SHELL_LINE.strip()].fixed_scan_id == second
        assert now[EVAL_LINE.strip()].status == "false_positive"
        assert now[EVAL_LINE.strip()].last_seen_scan_id == second
        pickled = now[PICKLE_LINE.strip()]
        assert pickled.status == "open" and pickled.first_seen_scan_id == second

        # The scan's counts leave the triaged finding out; its results name its triage.
        details = client.scan_management.get_scan(second)
        results = client.scan_management.get_scan_results(second, limit=100)
        assert details.summary is not None
        assert details.summary.total == results.total - 1
        assert details.summary.triaged["total"] == 1
        assert results.triaged[evaluated.fingerprint]["status"] == "false_positive"

        # Third scan: the shell call is back.
        commit(repository, app_source(shell=True, pickle=True))
        third = scan(client, url)
        reopened = client.findings.get_finding(shell.id)
        assert reopened.status == "reopened" and reopened.last_seen_scan_id == third
        history = client.findings.get_finding_history(shell.id)
        assert isinstance(history, FindingHistory)
        assert [(e.kind, e.scan_id) for e in history.items] == [
            ("detected", first), ("fixed", second), ("reopened", third)
        ]
        triage_history = client.findings.get_finding_history(evaluated.id).items
        assert [e.kind for e in triage_history] == ["detected", "triaged"]
        assert triage_history[1].comment == "input is a constant table"

        # Filters.
        fixed_or_open = client.findings.list_findings(status=["reopened", "open"], limit=100)
        assert {f.id for f in fixed_or_open.items} >= {shell.id, pickled.id}
        assert evaluated.id not in {f.id for f in fixed_or_open.items}
        assert client.findings.list_findings(rule=pickled.rule_id).total >= 1
        assert client.findings.list_findings(path="nope/").total == 0
        later = client.findings.list_findings(first_seen_after=pickled.first_seen_at)
        assert pickled.id not in {f.id for f in later.items}

        # Clearing the triage hands the status back to the scans.
        cleared = client.findings.triage_finding(evaluated.id, "open")
        assert cleared.status == "open" and cleared.triage is None


def test_pagination_styles_agree_and_bad_input_changes_nothing(
    server: LiveServer, keys: Keys, repository: Path
) -> None:
    key = keys.unlimited()
    other = keys.unlimited()
    url = repository.as_uri()

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url) as client:
            created = await client.scan_management.create_scan(
                repository_url=url, scan_type="code"
            )
            await client.scan_management.wait_for_scan(created.id, timeout=300)
            every = await client.findings.list_findings(limit=100)
            assert every.total >= 2
            ids = [f.id for f in every.items]
            by_page = [
                (await client.findings.list_findings(page=n, page_size=1)).items[0].id
                for n in range(every.total)
            ]
            assert by_page == ids
            walked = [f.id async for f in client.findings.iter_findings(page_size=1)]
            assert walked == ids
            first = await client.findings.list_findings(cursor="", limit=1)
            assert first.has_more and first.next_cursor and first.next is not None
            assert first.next.startswith("/api/v1/findings?") and "cursor=" in first.next
            second = await client.findings.list_findings(cursor=first.next_cursor, limit=1)
            assert second.items[0].id == ids[1]

            target = every.items[0]
            bad: list[dict[str, Any]] = [
                {"status": "fixed"},  # set by scans, not by people
                {"status": "maybe"},
            ]
            for body in bad:
                with pytest.raises(TavoValidationError):
                    await client.findings.triage_finding(target.id, body["status"])
            with pytest.raises(TavoValidationError) as invalid:
                await client.findings.list_findings(cursor="not-a-cursor")
            assert invalid.value.code == "INVALID_CURSOR"
            with pytest.raises(TavoValidationError):
                await client.findings.list_findings(cursor="", page=1)
            with pytest.raises(TavoValidationError):
                await client.findings.list_findings(status="closed")
            with pytest.raises(TavoNotFoundError):
                await client.findings.list_findings(repository="repo_doesnotexist")
            unchanged = await client.findings.get_finding(target.id)
            assert unchanged.status == target.status and unchanged.triage is None
            assert len((await client.findings.get_finding_history(target.id)).items) == 1

        async with TavoClient(other, base_url=server.base_url) as stranger:
            with pytest.raises(TavoNotFoundError):
                await stranger.findings.get_finding(target.id)
            with pytest.raises(TavoNotFoundError):
                await stranger.findings.triage_finding(target.id, "wont_fix")
            with pytest.raises(TavoNotFoundError):
                await stranger.findings.get_finding_history(target.id)
            assert (await stranger.findings.list_findings()).total == 0

    run(scenario())


def archive(source: str) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = source.encode()
        member = tarfile.TarInfo("app.py")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def test_uploads_of_a_project_share_tracked_findings(server: LiveServer, keys: Keys) -> None:
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        def upload(source: str, project: str | None) -> str:
            scan = client.scan_management.upload_scan(
                archive(source), scan_type="code", project=project
            )
            assert scan.project == project
            final = client.scan_management.wait_for_scan(scan.id, timeout=300)
            assert final.status == "completed"
            return scan.id

        upload(app_source(shell=True, pickle=False), "billing")
        second = upload(app_source(shell=False, pickle=False), "billing")
        # An upload without a project is an island: it tracks nothing.
        upload(app_source(shell=True, pickle=True), None)
        listed = client.findings.list_findings(project="billing", limit=100)
        lines = by_line(listed.items)
        assert lines[SHELL_LINE.strip()].status == "fixed"
        assert lines[SHELL_LINE.strip()].fixed_scan_id == second
        assert lines[EVAL_LINE.strip()].project == "billing"
        assert PICKLE_LINE.strip() not in lines
        assert client.findings.list_findings(limit=100).total == listed.total
        with pytest.raises(TavoValidationError):
            client.scan_management.upload_scan(archive("x = 1\n"), project="no spaces!")


def test_triaged_away_findings_leave_the_analysis_and_its_grade(
    server: LiveServer, keys: Keys, repository: Path
) -> None:
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        first = scan(client, repository.as_uri())
        before = client.ai_analysis.analyze_scan(first)
        evaluated = by_line(client.findings.list_findings(repository=repository.as_uri(),
                                                          limit=100).items)[EVAL_LINE.strip()]
        client.findings.triage_finding(evaluated.id, "wont_fix", comment="legacy")
        after = client.ai_analysis.analyze_scan(first)
        assert len(after.findings) == len(before.findings) - 1
        assert evaluated.fingerprint not in {f["fingerprint"] for f in after.findings}
        assert after.summary["total_findings"] == before.summary["total_findings"] - 1
        assert after.security_score is not None and before.security_score is not None
        assert after.security_score.score >= before.security_score.score
