"""Sign-in and sign-out, on the server's side of the page handlers: a sign-in that works clears the
client's credential backoff; a sign-out ends the session on the server, not only in the browser."""

from __future__ import annotations

import logging

from aiohttp import web

from media.hub.hub import RoomHub
from media.web.auth import StaffRole, TeamAuth
from media.web.clients import client_address
from media.web.pages import login as page_login
from media.web.pages import logout as page_logout

log = logging.getLogger(__name__)


async def login(request: web.Request, hub: RoomHub, auth: TeamAuth, role: StaffRole) -> web.Response:
    """The page's sign-in form; when it lets the client in (a redirect), its failures are forgotten."""
    try:
        return await page_login(request, hub, auth, role)
    except web.HTTPRedirection:
        auth.backoff.succeeded(client_address(request) or "?")
        raise


async def logout(request: web.Request, hub: RoomHub, auth: TeamAuth) -> web.Response:
    """The page's logout (CSRF checked, cookie removed, back to the sign-in page), then the session's id
    is recorded as ended, so the old cookie is refused from then on by every instance."""
    session = auth.session(request, request.match_info.get("room", ""))
    try:
        return await page_logout(request, hub, auth)
    except web.HTTPRedirection:
        if session is not None:
            try:
                await auth.end(session)
            except Exception:  # the database could not be written: ended on this instance only
                log.exception("ending session failed")
        raise
