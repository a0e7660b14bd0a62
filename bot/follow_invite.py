"""引导关注: once a viewer has watched `room.yaml` `follow_invite.after`, the bot invites them to follow.

The invitation is a private `notice` to that viewer's sockets (nobody else sees it), once per
viewer, never to one who already follows; each is logged as `follow_invited`.
`FollowInvites` decides (pure: events in, `tick(now)` → viewer ids); `setup_follow_invites`
wires it to the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.reload import RulebookHolder
from bot.rules.models import FollowInvite
from media.hub import HUB, RoomEvent, RoomHub
from media.hub.protocol import Notice

log = logging.getLogger(__name__)


class FollowInvites:
    """Who has watched long enough to be invited: watch time counts from the first socket of a visit."""

    def __init__(self, invite: FollowInvite | None) -> None:
        self.invite = invite
        self.watching: dict[str, float] = {}  # viewer → when this visit started
        self.sockets: dict[str, int] = {}
        self.invited: set[str] = set()
        self.followers: set[str] = set()

    def observe(self, event: RoomEvent) -> None:
        viewer = event.viewer_id
        if viewer is None:
            return
        match event.kind:
            case "viewer_joined":
                self.sockets[viewer] = self.sockets.get(viewer, 0) + 1
                self.watching.setdefault(viewer, event.ts)
            case "viewer_left":
                left = self.sockets.get(viewer, 1) - 1
                if left <= 0:
                    self.sockets.pop(viewer, None)
                    self.watching.pop(viewer, None)
                else:
                    self.sockets[viewer] = left
            case "follow":
                self.followers.add(viewer)
            case "follow_invited":
                self.invited.add(viewer)
            case _:
                pass

    def due(self, now: float) -> list[str]:
        """Viewers to invite now; each is returned once."""
        if self.invite is None:
            return []
        out = [
            v
            for v, since in self.watching.items()
            if now - since >= self.invite.after and v not in self.invited and v not in self.followers
        ]
        self.invited.update(out)
        return out


async def invite(hub: RoomHub, room_id: str, viewer_id: str, text: str) -> bool:
    """Tell one viewer privately; logs `follow_invited` when a socket took it."""
    room = await hub.room(room_id)
    sent = [conn.send(Notice(text=text)) for conn in room.sockets_of(viewer_id)]
    if any(sent):
        await hub.log(hub.line(room, "follow_invited", viewer_id=viewer_id, data={}))
    return any(sent)


def setup_follow_invites(
    app: web.Application, holder: RulebookHolder, *, tick_every: float = 1.0
) -> FollowInvites:
    """Invite viewers to follow; call after `setup_room`. No `follow_invite` in room.yaml: nothing happens."""
    hub = app[HUB]
    room_id = holder.current.room.id
    invites = FollowInvites(holder.current.room.follow_invite)

    def on_reload(book: object) -> None:
        invites.invite = holder.current.room.follow_invite

    holder.on_reload.append(on_reload)

    def on_event(event: RoomEvent) -> None:
        if event.room_id == room_id:
            invites.observe(event)

    async def tick_forever() -> None:
        while True:
            await asyncio.sleep(tick_every)
            try:
                spec = invites.invite
                for viewer in invites.due(hub.clock.time()):
                    if spec is not None:
                        await invite(hub, room_id, viewer, spec.text)
            except Exception:
                log.exception("follow invitations failed")

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        unsubscribe = hub.subscribe(on_event)
        task = asyncio.create_task(tick_forever(), name="follow-invites")
        try:
            yield
        finally:
            unsubscribe()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(lifecycle)
    return invites
