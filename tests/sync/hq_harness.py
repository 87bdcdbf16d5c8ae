"""Test machinery for sync: HQ server processes, stations on their own SQLite files, a faulty network.

Stations share this process but never a database: `Node.use()` points the store at the station's
file (and its own clock) before each action. HQ runs as real `loyalty hq serve` processes; the
network between them is a requests transport adapter that really sends, but can drop, duplicate,
delay or redirect requests and can kill the server that just answered.
"""
from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee as pw
import requests
from requests.adapters import HTTPAdapter

from loyalty import clock as clock_module
from loyalty.program import ASSETS
from loyalty.services import create_staff, init_station, sign_in
from loyalty.services.context import Actor
from loyalty.store import Outbox, RowClock, close_database, db, open_database
from loyalty.store.outbox import new_id
from loyalty.store.settings import set_setting
from sync.client import HqClient, make_session
from sync.hq import service
from sync.hq.db import HQ_MODELS, hq_db, open_hq
from sync.station import client_for_station, enrol_station, sync_round

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90     # HQ took 14 s to start with the machine's load average at 40 (it loads the patients' app too)


def test_pg_url() -> str:
    """The PostgreSQL `make test` started (LOYALTY_TEST_PG); without it the HQ tests skip (fail in CI)."""
    import pytest
    url = os.environ.get("LOYALTY_TEST_PG")
    if not url:
        message = "LOYALTY_TEST_PG is not set: run the tests with `make test` (it starts PostgreSQL)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HqProcess:
    """One `loyalty hq serve` process on a loopback port; can be killed and restarted."""

    def __init__(self, db_url: str, home: Path, workers: int = 1):
        self.db_url, self.home, self.port, self.workers = db_url, home, free_port(), workers
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, LOYALTY_HOME=str(self.home))
        log = self.home / "hq.log"   # a file: an unread pipe fills and blocks the server
        with log.open("ab") as sink:
            self.proc = subprocess.Popen([sys.executable, "-m", "station.cli", "hq", "serve", "--db", self.db_url,
                                          "--port", str(self.port), "--workers", str(self.workers)], cwd=ROOT,
                                         env=env, stdout=subprocess.DEVNULL, stderr=sink)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"HQ exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if requests.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"HQ did not start in {START_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL: no cleanup, open transactions die with the connection."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Hq:
    """The HQ under test: its database (also opened here, for admin actions) and its processes."""

    def __init__(self, db_url: str, home: Path, processes: int = 1, workers: int = 1):
        self.db_url = db_url
        open_hq(db_url)
        self.servers = [HqProcess(db_url, home, workers) for _ in range(processes)]
        for server in self.servers:
            server.start()
        with hq_db.connection_context():
            self.location = service.create_location("Praxis Mitte")

    @property
    def url(self) -> str:
        return self.servers[0].url

    def code(self, location: str = "Praxis Mitte") -> str:
        with hq_db.connection_context():
            return service.create_enrolment(location)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def reset_hq_tables(db_url: str) -> None:
    """Empty HQ for the next test while its servers keep running: they hold no state of their own.

    A server's notifier reads several tables in one transaction while TRUNCATE locks them one by
    one, so PostgreSQL may end one of the two as a deadlock: the TRUNCATE is then tried again.
    """
    open_hq(db_url)
    with hq_db.connection_context():
        if db_url.startswith("postgresql"):
            names = ", ".join(f'"{m._meta.table_name}"' for m in HQ_MODELS)
            for attempt in range(5):
                try:
                    with hq_db.atomic():
                        hq_db.execute_sql(f"TRUNCATE {names} CASCADE")
                    break
                except pw.OperationalError as exc:
                    if "deadlock" not in str(exc) or attempt == 4:
                        raise
        else:
            for model in reversed(HQ_MODELS):
                model.delete().execute()
    open_hq(db_url)


@dataclass
class Fault:
    """What the network does to the next request(s)."""
    drop_request: float = 0.0
    drop_response: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0            # hold the request back and deliver it after a later one
    kill_after_commit: float = 0.0


class FaultyAdapter(HTTPAdapter):
    """Really sends, over loopback, to one of several HQ processes (a load balancer), with faults."""

    def __init__(self, hq: Hq, rng: random.Random, fault: Fault | None = None):
        super().__init__()
        self.hq, self.rng, self.fault = hq, rng, fault or Fault()
        self.held: list = []
        self.log: list[str] = []

    def _target(self, request):
        server = self.rng.choice(self.hq.servers)
        parts = urlsplit(request.url)
        request = request.copy()
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{server.port}"))
        return server, request

    def send(self, request, **kwargs):
        fault, roll = self.fault, self.rng.random
        late, self.held = self.held, []
        try:
            if roll() < fault.drop_request:
                self.log.append("drop_request")
                raise requests.ConnectionError("fault: request dropped")
            if roll() < fault.delay:
                self.log.append("delay")
                self.held.append(request.copy())
                raise requests.ConnectionError("fault: request delayed (arrives later)")
            server, target = self._target(request)
            response = super().send(target, **kwargs)
            if roll() < fault.duplicate:
                self.log.append("duplicate")
                server, again = self._target(request)
                response = self._quietly(again, kwargs) or response
            if roll() < fault.kill_after_commit:
                self.log.append("kill_after_commit")
                server.restart()
                raise requests.ConnectionError("fault: server killed before it answered")
            if roll() < fault.drop_response:
                self.log.append("drop_response")
                raise requests.ConnectionError("fault: response dropped")
            return response
        finally:
            for old in late:          # reordered: an earlier request arrives after this one
                self._quietly(self._target(old)[1], kwargs)

    def _quietly(self, request, kwargs):
        try:
            return super().send(request, **kwargs)
        except requests.RequestException:
            return None


@dataclass
class Node:
    """A station on its own SQLite file, with its own clock; `use()` before acting on it."""
    name: str
    db_path: Path
    device: object
    manager: object
    receptionist: object
    clock: clock_module.MovableClock
    adapter: FaultyAdapter | None = None
    members: list[str] = field(default_factory=list)

    def use(self) -> None:
        open_database(self.db_path)
        clock_module.set_source(self.clock)

    def client(self) -> HqClient:
        session = make_session(self.adapter) if self.adapter else None
        return client_for_station(session=session, timeout=10)

    def sync(self):
        self.use()
        return sync_round(self.client(), batch_size=50, page_size=50)


def make_node(tmp_path: Path, name: str, hq: Hq, adapter: FaultyAdapter | None = None,
              start: datetime | None = None) -> Node:
    clock = clock_module.MovableClock(start or datetime.now(timezone.utc))
    clock_module.set_source(clock)
    db_path = tmp_path / name / "station.db"
    open_database(db_path)
    device = init_station(ASSETS / "programs" / "clinic-de.toml", "Maria Manager", "2468")
    manager = sign_in("Maria Manager", "2468", device.device_id)
    create_staff("Rita Reception", "receptionist", "1357", manager)
    receptionist = sign_in("Rita Reception", "1357", device.device_id)
    enrol_station(HqClient(hq.url), hq.code(), name)
    return Node(name, db_path, device, manager, receptionist, clock, adapter)


@dataclass
class Template:
    """A station initialised once (program, manager, receptionist) and copied for each new node.

    The copy gets its own device id, card key and an empty outbox before it enrols, so it is a
    separate station; this spares the slow PIN hashing of `init_station` for every node.
    """
    db_path: Path
    manager_id: str
    receptionist_id: str

    @classmethod
    def build(cls, folder: Path) -> "Template":
        clock_module.set_source(None)
        db_path = folder / "template.db"
        open_database(db_path)
        device = init_station(ASSETS / "programs" / "clinic-de.toml", "Maria Manager", "2468")
        manager = sign_in("Maria Manager", "2468", device.device_id)
        create_staff("Rita Reception", "receptionist", "1357", manager)
        receptionist = sign_in("Rita Reception", "1357", device.device_id)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_database()
        return cls(db_path, manager.staff_id, receptionist.staff_id)

    def node(self, folder: Path, name: str, hq: Hq, adapter: FaultyAdapter | None = None,
             start: datetime | None = None, location: str = "Praxis Mitte") -> Node:
        node = self.offline(folder, name, start)
        node.adapter = adapter
        enrol_station(HqClient(hq.url), hq.code(location), name)
        return node

    def offline(self, folder: Path, name: str, start: datetime | None = None) -> Node:
        """A station of its own that has not joined an HQ (yet)."""
        clock = clock_module.MovableClock(start or datetime.now(timezone.utc))
        clock_module.set_source(clock)
        db_path = folder / name / "station.db"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.db_path, db_path)
        open_database(db_path)
        device_id = new_id()
        with db.atomic():
            set_setting("device_id", device_id)
            set_setting("card_key", secrets.token_hex(32))
            Outbox.delete().execute()
            RowClock.delete().execute()
        return Node(name, db_path, Actor(device_id),
                    Actor(device_id, self.manager_id, "manager", "Maria Manager"),
                    Actor(device_id, self.receptionist_id, "receptionist", "Rita Reception"), clock)


def jump(node: Node, hours: float) -> None:
    node.clock.current += timedelta(hours=hours)
