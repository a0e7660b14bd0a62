"""The show runner on the real room hub and an injected clock: resume, exactly once, repeat, controls, edits."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.rules import load_rulebook
from bot.show.runner import RunnerSettings, ShowError, ShowRunner
from media.hub.clock import as_datetime
from media.store.models import CueFiring, EventRow

from .harness import DATA, MakeStage, Stage


async def _firings(stage: Stage, run_id: int) -> dict[str, CueFiring]:
    async with stage.db.sessions() as s:
        return {
            f.cue_id: f for f in (await s.scalars(select(CueFiring).where(CueFiring.run_id == run_id))).all()
        }


async def _events(stage: Stage, run_id: int, kind: str) -> list[EventRow]:
    async with stage.db.sessions() as s:
        return list(
            (await s.scalars(select(EventRow).where(EventRow.run_id == run_id, EventRow.kind == kind))).all()
        )


def _cues(stage: Stage, kind: str = "chat") -> Counter[str]:
    return Counter(str(e.data.get("cue")) for e in stage.room_messages() if e.kind == kind)


async def test_a_restarted_runner_resumes_late_within_grace_and_records_older_as_missed(
    make_stage: MakeStage,
) -> None:
    stage = await make_stage(settings=RunnerSettings(grace=30.0))
    run = await stage.runner.start("mini")
    await stage.play(until=50.0)
    assert _cues(stage)["open-7"] == 1
    await stage.runner.close()  # the process is gone; 50 s pass
    stage.clock.now = run.started_at + 100.0

    again = ShowRunner(
        stage.hub, stage.db, stage.holder, clock=stage.clock, settings=RunnerSettings(grace=30.0), drive=False
    )
    await again.open()  # adopts the run in progress, no new run
    assert again.active is not None and again.active.row.id == run.id
    stage.runner = again
    await stage.play()

    firings = await _firings(stage, run.id)
    assert firings["bag:draw"].state == "missed"  # 40 s overdue > 30 s grace
    assert firings["pitch:start"].state == "done" and firings["pitch:start"].late  # 10 s overdue
    assert firings["pitch-1"].late and not firings["pitch-3"].late
    missed = await _events(stage, run.id, "cue_missed")
    assert [e.data["firing"] for e in missed] == ["bag:draw"]
    fired = [e.data["firing"] for e in await _events(stage, run.id, "cue_fired")]
    assert len(fired) == len(set(fired))
    assert all(n == 1 for n in _cues(stage).values()), _cues(stage)
    late = {e.data["firing"] for e in await _events(stage, run.id, "cue_fired") if e.data["late"]}
    assert late == {"pitch-1"}  # (segment starts are logged as segment_started)
    assert len(await _events(stage, run.id, "show_started")) == 1


async def test_a_claim_left_by_a_dead_process_is_checked_against_the_log(make_stage: MakeStage) -> None:
    stage = await make_stage(settings=RunnerSettings(stale_firing=15.0))
    run = await stage.runner.start("mini", started_at=stage.clock.now + 5.0)  # nothing due yet
    # A process claimed `hello` and said it, another claimed `pin-pan` and died before pinning.
    await stage.hub.say(stage.room, "欢迎来到彩排小场！", cue="hello")
    async with stage.db.sessions() as s, s.begin():
        for key in ("hello", "pin-pan"):
            at = as_datetime(stage.clock.now - 20.0)
            s.add(
                CueFiring(run_id=run.id, cue_id=key, state="firing", scheduled_at=at, fired_at=at, detail={})
            )
    await stage.play(until=10.0)
    firings = await _firings(stage, run.id)
    assert firings["hello"].state == firings["pin-pan"].state == "done"
    assert firings["hello"].detail.get("recovered") and firings["pin-pan"].detail.get("recovered")
    assert _cues(stage)["hello"] == 1  # not said again
    assert _cues(stage, "pin")["pin-pan"] == 1  # pinned by the survivor


async def test_two_runners_on_one_database_fire_each_cue_once(make_stage: MakeStage) -> None:
    stage = await make_stage()
    other = ShowRunner(stage.hub, stage.db, stage.holder, clock=stage.clock, drive=False)
    await other.open()
    run = await stage.runner.start("mini")
    await other.sweep()  # notices the run another process started
    assert other.active is not None and other.active.row.id == run.id
    assert (await other.start("mini")).id == run.id  # starting it there resumes the same run
    while stage.runner.active is not None and stage.runner.next_at is not None:
        stage.clock.now = stage.runner.next_at
        await asyncio.gather(stage.runner.run_due(), other.run_due())
    await other.run_due()
    await other.close()
    counts = Counter((e.kind, str(e.data.get("cue"))) for e in stage.room_messages())
    assert counts and all(n == 1 for (kind, _), n in counts.items() if kind != "chat"), counts
    assert _cues(stage)["hello"] == 1 and _cues(stage)["bye-1"] == 1
    fired = [e.data["firing"] for e in await _events(stage, run.id, "cue_fired")]
    assert len(fired) == len(set(fired))


async def test_repeat_needs_chat_and_posts_at_most_once_per_interval(make_stage: MakeStage) -> None:
    stage = await make_stage()
    run = await stage.runner.start("mini")
    await stage.play()  # nobody chats
    assert _cues(stage)["pitch-2"] == 0
    assert {
        k: f.detail["reason"] for k, f in (await _firings(stage, run.id)).items() if k.startswith("pitch-2")
    } == {
        "pitch-2:0": "quiet",
        "pitch-2:1": "quiet",
    }

    busy = await make_stage()
    run = await busy.runner.start("mini")
    viewers = [await busy.viewer(f"观众{i}") for i in range(4)]

    def chat(n: int) -> object:
        async def act() -> None:
            before = sum(1 for e in busy.events if e.kind == "chat" and e.data.get("role") == "viewer")
            for v in viewers:
                await v.send({"type": "chat", "text": f"第{n}句"})
            await busy.viewer_lines(before + len(viewers))

        return act

    async def bot_line() -> None:
        await busy.hub.say(busy.room, "助理插播一句")

    # lots of chat in every interval; a bot line at 110 s pushes the 120 s post back (20 s pace),
    # the script's own line at 130 s pushes it again, so it goes out at 150 s
    await busy.play(
        audience=[(100.0, chat(1)), (105.0, chat(2)), (110.0, bot_line), (160.0, chat(3)), (170.0, chat(4))]
    )  # type: ignore[list-item]
    posts = [busy.offset_at(run, e.ts) for e in busy.room_messages() if e.data.get("cue") == "pitch-2"]
    assert posts == [150.0, 180.0]


async def test_team_controls(make_stage: MakeStage) -> None:
    stage = await make_stage()
    run = await stage.runner.start("mini")
    await stage.play(until=12.0)
    runner = stage.runner
    await runner.pause()
    stage.clock.now += 100.0
    await runner.run_due()
    assert _cues(stage, "vote_opened")["pick"] == 0  # nothing fires while paused
    with pytest.raises(ShowError):
        await runner.pause()
    await runner.resume()
    assert runner.next_at == pytest.approx(stage.clock.now + 3.0)  # the vote, 3 s of show later
    assert await runner.shift(30.0) == 30.0
    assert runner.next_at == pytest.approx(stage.clock.now + 33.0)
    assert await runner.shift(-1000.0) == pytest.approx(-33.0)  # never into the past…
    assert _cues(stage, "vote_opened")["pick"] == 1  # …so the vote, next, is due at once
    assert await runner.skip("bag") == ["bag", "bag:draw"]
    assert await runner.fire_now() == "flash"
    with pytest.raises(ShowError):
        await runner.fire_now("newbie")  # already fired
    assert await runner.fire_now("bye-1") == "bye-1"  # early, by hand
    await stage.play()
    firings = await _firings(stage, run.id)
    assert firings["bag"].state == firings["bag:draw"].state == "skipped"
    assert firings["flash"].detail.get("by") == firings["bye-1"].detail.get("by") == "team"
    assert _cues(stage, "lottery_opened")["bag"] == 0
    assert _cues(stage)["bye-1"] == 1
    view = await runner.timeline()
    assert view["status"] == "ended"
    assert {c["key"]: c["state"] for c in view["cues"]}["bag"] == "skipped"


async def test_rule_edits_apply_to_cues_not_yet_fired(make_stage: MakeStage, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stage = await make_stage()
    run = await stage.runner.start("mini")
    await stage.play(until=100.0)
    book = load_rulebook(DATA)
    script = book.shows["mini"]
    segs = list(script.segments)
    bye = segs[2]
    cues = list(bye.cues)
    cues[0] = cues[0].model_copy(update={"say": "改过的告别语"})
    first = segs[0]
    late_cue = first.cues[0].model_copy(update={"id": "added-late", "at": 30.0, "say": "补一句"})
    segs[0] = first.model_copy(update={"cues": [*first.cues, late_cue]})
    segs[2] = bye.model_copy(update={"cues": cues})
    edited = book.__class__(
        **{**book.__dict__, "shows": {"mini": script.model_copy(update={"segments": segs})}}
    )
    await stage.holder.swap(edited)
    await stage.play()
    says = {e.data["cue"]: e.data["text"] for e in stage.room_messages() if e.kind == "chat"}
    assert says["bye-1"] == "改过的告别语"
    assert "added-late" not in says
    assert (await _firings(stage, run.id))["added-late"].detail["reason"] == "added_after_its_time"


async def test_stop_ends_the_run_now_and_the_next_start_is_a_new_run(make_stage: MakeStage) -> None:
    """The demo's Ctrl-C: the run ends at once with `show_ended {reason: stopped}` (before the audience
    leaves), what had not fired stays unfired, and starting the show again makes run 2, not a resume."""
    stage = await make_stage()
    run = await stage.runner.start("mini")
    await stage.play(until=12.0)
    assert await stage.runner.stop() == run.id
    assert stage.runner.active is None and stage.runner.next_at is None
    [ended] = await _events(stage, run.id, "show_ended")
    assert ended.data["reason"] == "stopped" and ended.ts == as_datetime(stage.clock.now)
    stage.clock.now += 100.0
    await stage.runner.run_due()
    assert _cues(stage, "vote_opened")["pick"] == 0  # nothing fires after the stop
    assert await stage.runner.stop() is None  # nothing in progress
    again = await stage.runner.start("mini")
    assert again.id != run.id
    assert (await stage.runner.timeline())["run_id"] == again.id
