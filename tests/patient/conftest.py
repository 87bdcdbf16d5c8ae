"""Patients' app fixtures: a real HQ process on the PostgreSQL of `make test`, its mail going to a real
SMTP server (aiosmtpd), the clinic's program published, and stations from the sync tests' template."""
from __future__ import annotations

from pathlib import Path

import pytest

from loyalty import clock as clock_module
from loyalty.program import DEFAULT_PROGRAM
from loyalty.services import context
from loyalty.store import close_database
from sync.hq import service
from sync.hq.db import hq_db
from sync.hq.program import _parsed
from tests.retention import retention_smtp
from tests.sync.hq_harness import Hq, Template, reset_hq_tables, test_pg_url

smtp_server, smtp = retention_smtp.smtp_server, retention_smtp.smtp    # fixtures: mail to a real SMTP server


@pytest.fixture(scope="session")
def pg_url() -> str:
    return test_pg_url()


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return Template.build(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def hq_server(pg_url, tmp_path_factory, smtp_server):
    """One HQ process for the module, sending the app's mail to the module's SMTP server."""
    home = tmp_path_factory.mktemp("hq")
    settings = {**smtp_server.settings, "from": "app@praxis.example"}
    (home / "hq.toml").write_text("[smtp]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in settings.items())
                                  + '[push]\nhosts = ["127.0.0.1"]\n', encoding="utf-8")   # the tests' push service
    reset_hq_tables(pg_url)
    hq = Hq(pg_url, home)
    yield hq
    hq.stop()


@pytest.fixture
def hq(hq_server, pg_url):
    """An empty HQ with one location and the clinic's program published."""
    reset_hq_tables(pg_url)
    _parsed.cache_clear()
    context._parsed.cache_clear()
    with hq_db.connection_context():
        hq_server.location = service.create_location("Praxis Mitte")
        service.publish_config(Path(DEFAULT_PROGRAM).read_text(encoding="utf-8"))
    yield hq_server
    clock_module.set_source(None)
    close_database()
