"""The composition root: `build_app` wires the room server and every bot part; the bot's HTTP API."""

from bot.app.build import build_app
from bot.app.keys import ALERTS, CONTINGENCY, CREDENTIALS, FAQ_BOT, FOLLOW_INVITES, HOLDER, SHOW_RUNNER
from bot.app.options import RunOptions

__all__ = [
    "ALERTS",
    "CONTINGENCY",
    "CREDENTIALS",
    "FAQ_BOT",
    "FOLLOW_INVITES",
    "HOLDER",
    "SHOW_RUNNER",
    "RunOptions",
    "build_app",
]
