"""The bot learns from the team (issue 15 part 5): `POST /api/faq/{room}/learn` writes the viewer's
wording into faq.yaml (comments and layout kept), the rulebook reloads, and the same question is
then answered by the bot in the running room; a result that would not load leaves the file alone."""

from __future__ import annotations

import asyncio
import difflib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import CREDENTIALS, FAQ_BOT, HOLDER, RunOptions, build_app
from bot.rules import load_rulebook
from bot.rules.faqedit import NewEntry, add_entry, add_example
from media.config import ServerSettings

from .test_room_bot import RULES, faq_decisions, viewer


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


@pytest.fixture
async def client(
    rules: Path, local_settings: ServerSettings, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> TestClient[Any, Any]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=0.2))
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    test_client.app[FAQ_BOT].responder.gather = 0.2
    return test_client


def team(client: TestClient[Any, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.app[CREDENTIALS].team_password}"}


async def decision_of(client: TestClient[Any, Any], message_id: int) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        rows = [r for r in await faq_decisions(client) if r.data["message_id"] == message_id]
        return rows[0].data if rows else None

    for _ in range(100):
        data = await found()
        if data is not None:
            return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"no faq_decision for {message_id}")


async def test_add_to_faq_changes_the_file_reloads_and_the_bot_then_answers(
    client: TestClient[Any, Any], rules: Path
) -> None:
    holder = client.app[HOLDER]
    before = (rules / "faq.yaml").read_text(encoding="utf-8")
    asker = await viewer(client, "老张")

    # 1. A wording the bot does not place on the entry goes to it (the first of these the matcher in
    # force does not already answer with it).
    offline = client.app[FAQ_BOT].responder.answerer
    wording = next(
        w
        for w in ("你们是厂家直销吗", "你们家是源头工厂吗", "这是工厂店吗", "是不是一手货源")
        if offline.answer(w).faq_id != "authentic"
    )
    asked = await asker.chat(wording)
    decided = await decision_of(client, asked)
    assert not (decided["decision"] == "answered" and decided["faq_id"] == "authentic")
    generation = holder.generation
    resp = await client.post(
        "/api/faq/demo/learn", json={"message_id": asked, "faq_id": "authentic"}, headers=team(client)
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["faq_id"] == "authentic" and body["created"] is False and body["added"] is True
    assert body["file"] == str(rules / "faq.yaml") and body["question"] == wording
    after = (rules / "faq.yaml").read_text(encoding="utf-8")
    diff = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert diff == [f"+   learned: [{wording}]"]  # one line added; every comment and blank line kept
    assert holder.generation == generation + 1
    await asyncio.sleep(0.6)  # the watcher saw the file as already read: no second reload
    assert holder.generation == generation + 1

    again = await (await viewer(client, "小美")).chat(wording)
    reply = await asker.wait_for(lambda m: m.get("role") == "bot" and m.get("reply_to") == again)
    assert "品牌直供正品" in reply["text"]
    assert (await decision_of(client, again))["faq_id"] == "authentic"

    # 2. A question no entry answers becomes a new entry, under a comment saying where it came from.
    asked = await asker.chat("有没有实体店")
    assert (await decision_of(client, asked))["decision"] != "answered"
    answer = "目前只有线上店，没有实体店，直播间和店铺首页都能下单。"
    resp = await client.post(
        "/api/faq/demo/learn",
        json={"message_id": asked, "new": {"answer": answer, "tags": ["店铺"]}},
        headers=team(client),
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["created"] is True and body["faq_id"] == "you-mei-you-shi-ti-dian"
    text = (rules / "faq.yaml").read_text(encoding="utf-8")
    assert text.startswith(after.rstrip("\n"))  # the file as it was, then the new entry
    assert text.endswith(
        "\n# 从直播间学到的（中控台“加入FAQ”）\n- id: you-mei-you-shi-ti-dian\n  q: [有没有实体店]\n"
        f"  a: {answer}\n  tags: [店铺]\n"
    )
    again = await asker.chat("有没有实体店")
    reply = await asker.wait_for(lambda m: m.get("role") == "bot" and m.get("reply_to") == again)
    assert answer in reply["text"]

    # The FAQ in force, as the studio lists it for 加入FAQ: the written questions and the learned apart.
    listed = await (await client.get("/api/faq/demo/entries", headers=team(client))).json()
    entries = {e["id"]: e for e in listed["entries"]}
    assert entries["authentic"]["learned"] == [wording]
    assert wording not in entries["authentic"]["q"]
    assert entries["you-mei-you-shi-ti-dian"] == {
        "id": "you-mei-you-shi-ti-dian",
        "product": None,
        "q": ["有没有实体店"],
        "learned": [],
        "a": answer,
        "tags": ["店铺"],
    }
    assert listed["generation"] == holder.generation and listed["file"] == str(rules / "faq.yaml")

    # Learning the same wording twice writes nothing.
    resp = await client.post(
        "/api/faq/demo/learn",
        json={"question": "有没有实体店", "faq_id": body["faq_id"]},
        headers=team(client),
    )
    assert (await resp.json())["added"] is False
    assert (rules / "faq.yaml").read_text(encoding="utf-8") == text
    await asker.close()


async def test_a_result_that_would_not_load_is_refused_and_the_file_left_alone(
    client: TestClient[Any, Any], rules: Path
) -> None:
    path = rules / "faq.yaml"
    before = path.read_text(encoding="utf-8")
    generation = client.app[HOLDER].generation

    async def refused(body: Any, status: int, code: str, **kw: Any) -> str:
        resp = await client.post("/api/faq/demo/learn", json=body, headers=kw.get("headers", team(client)))
        assert resp.status == status, await resp.text()
        got = await resp.json()
        assert set(got) == {"error", "message"} and got["error"] == code
        return str(got["message"])

    # Another entry's example question: the rule loader refuses it, with the file and line.
    message = await refused({"question": "多久发货", "faq_id": "invoice"}, 409, "rules_refused")
    assert f"{path}:" in message and "ship-time" in message
    await refused({"question": "x", "faq_id": "no-such"}, 404, "unknown_faq")
    await refused({"question": "x", "new": {"id": "ship-time", "answer": "y"}}, 409, "duplicate_id")
    await refused({"question": "x", "new": {"id": "Bad_Id", "answer": "y"}}, 409, "rules_refused")
    await refused({"question": "x", "new": {"answer": "y", "product": "NO-SUCH"}}, 409, "rules_refused")
    await refused({"message_id": 999999, "faq_id": "invoice"}, 404, "unknown_message")
    await refused({"question": "x"}, 400, "bad_request")
    await refused({"question": "x", "faq_id": "invoice", "new": {"answer": "y"}}, 400, "bad_request")
    await refused({"message_id": "1", "faq_id": "invoice", "extra": 1}, 400, "bad_request")
    await refused({"question": "x", "faq_id": "invoice"}, 401, "unauthorized", headers={})
    assert path.read_text(encoding="utf-8") == before
    assert client.app[HOLDER].generation == generation
    left = await asyncio.to_thread(os.listdir, rules)
    assert not [name for name in left if name.startswith(".faq-")]  # no temporary file left behind


def test_round_trip_edits_keep_quotes_comments_and_odd_wordings() -> None:
    text = (
        '# 头部注释\n\n- id: a  # 行尾注释\n  q: [\'1号链接: 多少钱\', "带#号的"]\n  a: "{name} 价格 {price}"\n'
        "  tags: [价格]\n"
    )
    edited, added = add_example(text, "a", "亲~这个#多少钱: [捂脸]")
    assert added
    assert edited.startswith("# 头部注释\n\n- id: a  # 行尾注释\n  q: ['1号链接: 多少钱', \"带#号的\"]\n")
    assert 'a: "{name} 价格 {price}"' in edited
    from ruamel.yaml import YAML

    loaded = YAML(typ="safe").load(edited)
    assert loaded[0]["learned"] == ["亲~这个#多少钱: [捂脸]"]
    fresh = add_entry("", NewEntry("b", "能开发票吗", "可以"))
    assert YAML(typ="safe").load(fresh) == [{"id": "b", "q": ["能开发票吗"], "a": "可以"}]
