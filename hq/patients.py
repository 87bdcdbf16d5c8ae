"""The patients' app in the HQ process: its HTTP pieces and the Flet app at /app/, wired to HQ's
channels (e-mail, SMS, Web Push) and public address, and the notifier that tells patients."""
from __future__ import annotations

from typing import Callable

import flet.fastapi as flet_fastapi
from fastapi import FastAPI

from hq.letters import Postman
from hq.notifier import start_notifier
from hq.settings import HqSettings
from loyalty.adapters.channels import channels_from_sections
from loyalty.adapters.webpush import WebPush
from patient_app import web
from patient_app.app import make_patient_app
from patient_app.ui import Wiring
from sync.hq.db import hq_db
from sync.hq.patients.photos import MAX_UPLOAD
from sync.hq.program import program_in_force

UPLOADS = {"/app/files/upload/": MAX_UPLOAD}     # the phone's photo: larger than the sync API's bodies


def mount_patient_app(app: FastAPI, settings: HqSettings) -> Callable[[], Callable[[], None]]:
    """Mount the app; returns what starts its notifier (which returns what stops it)."""
    postman = Postman(channels_from_sections(settings.smtp, settings.sms))
    wiring = Wiring(app_url=settings.app_url, post=postman.post, channels=postman.available)
    app.include_router(web.router("/app", push_hosts=settings.push_hosts))
    with hq_db.connection_context():
        program = program_in_force()
    client = web.client_dir()
    flet_fastapi.app_manager.add_temp_dir(client)       # removed when the server stops
    app.mount("/app", flet_fastapi.app(make_patient_app(wiring), no_cdn=True, assets_dir=client,
                                       app_name=program.name if program else "Loyalty"))

    return lambda: start_notifier(postman, lambda private_pem: WebPush(private_pem, settings.push_subject))
