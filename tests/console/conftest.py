"""Console fixtures: a real HQ process on the PostgreSQL of `make test` and stations that link to it."""
from __future__ import annotations

import pytest

from loyalty import clock as clock_module
from loyalty.services import context
from loyalty.store import close_database
from tests.sync.hq_harness import Hq, Template, reset_hq_tables, test_pg_url


@pytest.fixture(scope="session")
def pg_url() -> str:
    return test_pg_url()


@pytest.fixture(scope="module")
def hq_server(pg_url, tmp_path_factory):
    """One `loyalty hq serve` process on PostgreSQL for the module; each test empties its tables."""
    reset_hq_tables(pg_url)
    hq = Hq(pg_url, tmp_path_factory.mktemp("hq"))
    yield hq
    hq.stop()


@pytest.fixture
def hq(hq_server, pg_url):
    reset_hq_tables(pg_url)
    context._parsed.cache_clear()
    yield hq_server
    clock_module.set_source(None)
    close_database()
    context._parsed.cache_clear()


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return Template.build(tmp_path_factory.mktemp("template"))
