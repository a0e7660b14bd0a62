"""Two `liveroom run` processes on one Redis serve the same room: chat, pins, votes and counts are shared."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("LIVEROOM_TEST_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "bus-test-password"

pytestmark = pytest.mark.redis


async def redis_reachable() -> str | None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
        return None
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    finally:
        await client.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(session: aiohttp.ClientSession, base: str, proc: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if proc.returncode is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            async with session.get(base + "/healthz") as resp:
                if resp.status == 200 and (await resp.json()).get("hub", {}).get("running"):
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not come up")


class Viewer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            self.received.extend(data if isinstance(data, list) else [data])

    async def wait_for(self, kind: str, check: Any = lambda m: True, within: float = 8.0) -> dict[str, Any]:
        for _ in range(int(within / 0.05)):
            for m in self.received:
                if m.get("type") == kind and check(m):
                    return m
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {kind} in {self.received[-8:]}")


@pytest.fixture
async def two_servers(tmp_path: Path) -> AsyncIterator[tuple[str, str, str]]:
    why = await redis_reachable()
    if why:
        pytest.skip(why)
    room_id = "bus-" + secrets.token_hex(4)  # Redis channels are shared by everyone on the server
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    room_yaml = rules / "room.yaml"
    room_yaml.write_text(re.sub(r"(?m)^id: .*$", f"id: {room_id}", room_yaml.read_text("utf-8")), "utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
        "LIVEROOM_BUS_URL": REDIS_URL,
        "LIVEROOM_SECRET": "shared-secret-for-both",
        "LIVEROOM_TEAM_PASSWORD": PASSWORD,
        "LIVEROOM_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    procs: list[asyncio.subprocess.Process] = []
    logs: list[Any] = []
    bases = []
    async with aiohttp.ClientSession() as session:
        try:
            for name in ("a", "b"):
                port = free_port()
                log = (tmp_path / f"{name}.log").open("wb")
                logs.append(log)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "run", "--rules", str(rules), "--port", str(port),
                    cwd=tmp_path, env=env, stdout=log, stderr=log,
                )  # fmt: skip
                procs.append(proc)
                base = f"http://127.0.0.1:{port}"
                await wait_healthy(session, base, proc)  # one at a time: the first migrates the database
                bases.append(base)
            yield bases[0], bases[1], room_id
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
            for proc in procs:
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            for log in logs:
                log.close()


async def test_a_chat_on_one_process_reaches_a_viewer_on_the_other(two_servers: tuple[str, str, str]) -> None:
    base_a, base_b, room = two_servers
    ws_url = lambda base: base.replace("http", "ws") + f"/ws/{room}"  # noqa: E731
    async with aiohttp.ClientSession() as session:
        on_a = Viewer(await session.ws_connect(ws_url(base_a)))
        # A viewer who loaded the page (its cookie is the viewer token): only such a viewer may vote.
        async with session.get(f"{base_b}/room/{room}") as page:
            token = page.cookies["lr_viewer"].value
        on_b = Viewer(await session.ws_connect(ws_url(base_b) + f"?token={token}"))
        await on_a.wait_for("welcome")
        await on_b.wait_for("welcome")
        await on_a.ws.send_str(json.dumps({"type": "chat", "text": "从A进程发来的弹幕"}))
        line = await on_b.wait_for("chat", lambda m: m["text"] == "从A进程发来的弹幕")
        assert line["role"] == "viewer" and isinstance(line["id"], int)

        # The bot drives process A; the viewer on B sees the pin and can vote, A sees the tally.
        bot = await session.ws_connect(
            ws_url(base_a) + "?role=bot", headers={"Authorization": f"Bearer {PASSWORD}"}
        )
        await bot.send_str(json.dumps({"type": "pin_product", "sku": "PAN-01"}))
        await bot.send_str(json.dumps({"type": "open_vote", "vote_id": "v1", "question": "下一款?",
                                       "options": ["龙井", "白茶"], "duration_s": 60}))  # fmt: skip
        pinned = await on_b.wait_for("pin_product")
        assert pinned["product"]["sku"] == "PAN-01"
        await on_b.wait_for("vote_open")
        await on_b.ws.send_str(json.dumps({"type": "vote", "vote_id": "v1", "option": 1}))
        assert (await on_b.wait_for("vote_ack"))["ok"]
        await on_a.wait_for("vote_update", lambda m: m["tallies"] == [0, 1])

        # Online counts add up across processes.
        await on_b.wait_for("stats", lambda m: m["online"] == 2)
        await on_a.wait_for("stats", lambda m: m["online"] == 2)
        # A late joiner on B gets the chat line that was sent on A.
        late = Viewer(await session.ws_connect(ws_url(base_b)))
        welcome = await late.wait_for("welcome")
        assert "从A进程发来的弹幕" in [m["text"] for m in welcome["snapshot"]["messages"]]
        for ws in (on_a.ws, on_b.ws, late.ws, bot):
            await ws.close()
