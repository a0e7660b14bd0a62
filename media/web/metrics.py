"""`GET /metrics`: the app's Prometheus registry (the hub's numbers and the media server's) as text."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from media.hub.metrics import HubMetrics


async def metrics_endpoint(request: web.Request, metrics: HubMetrics) -> web.Response:
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
