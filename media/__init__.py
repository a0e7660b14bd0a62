"""liveroom media: the live room server — WHIP/WHEP, relay, room hub, chat WebSocket, pages, event log."""
