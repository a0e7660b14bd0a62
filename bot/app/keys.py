"""The bot's parts on the app, for operations and tests to look at. No part of the bot reads them:
the composition root (`bot.app.build`) hands each part what it needs."""

from __future__ import annotations

from aiohttp import web

from bot.alerts.service import AlertService
from bot.app.credentials import Credentials
from bot.contingency.edge import ContingencyEdge
from bot.faq.room import FaqBot
from bot.rules.reload import RulebookHolder
from bot.show.follow_invite import FollowInviter
from bot.show.runner import ShowRunner

HOLDER = web.AppKey("rulebook", RulebookHolder)
CREDENTIALS = web.AppKey("credentials", Credentials)
SHOW_RUNNER = web.AppKey("show_runner", ShowRunner)
FAQ_BOT = web.AppKey("faq_bot", FaqBot)
ALERTS = web.AppKey("alerts", AlertService)
CONTINGENCY = web.AppKey("contingency", ContingencyEdge)
FOLLOW_INVITES = web.AppKey("follow_invites", FollowInviter)
