"""The station's HTTP client for HQ: signed JSON over requests, connection retries with backoff.

Only connection failures are retried here (the request never left); a timeout or a lost answer
is left to the sync round, which resends from the outbox with a fresh signature, since every
event is stored once by id.
"""
from __future__ import annotations

import time

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sync import signing
from sync.protocol import (
    EnrolRequest,
    EnrolResponse,
    PhotoRequest,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

UNREACHABLE = 0   # HqError's status when the request never got an answer


class HqError(Exception):
    """HQ answered with a refusal, or could not be reached (status 0)."""

    def __init__(self, status: int, code: str, message: str, body: dict | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body or {}


def make_session(adapter: HTTPAdapter | None = None) -> requests.Session:
    session = requests.Session()
    adapter = adapter or HTTPAdapter(max_retries=Retry(total=3, connect=3, read=0, status=0, other=0,
                                                       backoff_factor=0.2, raise_on_status=False))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class HqClient:
    def __init__(self, url: str, device_id: str | None = None, secret: str | None = None,
                 session: requests.Session | None = None, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.device_id, self.secret = device_id, secret
        self.session = session or make_session()
        self.timeout = timeout
        self.offset = 0.0   # HQ time minus our time, learnt from a stale-timestamp answer
        self.reports = True  # send a station report with the pull (False: this HQ predates reports)

    def enrol(self, code: str, device_id: str, name: str = "") -> EnrolResponse:
        answer = self._post("/v1/devices/enrol", EnrolRequest(code=code, device_id=device_id, name=name), signed=False)
        return parse_or_error(EnrolResponse, answer)

    def push(self, request: PushRequest) -> PushResponse:
        return parse_or_error(PushResponse, self._post("/v1/sync/push", request))

    def pull(self, request: PullRequest) -> PullResponse:
        return parse_or_error(PullResponse, self._post("/v1/sync/pull", request))

    def photo(self, photo_id: str) -> bytes:
        """An aftercare photo (JPEG) for the clinicians' follow-up: fetched when opened, never stored here."""
        return self._post("/v1/photos/fetch", PhotoRequest(photo_id=photo_id), raw=True)

    def _post(self, path: str, model: BaseModel, signed: bool = True, raw: bool = False):
        # A pull without a station report leaves the field out: an HQ from before reports refuses unknown fields.
        body = model.model_dump_json(exclude={"report"} if getattr(model, "report", 0) is None else None).encode()
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"}
            if signed:
                headers.update(signing.sign(self.device_id, self.secret, "POST", path, body, time.time() + self.offset))
            try:
                response = self.session.post(self.url + path, data=body, headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                raise HqError(UNREACHABLE, "unreachable", str(exc)) from exc
            if raw and response.status_code == 200:
                return response.content
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            if response.status_code == 200:
                return answer
            code = answer.get("error", "http_error") if isinstance(answer, dict) else "http_error"
            if code == "stale_timestamp" and attempt == 1 and "server_time" in answer:
                self.offset = float(answer["server_time"]) - time.time()
                continue
            raise HqError(response.status_code, code, answer.get("message", response.reason) if isinstance(answer, dict)
                          else response.reason, answer if isinstance(answer, dict) else {})
        raise HqError(401, "stale_timestamp", "clock offset did not settle")


def parse_or_error(model: type[BaseModel], answer: dict) -> BaseModel:
    try:
        return model.model_validate(answer)
    except ValidationError as exc:
        raise HqError(502, "bad_answer", str(exc)) from exc
