"""Signing out of the studio or the host page ends the session on the server, not only in the browser."""

from __future__ import annotations

import logging

from aiohttp import web

from media.hub.hub import RoomHub
from media.web.auth import TeamAuth
from media.web.pages import logout as page_logout

log = logging.getLogger(__name__)


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
