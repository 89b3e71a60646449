"""Scheduled scans through the SDK against a real server running two API processes (each
with its own scheduler loop): every tick fires exactly once, ticks missed while the server
was down fire once (not in a burst), time zones are honoured, and bad input is refused."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path

import pytest
from tavo import SyncTavoClient, TavoAPIError, TavoNotFoundError, TavoValidationError
from tavo.types import Schedule

from tests.sdks.python.conftest import Keys
from tests.support.live import LiveServer, make_git_repo, server_env

EVERY_TWO_SECONDS = "* * * * * */2"


def env() -> dict[str, str]:
    return server_env(fetch_allow_file_urls="true", workers="2", scan_concurrency="1")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_ticks_fire_once_across_processes_and_missed_ticks_once(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", env()).start()
    try:
        key = Keys(server).unlimited()
        repo = make_git_repo(tmp_path / "repo", {"app.py": "x = eval(input())\n"})
        with SyncTavoClient(key, base_url=server.base_url) as client:
            client.repositories.create_repository(url=repo.as_uri())
            schedule = client.schedules.create_schedule(repo.as_uri(), EVERY_TWO_SECONDS,
                                                        scan_type="code")
            assert isinstance(schedule, Schedule) and schedule.next_run_at
            time.sleep(9)
            runs = client.schedules.get_schedule(schedule.id).recent_runs
            ticks = sorted(at(run.tick) for run in runs)
            assert len(ticks) >= 3
            assert len(set(ticks)) == len(ticks)
            # Consecutive ticks, none skipped and none doubled by the second process.
            assert all((b - a).total_seconds() == 2 for a, b in itertools.pairwise(ticks))
            scans = client.scan_management.list_scans(limit=100).items
            assert sorted(s.id for s in scans) == sorted(run.scan_id for run in runs)
        stopped_at = time.time()
        server.stop()
        time.sleep(7)  # three or four ticks go by with no server
        restarting_at = time.time()
        server = LiveServer(tmp_path / "data", env(), port=server.port,
                            admin_key=server.admin_key).start()
        time.sleep(1.5)
        with SyncTavoClient(key, base_url=server.base_url) as client:
            after = client.schedules.get_schedule(schedule.id)
            since_stop = [run for run in after.recent_runs if at(run.tick).timestamp() > stopped_at]
            # The ticks missed while down are caught up by one run, not a burst (the scheduler's
            # unit tests pin which tick it stands for); every run came from the new server.
            missed = [run for run in since_stop if at(run.tick).timestamp() < restarting_at]
            assert len(missed) <= 1, after.recent_runs
            assert since_stop, after.recent_runs
            assert all(at(run.fired_at or "").timestamp() >= restarting_at for run in since_stop)
            assert len({run.tick for run in after.recent_runs}) == len(after.recent_runs)
            client.schedules.delete_schedule(schedule.id)
            with pytest.raises(TavoNotFoundError):
                client.schedules.get_schedule(schedule.id)
    finally:
        server.stop()


def test_time_zones_and_bad_input(server: LiveServer, keys: Keys, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", {"app.py": "print(1)\n"})
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as client:
        client.repositories.create_repository(url=repo.as_uri())
        paris = client.schedules.create_schedule(repo.as_uri(), "0 9 * * *",
                                                 timezone="Europe/Paris")
        hour = at(paris.next_run_at or "")
        # 09:00 in Paris is 08:00 UTC in winter (CET) and 07:00 in summer (CEST).
        assert (hour.hour, hour.minute) in ((8, 0), (7, 0))
        for cron, zone in (("61 * * * *", "UTC"), ("every day", "UTC"), ("* * *", "UTC"),
                           ("0 9 * * *", "Mars/Olympus_Mons")):
            with pytest.raises(TavoAPIError) as refused:
                client.schedules.create_schedule(repo.as_uri(), cron, timezone=zone)
            assert refused.value.status_code == 422
            assert refused.value.code == "INVALID_SCHEDULE"
        with pytest.raises(TavoValidationError):
            client.schedules.create_schedule(repo.as_uri(), "0 9 * * *", scan_type="everything")
        with pytest.raises(TavoNotFoundError):
            client.schedules.create_schedule("https://example.com/unknown.git", "0 9 * * *")
        assert [s.id for s in client.schedules.list_schedules().items] == [paris.id]
    with SyncTavoClient(keys.unlimited(), base_url=server.base_url) as stranger:
        with pytest.raises(TavoNotFoundError):
            stranger.schedules.get_schedule(paris.id)
        with pytest.raises(TavoNotFoundError):
            stranger.schedules.delete_schedule(paris.id)
