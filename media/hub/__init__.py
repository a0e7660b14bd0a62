"""The live room hub: chat WebSocket, operator API, pages, moderation, event log and the bus."""

from media.hub.events import HubError, RoomEvent
from media.hub.hub import RoomHub
from media.hub.server import HUB, setup_room

__all__ = ["HUB", "HubError", "RoomEvent", "RoomHub", "setup_room"]
