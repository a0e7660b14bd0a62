"""The rooms this server knows, swapped atomically when the rulebook reloads."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from media.config import RoomSettings

Listener = Callable[[RoomSettings], None]


class RoomDirectory:
    """Room id → settings. Readers always see one consistent rulebook generation."""

    def __init__(self, rooms: Iterable[RoomSettings] = ()) -> None:
        self._rooms: dict[str, RoomSettings] = {r.id: r for r in rooms}
        self._listeners: list[Listener] = []

    def get(self, room_id: str) -> RoomSettings | None:
        return self._rooms.get(room_id)

    def __contains__(self, room_id: object) -> bool:
        return room_id in self._rooms

    def ids(self) -> list[str]:
        return sorted(self._rooms)

    def replace(self, rooms: Iterable[RoomSettings]) -> None:
        new = {r.id: r for r in rooms}
        self._rooms = new
        for room in new.values():
            for listener in list(self._listeners):
                listener(room)

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)
