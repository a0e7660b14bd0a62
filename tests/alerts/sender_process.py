"""A process that only runs the alert sender (for the kill -9 test): outbox in DB_URL → stand-in API.

python -m tests.alerts.sender_process DB_URL API_BASE TOKEN CHAT_ID
"""

from __future__ import annotations

import asyncio
import sys

from bot.alerts.digest import Pacer
from bot.alerts.outbox import Outbox
from bot.alerts.sender import Backoff, Sender, TelegramChannel
from bot.alerts.startup import TelegramSettings, open_bot
from media.store.db import Database


async def main(db_url: str, api_base: str, token: str, chat_id: str) -> None:
    db = Database.open(db_url)
    await db.migrate()
    client = open_bot(TelegramSettings(token, int(chat_id), api_base))
    sender = Sender(
        Outbox(db),
        TelegramChannel(client.bot, int(chat_id)),
        pacer=Pacer(messages=20, per=1.0),
        backoff=Backoff(first=0.1, cap=0.3),
        poll_every=0.1,
    )
    print("ready", flush=True)
    await sender.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
