"""Sync fixtures: the PostgreSQL started by `make test` (LOYALTY_TEST_PG), HQ processes on it."""
from __future__ import annotations

import pytest

from loyalty import clock as clock_module
from loyalty.store import close_database

from hq_harness import Hq, reset_hq_tables, test_pg_url


@pytest.fixture(scope="session")
def pg_url() -> str:
    return test_pg_url()


@pytest.fixture(scope="module")
def hq_server(pg_url, tmp_path_factory):
    """One HQ process on PostgreSQL for the module; tests empty its tables, not restart it."""
    reset_hq_tables(pg_url)
    hq = Hq(pg_url, tmp_path_factory.mktemp("hq"))
    yield hq
    hq.stop()


@pytest.fixture
def hq(hq_server, pg_url):
    reset_hq_tables(pg_url)
    from sync.hq import service
    from sync.hq.db import hq_db
    with hq_db.connection_context():
        hq_server.location = service.create_location("Praxis Mitte")
    yield hq_server
    clock_module.set_source(None)
    close_database()


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    from hq_harness import Template
    return Template.build(tmp_path_factory.mktemp("template"))
