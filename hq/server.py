"""The HQ server: the stations' sync API, and the web apps that live at HQ mounted beside it."""
from __future__ import annotations

from fastapi import FastAPI

from sync.hq.app import create_app as create_sync_api


def create_app(database_url: str) -> FastAPI:
    return create_sync_api(database_url)
