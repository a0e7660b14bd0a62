"""Team and host sign-in: a signed session cookie (SameSite=Strict) plus a CSRF token.

The studio's POSTs and its operator socket carry the CSRF token derived from the
session, so another site cannot act with the team's cookie. A bot outside the process
may connect with `Authorization: Bearer <team password>` instead.

Sessions are signed with their own key (derived from the signing key, never the shop's webhook
secret). A session ends when it is signed out (its id is written to `ended_sessions`, which every
instance reads back every few seconds) and when the password it was issued under changes (the
cookie carries a fingerprint of that password, checked against the room's current one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web

from media.config import RoomSettings
from media.guessing import Check, CredentialBackoff
from media.rooms import RoomDirectory
from media.signing import same
from media.store.db import Database
from media.store.sessions import end_session, ended_sessions
from media.web.clients import client_address

SESSION_COOKIE = "lr_session"
SESSION_SECONDS = 12 * 3600

StaffRole = Literal["team", "host"]


@dataclass(frozen=True)
class Session:
    room_id: str
    role: StaffRole
    nonce: str
    csrf: str
    expires: int = 0


class TooManyFailures(Exception):
    """This client failed too often lately: it waits `seconds` before its next credential is checked."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.seconds)))


@dataclass
class TeamAuth:
    """`key`: the sessions key (`media.signing.derive_key(signing key, "sessions")`); `rooms`: where the
    current team password and publish token are read, so a changed one ends the sessions of the old."""

    key: bytes
    rooms: RoomDirectory | None = None
    backoff: CredentialBackoff = field(default_factory=CredentialBackoff)
    ended: set[str] = field(default_factory=set)  # the ids of sessions signed out, here or elsewhere
    db: Database | None = None
    _ended_here: set[str] = field(default_factory=set)  # kept even when the database missed them

    def _mac(self, purpose: str, value: str) -> str:
        data = f"{purpose}|{value}".encode("utf-8", "surrogatepass")
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def _fingerprint(self, room_id: str, role: StaffRole) -> str:
        """A short MAC of the password a session is issued under ("" when the room is not known)."""
        settings = self.rooms.get(room_id) if self.rooms is not None else None
        if settings is None:
            return "-"
        secret = settings.team_password if role == "team" else settings.publish_token
        return self._mac("password", f"{room_id}|{role}|{secret}")[:16]

    # -- credentials

    @staticmethod
    def check_password(settings: RoomSettings, role: StaffRole, given: str) -> bool:
        expected = settings.team_password if role == "team" else settings.publish_token
        return same(given, expected)

    def throttled(self, client: str, room_id: str = "", check: Check = "form") -> bool:
        """Whether the sign-in form must refuse this client for now (429), without checking its password."""
        return self.backoff.throttled(client, check, room_id) > 0

    def failed(self, client: str, room_id: str = "", check: Check = "form") -> None:
        self.backoff.failed(client, check, room_id)

    # -- sessions

    def issue(self, room_id: str, role: StaffRole, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_SECONDS)
        fingerprint = self._fingerprint(room_id, role)
        payload = f"{room_id}|{role}|{expires}|{secrets.token_hex(12)}|{fingerprint}"
        return f"{payload}|{self._mac('session', payload)}"

    def session(self, request: web.Request, room_id: str) -> Session | None:
        value = request.cookies.get(SESSION_COOKIE)
        if not value or len(value) > 400:
            return None
        payload, _, signature = value.rpartition("|")
        if not same(signature, self._mac("session", payload)):
            return None
        parts = payload.split("|")
        if len(parts) != 5 or parts[0] != room_id or parts[1] not in ("team", "host"):
            return None
        if not parts[2].isascii() or not parts[2].isdigit() or int(parts[2]) < time.time():
            return None
        role: StaffRole = "team" if parts[1] == "team" else "host"
        nonce = parts[3]
        if nonce in self.ended or not same(parts[4], self._fingerprint(room_id, role)):
            return None
        return Session(room_id, role, nonce, self._mac("csrf", nonce)[:32], int(parts[2]))

    async def end(self, session: Session) -> None:
        """Sign `session` out: refused here at once, and on every instance once they read it back."""
        self.ended.add(session.nonce)
        self._ended_here.add(session.nonce)
        if self.db is not None:
            expires = dt.datetime.fromtimestamp(session.expires or time.time() + SESSION_SECONDS, dt.UTC)
            async with self.db.sessions() as db_session, db_session.begin():
                await end_session(db_session, session.nonce, session.room_id, expires)

    async def refresh(self) -> None:
        """Read back the sessions ended on any instance."""
        if self.db is not None:
            async with self.db.sessions() as db_session, db_session.begin():
                self.ended = await ended_sessions(db_session) | self._ended_here

    def set_cookie(self, response: web.StreamResponse, value: str, secure: bool) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=secure,
            path="/",
        )

    @staticmethod
    def same_origin(request: web.Request) -> bool:
        """A browser request whose Origin (or Referer) names this server; absent headers pass."""
        origin = request.headers.get("Origin") or request.headers.get("Referer")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.host

    def csrf_ok(self, request: web.Request, session: Session, given: str | None) -> bool:
        return same(given, session.csrf) and self.same_origin(request)

    def bearer_ok(self, request: web.Request, settings: RoomSettings, check: Check = "bearer") -> bool:
        """Whether the request carries the team password as `Authorization: Bearer …`; a wrong one counts
        toward the client's backoff, and a client in its backoff gets `TooManyFailures` (answer 429)."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        client = client_address(request)
        wait = self.backoff.throttled(client, check, settings.id)
        if wait > 0:
            raise TooManyFailures(wait)
        if self.check_password(settings, "team", token.strip()):
            self.backoff.succeeded(client)
            return True
        self.backoff.failed(client, check, settings.id)
        return False

    def is_team(self, request: web.Request, settings: RoomSettings, *, write: bool = False) -> bool:
        """The team's API rule: the team password as a bearer token, or a team session (plus the
        `X-CSRF-Token` header when the request changes something)."""
        if self.bearer_ok(request, settings):
            return True
        session = self.session(request, settings.id)
        if session is None or session.role != "team":
            return False
        return not write or self.csrf_ok(request, session, request.headers.get("X-CSRF-Token"))
