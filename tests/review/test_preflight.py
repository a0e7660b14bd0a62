"""`liveroom preflight SHOW`: a healthy setup passes; each broken setup fails with a clear line naming it."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "123:abc"


class StandIn(BaseHTTPRequestHandler):
    """The Telegram Bot API (getMe) and an OpenAI-style models list, answering from 127.0.0.1."""

    def do_GET(self) -> None:
        if self.path == f"/bot{TOKEN}/getMe":
            self._json(200, {"ok": True, "result": {"username": "liveroom_test_bot"}})
        elif self.path.startswith("/bot"):
            self._json(401, {"ok": False, "description": "Unauthorized"})
        elif self.path == "/v1/models" and self.headers.get("Authorization") == "Bearer sk-good":
            self._json(200, {"data": [{"id": "gpt-test"}]})
        else:
            self._json(401, {"error": "bad key"})

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stand_in: str) -> Path:
    """A healthy setup: the demo rules, a writable database, a publish token, Telegram and the LLM up."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LIVEROOM_PUBLISH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
    monkeypatch.setenv("LIVEROOM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIVEROOM_PUBLISH_TOKEN", "publish-me")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", stand_in)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-good")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{stand_in}/v1")
    return rules


def preflight(rules: Path, capsys: pytest.CaptureFixture[str], show: str = "demo") -> tuple[int, list[str]]:
    code = main(["preflight", show, "--rules", str(rules)])
    return code, capsys.readouterr().out.splitlines()


def test_a_healthy_setup_passes(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = preflight(setup, capsys)
    assert code == 0, lines
    assert [line[0] for line in lines[:-1]] == ["✔"] * 8
    assert "✔ Telegram 可用：@liveroom_test_bot" in lines
    assert lines[-1] == "全部通过，可以开播"


def test_unconfigured_telegram_and_llm_are_skipped_not_failed(
    setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name)
    code, lines = preflight(setup, capsys)
    assert code == 0
    assert "– Telegram 未配置（TELEGRAM_BOT_TOKEN），跳过" in lines
    assert any(line.startswith("– 大模型未配置") for line in lines)


LATE_LOTTERY = """
title: 晚开福袋
starts_at: 2026-12-05T20:00:00+08:00
segments:
  - {id: warm, kind: 暖场, duration: 15m, product: PAN-01}
  - id: bye
    kind: 收尾
    duration: 5m
    cues:
      - {at: 4m, lottery: {id: late, prize: 保温杯, winners: 1, window: 5m}}
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "rules": (
        lambda rules, env: _edit(rules / "room.yaml", "title:", "titel:"),
        "room.yaml:5: titel: 未知的键",
    ),
    "no stock": (
        lambda rules, env: _edit(rules / "products.yaml", "  stock: 300\n", ""),
        "✘ 商品 PAN-01 没有设置库存（stock）",
    ),
    "sold out": (
        lambda rules, env: _edit(rules / "products.yaml", "  stock: 300\n", "  stock: 0\n"),
        "✘ 商品 PAN-01 库存为 0",
    ),
    "coupon quantity": (
        lambda rules, env: _edit(rules / "coupons.yaml", "  quantity: 500\n", ""),
        "✘ 优惠券 newbie-5 没有设置数量（quantity），可能超发",
    ),
    "cue past the end": (
        # a 福袋 opened at 19:00 of a 20-minute show with a 5-minute window is drawn after the show ended
        lambda rules, env: (rules / "shows" / "demo.yaml").write_text(LATE_LOTTERY, encoding="utf-8"),
        "✘ 提示 bye-1（lottery）到 24:00 才结束，超过直播时长 20:00",
    ),
    "telegram token": (
        lambda rules, env: env.setenv("TELEGRAM_BOT_TOKEN", "999:wrong"),
        "✘ Telegram 连不上：HTTP 401 Unauthorized",
    ),
    "llm down": (
        lambda rules, env: env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        "✘ 大模型接口连不上（http://127.0.0.1:9/v1）",
    ),
    "llm key": (
        lambda rules, env: env.setenv("OPENAI_API_KEY", "sk-bad"),
        "HTTP 401",
    ),
    "database": (
        lambda rules, env: env.setenv("DATABASE_URL", "sqlite+aiosqlite:////proc/liveroom/live.db"),
        "✘ 数据库不可写（sqlite+aiosqlite:////proc/liveroom/live.db）",
    ),
    "publish token": (
        lambda rules, env: env.delenv("LIVEROOM_PUBLISH_TOKEN"),
        "✘ 推流令牌未设置",
    ),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_each_broken_setup_fails_with_a_clear_line(
    broken: str, setup: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    breaks, expected = BROKEN[broken]
    breaks(setup, monkeypatch)
    code, lines = preflight(setup, capsys)
    assert code == 1
    failed = [line for line in lines if line.startswith("✘")]
    assert any(expected in line for line in failed), lines
    assert len(failed) >= 1 and lines[-1].endswith("项未通过")


def test_an_unknown_show_fails(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = preflight(setup, capsys, show="nope")
    assert code == 1
    assert any(line.startswith("✘ 没有这场直播：nope") for line in lines)
