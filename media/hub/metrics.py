"""Prometheus numbers for the room hub, in a registry of the app's own (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("liveroom_ws_connections", "Open room sockets", ["role"], registry=r)
        self.messages_in = Counter("liveroom_ws_messages_in_total", "Frames received", ["type"], registry=r)
        self.messages_out = Counter(
            "liveroom_ws_messages_out_total", "Messages sent (per socket)", registry=r
        )
        self.frames_out = Counter("liveroom_ws_frames_out_total", "Frames written to sockets", registry=r)
        self.dropped = Counter(
            "liveroom_ws_dropped_total", "Frames skipped for sockets too far behind", registry=r
        )
        self.errors = Counter("liveroom_ws_errors_total", "Error replies sent", ["code"], registry=r)
        self.rejected = Counter("liveroom_chat_rejected_total", "Chat lines refused", ["reason"], registry=r)
        self.latency = Histogram(
            "liveroom_delivery_seconds",
            "From a message's arrival to its frame written to every socket",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.fanout = Histogram(
            "liveroom_fanout_seconds",
            "Time to write one batch to every socket of a room",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=r,
        )
