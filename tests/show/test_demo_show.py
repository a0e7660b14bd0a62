"""rules/shows/demo.yaml played on an injected clock: every room message, in order, on time."""

from __future__ import annotations

from sqlalchemy import select

from bot.rules import load_rulebook
from media.store.models import CueFiring, EventRow

from .harness import ROOT, MakeStage, Socket

TOLERANCE = 0.5  # show seconds


def expected_messages(repeat_posts: dict[str, list[float]]) -> list[tuple[float, str, str]]:
    """(offset, kind, cue) of every room message the script asks for, worked out from the YAML."""
    script = load_rulebook(ROOT / "rules").shows["demo"]
    out: list[tuple[float, str, str]] = []
    for start, segment in zip(script.segment_starts(), script.segments, strict=True):
        if segment.product is not None:
            out.append((start, "pin", f"{segment.id}:start"))
    for sc in script.timeline():
        cue, at = sc.cue, sc.offset
        if cue.say is not None:
            out.append((at, "chat", sc.id))
        elif cue.pin is not None:
            out.append((at, "pin", sc.id))
        elif cue.coupon is not None:
            out.append((at, "coupon_pushed", sc.id))
        elif cue.countdown is not None:
            out.append((at, "countdown_started", sc.id))
        elif cue.vote is not None:
            out += [(at, "vote_opened", sc.id), (at + cue.vote.duration, "vote_closed", sc.id)]
        elif cue.lottery is not None:
            # opened with its rules said in chat; drawn with the winners said in chat
            out += [(at, "lottery_opened", sc.id), (at, "chat", sc.id)]
            out += [
                (at + cue.lottery.window, "lottery_drawn", sc.id),
                (at + cue.lottery.window, "chat", sc.id),
            ]
        elif cue.repeat is not None:
            out += [(post, "chat", sc.id) for post in repeat_posts.get(sc.id, [])]
    return sorted(out)


async def test_demo_show_compressed(make_stage: MakeStage) -> None:
    stage = await make_stage(rules=ROOT / "rules")
    run = await stage.runner.start("demo")
    # (viewers join after 开播: the room counts watch time for eligibility within the run only)
    viewers: list[Socket] = [await stage.viewer(f"观众{i}") for i in range(5)]

    async def vote() -> None:
        for v in viewers[:3]:  # the blanket
            await v.send({"type": "vote", "vote_id": "finale-pick", "option": 1})
        for v in viewers[:3]:
            await v.wait_for(lambda m: m["type"] == "vote_ack" and m["ok"])

    async def fudai() -> None:  # three 口令 lines before the warm-up repeat's first slot (3 needed)
        for v in viewers[:3]:
            await v.send({"type": "chat", "text": "山野好物"})
        await stage.viewer_lines(3)

    async def pan_questions() -> None:  # five lines before the pan repeat's second slot (5 needed)
        for v in viewers:
            await v.send({"type": "chat", "text": "锅怎么样"})
        await stage.viewer_lines(8)

    await stage.play(audience=[(125.0, vote), (170.0, fudai), (530.0, pan_questions)])
    assert stage.runner.active is None, "the show ended"

    warm_repeat, pan_repeat = "warm-9", "pan-reveal-7"
    expected = expected_messages({warm_repeat: [180.0], pan_repeat: [540.0]})
    got = [(stage.offset_at(run, e.ts), e.kind, str(e.data.get("cue"))) for e in stage.room_messages()]
    assert [t for t, _, _ in got] == sorted(t for t, _, _ in got), "messages go out in script order"
    assert len(got) == len(expected), _diff(expected, got)
    for (want_at, want_kind, want_cue), (at, kind, cue) in zip(expected, sorted(got), strict=True):
        assert (kind, cue) == (want_kind, want_cue), _diff(expected, got)
        assert abs(at - want_at) <= TOLERANCE, (cue, at, want_at)

    # the vote decided the finale's product: pinned when the segment starts, named in its lines
    pins = {e.data["cue"]: e.data["sku"] for e in stage.room_messages() if e.kind == "pin"}
    assert pins["finale:start"] == pins["finale-pin"] == "BLANKET-06"
    says = {e.data["cue"]: e.data["text"] for e in stage.room_messages() if e.kind == "chat"}
    assert "法兰绒毛毯" in says["finale-1"] or "毛毯" in says["finale-1"]
    assert (
        says["pan-reveal-1"] == "1 号链接「麦饭石不粘炒锅 32cm」来了！日常价 299 元，今晚直播间只要 159 元！"
    )
    assert "新人无门槛5元" in says["warm-4"]
    drawn = next(
        e for e in stage.room_messages() if e.kind == "lottery_drawn" and e.data["cue"] == "warm-fudai"
    )
    assert len(drawn.data["winners"]) == 3  # the three viewers who typed the 口令 and stayed
    assert "观众" in says["warm-fudai"] and drawn.data["seed"][:12] in says["warm-fudai"]

    async with stage.db.sessions() as s:
        firings = (await s.scalars(select(CueFiring).where(CueFiring.run_id == run.id))).all()
        fired = (
            await s.scalars(select(EventRow).where(EventRow.run_id == run.id, EventRow.kind == "cue_fired"))
        ).all()
    states = {f.cue_id: f.state for f in firings}
    assert all(state in ("done", "skipped") for state in states.values()), states
    assert not any(f.late for f in firings)
    keys = [e.data["firing"] for e in fired]
    assert len(keys) == len(set(keys)), "no firing recorded twice"
    quiet = sorted(k for k, state in states.items() if state == "skipped")
    assert f"{warm_repeat}:1" in quiet and f"{pan_repeat}:0" in quiet and f"{warm_repeat}:0" not in quiet


def _diff(expected: list[tuple[float, str, str]], got: list[tuple[float, str, str]]) -> str:
    want = {(round(a, 1), k, c) for a, k, c in expected}
    have = {(round(a, 1), k, c) for a, k, c in got}
    return f"missing {sorted(want - have)}; unexpected {sorted(have - want)}"
