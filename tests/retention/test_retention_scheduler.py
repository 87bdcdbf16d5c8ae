"""The scheduler as it runs for real: a thread in the station process, `loyalty messages run` from
cron, and a real process kill between the SMTP server taking a message and the station recording it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from loyalty import clock
from loyalty.adapters.channels import SmtpChannel
from loyalty.config import Config
from loyalty.program import DEFAULT_PROGRAM
from loyalty.services import store_program
from loyalty.services.followups import open_follow_ups
from loyalty.services.messages import outbox_state, recover_stale, send_due
from loyalty.store.models import Message
from station.scheduler import start_scheduler

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def always_open(station):
    """Wall-clock tests: no quiet hours, whatever time of day CI runs."""
    store_program(
        DEFAULT_PROGRAM.read_text(encoding="utf-8") + '\n[messages]\nquiet_start = "00:00"\nquiet_end = "00:00"\n'
    )


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_scheduler_thread_sends_a_kiosk_welcome_and_stops(station, always_open, enrol, smtp, tmp_path):
    config = Config(home=tmp_path, db_path=station.db_path, smtp=smtp.settings)
    stopper = start_scheduler(config, interval=0.2)
    try:
        enrol("Anna", email="anna@example.org")
        assert wait_for(lambda: len(smtp.to("anna@example.org")) == 1)
        sent_by = stopper.passes
        assert wait_for(lambda: stopper.passes >= sent_by + 3)  # three more passes: nothing twice
        assert len(smtp.received) == 1
    finally:
        stopper.stop()
    assert not stopper._thread.is_alive()


def test_scheduler_sends_nothing_without_channels(station, enrol, tmp_path):
    enrol("Anna", email="anna@example.org")
    stopper = start_scheduler(Config(home=tmp_path, db_path=station.db_path), interval=0.05)
    try:
        assert wait_for(lambda: stopper.passes >= 3)     # it runs (points expiry), but plans no message
    finally:
        stopper.stop()
    assert not stopper._thread.is_alive() and Message.select().count() == 0


def cli(tmp_path, station, *args, **popen):
    env = {**os.environ, "LOYALTY_HOME": str(tmp_path), "LOYALTY_DB": str(station.db_path)}
    return subprocess.Popen([sys.executable, "-m", "station.cli", "messages", *args, "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def write_station_toml(tmp_path, smtp):
    (tmp_path / "station.toml").write_text(
        "[smtp]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in smtp.settings.items()))


def test_cron_command_runs_once_and_twice_sends_nothing_twice(station, always_open, enrol, smtp, tmp_path):
    enrol("Anna", email="anna@example.org")
    proc = cli(tmp_path, station, "run")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3 and "smtp" in err                  # nothing configured: a clear failure
    write_station_toml(tmp_path, smtp)
    for _ in range(2):
        proc = cli(tmp_path, station, "run")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(smtp.received) == 1
    proc = cli(tmp_path, station, "status")
    out, _ = proc.communicate(timeout=120)
    assert json.loads(out)["sent"] == 1


def test_process_killed_between_send_and_commit_leaves_it_uncertain(station, always_open, enrol, smtp, tmp_path):
    enrol("Anna", email="anna@example.org")
    write_station_toml(tmp_path, smtp)
    proc = cli(tmp_path, station, "run")
    smtp.on_data = lambda mail: os.kill(proc.pid, signal.SIGKILL)   # dies before it hears "250 OK"
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    smtp.on_data = None
    assert len(smtp.received) == 1 and Message.get().status == "sending"
    proc = cli(tmp_path, station, "run")                            # the restarted cron job
    assert proc.wait(timeout=120) == 0
    assert len(smtp.received) == 1                                  # not resent
    later = clock.now() + timedelta(minutes=10)                     # past the lease
    assert recover_stale(later) == 1
    assert Message.get().status == "uncertain" and outbox_state().uncertain == 1
    [task] = open_follow_ups()
    assert task.kind == "uncertain_message" and task.message_id == Message.get().id
    send_due({"email": SmtpChannel.from_settings(smtp.settings)}, "http://127.0.0.1", now=later)
    assert len(smtp.received) == 1
