"""How much a phone downloads to open each page: the HTML and every script and style sheet it links
(gzip level 6, as nginx sends them), not counting hls.js, which only an HLS room loads.

    .venv/bin/python bench/page_weight.py [RULES_DIR]
"""

from __future__ import annotations

import asyncio
import gzip
import re
import sys
import tempfile

from aiohttp.test_utils import TestClient, TestServer

from bot.app import CREDENTIALS, RunOptions, build_app
from bot.rules import load_rulebook
from media.config import ServerSettings

BUDGET = 150 * 1024  # a page's JS and CSS, compressed (issue 16)
ASSETS = re.compile(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"')


async def main(rules: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServerSettings(database_url=f"sqlite+aiosqlite:///{tmp}/l.db", data_dir=f"{tmp}/var")
        app = build_app(load_rulebook(rules), settings, RunOptions())
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            room = load_rulebook(rules).room.id
            creds = app[CREDENTIALS]
            pages = {
                "viewer": (f"/room/{room}", None),
                "studio": (f"/studio/{room}", "studio"),
                "host": (f"/host/{room}", "host"),
            }
            worst = 0
            print(f"{'page':<8} {'html gz':>9} {'js+css':>9} {'js+css gz':>10}  assets")
            for name, (path, login) in pages.items():
                if login:
                    password = creds.team_password if login == "studio" else creds.publish_token
                    await client.post(f"/{login}/{room}/login", data={"password": password})
                html = await (await client.get(path)).text()
                assets = sorted(set(ASSETS.findall(html)))
                raw = b"".join([await (await client.get(a)).read() for a in assets])
                packed = len(gzip.compress(raw, 6))
                worst = max(worst, packed)
                print(
                    f"{name:<8} {len(gzip.compress(html.encode(), 6)):>8}B {len(raw):>8}B {packed:>9}B  "
                    + " ".join(a.removeprefix("/static/") for a in assets)
                )
            print(
                f"budget {BUDGET} B a page (JS and CSS, compressed): {'within' if worst <= BUDGET else 'OVER'}"
            )
            return 0 if worst <= BUDGET else 1
        finally:
            await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "rules")))
