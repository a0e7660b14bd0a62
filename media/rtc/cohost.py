"""Co-host (连麦) invites: a one-guest-at-a-time publish token the host hands out and can revoke."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from media.signing import same


@dataclass(frozen=True)
class GuestInvite:
    room_id: str
    token: str
    created_at: float


class GuestInvites:
    """Room id → the current invite. A new invite replaces the old one."""

    def __init__(self) -> None:
        self._invites: dict[str, GuestInvite] = {}

    def create(self, room_id: str) -> GuestInvite:
        invite = GuestInvite(room_id, "guest-" + secrets.token_urlsafe(24), time.time())
        self._invites[room_id] = invite
        return invite

    def accepts(self, room_id: str, token: str) -> bool:
        invite = self._invites.get(room_id)
        return invite is not None and same(token, invite.token)

    def revoke(self, room_id: str) -> bool:
        return self._invites.pop(room_id, None) is not None
