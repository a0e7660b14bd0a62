"""引导关注: once a viewer has watched `room.yaml` `follow_invite.after`, the bot invites them to follow.

The invitation is a private `notice` to that viewer's sockets (nobody else sees it), once per
viewer per room, never to one who already follows; each is logged as `follow_invited`.
`FollowInvites` decides (pure: events in, `due(now)` → viewer ids); `FollowInviter` carries it
out in the room.

Who was invited and who follows survives a restart: before its first invitation the feature
reads the room's `follow_invited` and `follow` events from the event log (one query) and
`restore`s them, so nobody is invited twice however often the server restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import select

from bot.rules.models import FollowInvite, Rulebook
from bot.rules.reload import RulebookHolder
from media.hub import RoomEvent, RoomHub
from media.hub.protocol import Notice
from media.store.db import Database
from media.store.models import EventRow

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

    def restore(self, invited: Iterable[str], followers: Iterable[str]) -> None:
        """Add who was invited and who follows as stored before this instance started."""
        self.invited.update(invited)
        self.followers.update(followers)

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


async def stored_history(db: Database, room_id: str) -> tuple[set[str], set[str]]:
    """(invited, followers) of a room as its event log has them, in one query."""
    query = (
        select(EventRow.kind, EventRow.viewer_id)
        .where(
            EventRow.room_id == room_id,
            EventRow.kind.in_(("follow_invited", "follow")),
            EventRow.viewer_id.is_not(None),
        )
        .distinct()
    )
    invited: set[str] = set()
    followers: set[str] = set()
    async with db.sessions() as session:
        for kind, viewer in (await session.execute(query)).all():
            if viewer is not None:
                (invited if kind == "follow_invited" else followers).add(viewer)
    return invited, followers


async def invite(hub: RoomHub, room_id: str, viewer_id: str, text: str) -> bool:
    """Tell one viewer privately; logs `follow_invited` when a socket took it."""
    room = await hub.room(room_id)
    sent = [conn.send(Notice(text=text)) for conn in room.sockets_of(viewer_id)]
    if any(sent):
        await hub.log(hub.line(room, "follow_invited", viewer_id=viewer_id, data={}))
    return any(sent)


class FollowInviter:
    """`FollowInvites` carried out in one room: the hub's events in, private invitations out."""

    def __init__(self, hub: RoomHub, holder: RulebookHolder, *, tick_every: float = 1.0) -> None:
        self.hub = hub
        self.holder = holder
        self.room_id = holder.current.room.id
        self.tick_every = tick_every
        self.invites = FollowInvites(holder.current.room.follow_invite)

    def on_reload(self, book: Rulebook) -> None:
        self.invites.invite = book.room.follow_invite

    def on_event(self, event: RoomEvent) -> None:
        if event.room_id == self.room_id:
            self.invites.observe(event)

    async def tick_forever(self) -> None:
        hub, invites, restored = self.hub, self.invites, False
        while True:
            if not restored:
                # Nobody is invited until the stored history is in; a failed read is retried next tick.
                try:
                    invites.restore(*await stored_history(hub.db, self.room_id))
                    restored = True
                except Exception:
                    log.exception("follow invitations: reading who was already invited failed")
            await asyncio.sleep(self.tick_every)
            if not restored:
                continue
            try:
                spec = invites.invite
                for viewer in invites.due(hub.clock.time()):
                    if spec is not None:
                        await invite(hub, self.room_id, viewer, spec.text)
            except Exception:
                log.exception("follow invitations failed")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        unsubscribe = self.hub.subscribe(self.on_event)
        task = asyncio.create_task(self.tick_forever(), name="follow-invites")
        try:
            yield
        finally:
            unsubscribe()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
