"""The room engine: rooms' live state, chat, commerce, votes and lotteries, the event log and the bus.

No HTTP here: `media.web` turns requests and socket frames into the hub's operations.
"""

from media.hub.events import HubError, RoomEvent
from media.hub.hub import RoomHub

__all__ = ["HubError", "RoomEvent", "RoomHub"]
