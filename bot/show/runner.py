"""`ShowRunner`: one room's show, driven by the script on the show clock, exactly once.

APScheduler wakes the runner when the next firing is due (and sweeps every second for what
other processes changed); each wake asks `plan.decide` what is due and fires it. Before a
firing acts it is claimed in `cue_firings` (a second claimer, in this process or another,
loses and skips it); after, it is marked done with its `cue_fired` event. A restart adopts
the run in progress: what it missed by less than the grace period fires once, late; older
ones are recorded as missed with a `cue_missed` event.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.rules.models import Rulebook, ShowScript
from bot.rules.placeholders import fill_for_people
from bot.rules.reload import RulebookHolder
from bot.show import runs
from bot.show.chatpulse import ChatPulse
from bot.show.clock import MAX_SHIFT_STEP, ShowClock, clock_problem
from bot.show.cues import CueContext, CueProblem, RoomActions, perform, resolve_winner
from bot.show.plan import (
    END_KEY,
    Due,
    Firing,
    Plan,
    RepeatFacts,
    clamp_shift,
    decide,
    decide_repeat,
    firings,
    keys_of,
    show_product,
)
from bot.show.runs import RunRow
from bot.show.words import firing_text
from media.hub.clock import Clock, SystemClock, as_datetime
from media.hub.events import HubError
from media.store.db import Database

log = logging.getLogger(__name__)

STALE_PAUSE = 12 * 3600.0  # a run paused this long is not "in progress" any more


@dataclass(frozen=True)
class RunnerSettings:
    grace: float = 60.0  # real seconds: a firing missed by less fires late, older ones are missed
    late_after: float = 1.0  # real seconds past its time before a firing counts as late
    pace: float = 20.0  # show seconds a `repeat` keeps clear of another bot message
    sweep: float = 1.0  # real seconds between checks for changes made elsewhere
    stale_firing: float = 15.0  # real seconds after which an unfinished claim is taken as crashed
    close_margin: float = 1.0  # real seconds the room waits past the runner before closing on its own


class ShowError(Exception):
    """A team control that cannot be done; `code` names why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass
class ActiveRun:
    row: RunRow
    script: ShowScript
    firings: list[Firing]

    @property
    def clock(self) -> ShowClock:
        return ShowClock(self.row.started_at, self.row.speed, self.row.shift, self.row.paused_at)

    def firing(self, key: str) -> Firing | None:
        return next((f for f in self.firings if f.key == key), None)


async def wake(runner: ShowRunner) -> None:
    """APScheduler job: fire what is due."""
    try:
        await runner.run_due()
    except Exception:
        log.exception("show runner: run_due failed")


async def sweep(runner: ShowRunner) -> None:
    """APScheduler job, every second: adopt a run another process started, fire what is due."""
    try:
        await runner.sweep()
    except Exception:
        log.exception("show runner: sweep failed")


async def auto_start(runner: ShowRunner, show_id: str) -> None:
    """APScheduler job: a show's `starts_at` has come."""
    try:
        await runner.auto_start(show_id)
    except Exception:
        log.exception("show runner: automatic start of %s failed", show_id)


class ShowRunner:
    def __init__(
        self,
        actions: RoomActions,
        db: Database,
        holder: RulebookHolder,
        *,
        clock: Clock | None = None,
        settings: RunnerSettings | None = None,
        instance: str | None = None,
        drive: bool = True,
    ) -> None:
        """`drive=False` leaves waking to the caller (`run_due`), for tests on an injected clock."""
        self.actions = actions
        self.db = db
        self.holder = holder
        self.room_id = holder.current.room.id
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or RunnerSettings()
        self.instance = instance or f"runner-{secrets.token_hex(4)}"
        self.scheduler = AsyncIOScheduler(timezone=UTC) if drive else None
        self.pulse = ChatPulse(self.room_id)
        self.active: ActiveRun | None = None
        self._records: dict[str, runs.Record] = {}
        self._not_before: dict[str, float] = {}
        self._winners: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._unsubscribe: Any = None
        self.next_at: float | None = None  # real time the next firing is due

    # ---- lifecycle --------------------------------------------------------------

    @property
    def rulebook(self) -> Rulebook:
        return self.holder.current

    async def open(self) -> None:
        """Listen to the room, start the scheduler, adopt the run in progress, plan automatic starts."""
        for ts, data in await runs.recent_chat(self.db, self.room_id):
            self.pulse.feed(ts, data)
        self._unsubscribe = self.actions.subscribe(self.pulse.on_event)
        self.holder.on_reload.append(self.reload)
        if self.scheduler is not None:
            self.scheduler.start()
            self.scheduler.add_job(
                sweep,
                "interval",
                seconds=self.settings.sweep,
                args=[self],
                id=self._job("sweep"),
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )
        row = await self._in_progress()
        if row is not None and not self._is_over(row):
            await self._adopt(row)
        self._plan_auto_starts()

    async def _in_progress(self) -> RunRow | None:
        """The room's run in progress; one stored with a clock that cannot run is ended (and logged)."""
        row = await runs.in_progress(self.db, self.room_id)
        if row is None:
            return None
        problem = runs.unusable(row)
        if problem is None:
            return row
        log.error(
            "show %s: run %d has %s (speed %r, shift %r); ended it instead of running it",
            row.show_id,
            row.id,
            problem,
            row.speed,
            row.shift,
        )
        self.actions.announce(*await runs.end_unusable(self.db, row, now=self.clock.time()))
        return None

    async def close(self) -> None:
        if self.reload in self.holder.on_reload:
            self.holder.on_reload.remove(self.reload)
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        async with self._lock:  # let a firing under way finish
            pass

    def _job(self, name: str) -> str:
        return f"show:{self.room_id}:{name}"

    def _grace(self, speed: float) -> float:
        return self.settings.grace * speed

    def _is_over(self, row: RunRow) -> bool:
        script = self.rulebook.shows.get(row.show_id)
        if script is None or runs.unusable(row) is not None:
            return True
        now = self.clock.time()
        if row.paused_at is not None and now - row.paused_at > STALE_PAUSE:
            return True
        clock = ShowClock(row.started_at, row.speed, row.shift, row.paused_at)
        return clock.offset(now) > script.length + self._grace(row.speed)

    # ---- starting ---------------------------------------------------------------

    async def start(self, show_id: str, *, speed: float = 1.0, started_at: float | None = None) -> RunRow:
        """Start `show_id` now (or resume its run in progress); the room runs one show at a time."""
        if show_id not in self.rulebook.shows:
            raise ShowError("unknown_show", show_id)
        problem = clock_problem(speed)
        if problem is not None:
            raise ShowError(problem, repr(speed))
        try:
            row, created, events = await runs.open_run(
                self.db,
                self.room_id,
                show_id,
                speed=speed,
                started_at=started_at if started_at is not None else self.clock.time(),
                is_over=self._is_over,
            )
        except runs.RunConflict as exc:
            raise ShowError("another_show_running", exc.show_id) from None
        self.actions.announce(*events)
        log.info(
            "show %s: %s run %d (speed %g)", show_id, "started" if created else "resumed", row.id, row.speed
        )
        await self._adopt(row)
        return row

    async def auto_start(self, show_id: str) -> None:
        script = self.rulebook.shows.get(show_id)
        if script is None:
            return
        starts = script.starts_at.timestamp()
        last = await runs.last_run_of(self.db, self.room_id, show_id)
        if last is not None and last.started_at >= starts - 3600:
            return  # already run (or running) for this date
        await self.start(show_id, started_at=starts)

    def _plan_auto_starts(self) -> None:
        if self.scheduler is None:
            return
        now = self.clock.time()
        for show_id, script in self.rulebook.shows.items():
            starts = script.starts_at.timestamp()
            if starts < now - self.settings.grace:
                continue
            self.scheduler.add_job(
                auto_start,
                "date",
                run_date=datetime.fromtimestamp(starts, UTC),
                args=[self, show_id],
                id=self._job(f"autostart:{show_id}"),
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )

    async def _adopt(self, row: RunRow) -> None:
        script = self.rulebook.shows.get(row.show_id)
        if script is None:
            log.error("show %s of run %d is not in the rulebook; not running it", row.show_id, row.id)
            return
        async with self._lock:
            if self.active is None or self.active.row.id != row.id:
                self._not_before.clear()
                self._winners.clear()
            self.active = ActiveRun(row, script, firings(script))
        await self.actions.set_run(self.room_id, row.id)
        await self.run_due()

    # ---- the heart: fire what is due ------------------------------------------------

    async def sweep(self) -> None:
        if self.active is None:
            row = await self._in_progress()
            if row is not None and not self._is_over(row):
                await self._adopt(row)
                return
        await self.run_due()

    async def run_due(self) -> None:
        async with self._lock:
            plan = await self._run_due_locked()
        self._schedule_next(plan)

    async def _run_due_locked(self) -> Plan | None:
        active = self.active
        if active is None:
            return None
        row = await runs.load_run(self.db, active.row.id)
        if row is None:
            self.active = None
            return None
        active.row = row
        if row.status != "running":
            return None
        plan: Plan | None = None
        for _ in range(10_000):
            self._records = await runs.records(self.db, row.id)
            if self._records.get(END_KEY, None) is not None and self._records[END_KEY].state == "done":
                await self._ended(active)
                return None
            speed = active.row.speed
            plan = decide(
                active.firings,
                {k: r.state for k, r in self._records.items()},
                active.clock.offset(self.clock.time()),
                grace=self._grace(speed),
                late_after=self.settings.late_after * speed,
                not_before=self._not_before,
            )
            if not (plan.due or plan.missed or plan.skip):
                break
            for f in plan.skip:
                await self._record(
                    f, "skipped", {"reason": "window_closed" if f.action == "repeat" else "parent_not_fired"}
                )
            for due in plan.missed:
                await self._record(due.firing, "missed", {"overdue": round(due.overdue, 3)})
            for due in plan.due:
                await self._fire(due)
        await self._recover_stale(active)
        return plan

    async def _fire(self, due: Due, *, by: str | None = None) -> None:
        active = self.active
        assert active is not None
        f = due.firing
        if f.action == "repeat" and by is None and not await self._repeat_should_post(active, f):
            return
        now = self.clock.time()
        detail: dict[str, Any] = {"instance": self.instance}
        if by is not None:
            detail["by"] = by
        claimed = await runs.claim(
            self.db,
            active.row.id,
            f.key,
            scheduled_at=active.clock.real_time(f.offset),
            now=now,
            late=due.late,
            detail=detail,
        )
        if claimed:
            await self._act(active, f, due.late, detail)

    async def _act(self, active: ActiveRun, f: Firing, late: bool, detail: dict[str, Any]) -> None:
        run_id = active.row.id
        ctx = CueContext(
            actions=self.actions,
            db=self.db,
            room_id=self.room_id,
            run_id=run_id,
            rulebook=self.rulebook,
            script=active.script,
            clock=active.clock,
            now=self.clock.time(),
            winner=self._winner,
            close_margin=self.settings.close_margin,
        )
        try:
            done = await perform(ctx, f) if f.action != "end" else {}
        except (HubError, CueProblem) as exc:
            reason = exc.code if isinstance(exc, HubError) else str(exc)
            log.warning("cue %s could not act: %s", f.key, reason)
            self.actions.announce(
                *await runs.finish(
                    self.db,
                    self.room_id,
                    run_id,
                    f.key,
                    "missed",
                    now=self.clock.time(),
                    late=late,
                    detail={**detail, "error": reason},
                    events=[("cue_missed", {**self._about(active, f), "reason": reason})],
                )
            )
            return
        except Exception:
            # Left as `firing`: after `stale_firing` seconds it is checked against the log and redone if needed.
            log.exception("cue %s failed", f.key)
            return
        if f.action == "end":
            events = [
                ("show_ended", {"show_id": active.row.show_id, "run_id": run_id, "speed": active.row.speed})
            ]
        elif f.action == "segment":
            seg = active.script.segments[f.segment_index]
            events = [
                (
                    "segment_started",
                    {
                        "segment_id": seg.id,
                        "kind": seg.kind,
                        "product": done.get("product"),
                        **self._when(active, f, late),
                    },
                )
            ]
        else:
            events = [("cue_fired", {**self._about(active, f), "late": late})]
        self.actions.announce(
            *await runs.finish(
                self.db,
                self.room_id,
                run_id,
                f.key,
                "done",
                now=self.clock.time(),
                late=late,
                detail={**detail, **done},
                events=events,
            )
        )
        if f.action == "end":
            await self._ended(active)

    def _when(self, active: ActiveRun, f: Firing, late: bool) -> dict[str, Any]:
        return {
            "scheduled_at": as_datetime(active.clock.real_time(f.offset)).isoformat(),
            "offset": f.offset,
            "late": late,
        }

    def _about(self, active: ActiveRun, f: Firing) -> dict[str, Any]:
        return {
            "cue_id": f.cue_id,
            "kind": f.kind,
            "action": f.action,
            "firing": f.key,
            "scheduled_at": as_datetime(active.clock.real_time(f.offset)).isoformat(),
            "offset": f.offset,
        }

    async def _record(self, f: Firing, state: str, detail: dict[str, Any]) -> bool:
        active = self.active
        assert active is not None
        events = [("cue_missed", self._about(active, f))] if state == "missed" else []
        written = await runs.record_outcome(
            self.db,
            self.room_id,
            active.row.id,
            f.key,
            state,
            scheduled_at=active.clock.real_time(f.offset),
            now=self.clock.time(),
            detail=detail,
            events=events,
        )
        if written is None:
            return False
        self.actions.announce(*written)
        return True

    async def _ended(self, active: ActiveRun) -> None:
        if active.row.status != "ended":
            await runs.update_run(
                self.db, active.row.id, status="ended", ended_at=as_datetime(self.clock.time())
            )
        await self.actions.set_run(self.room_id, None)
        self.active = None
        log.info("show %s: run %d ended", active.row.show_id, active.row.id)

    async def _winner(self, vote_id: str) -> str | None:
        if vote_id in self._winners:
            return self._winners[vote_id]
        active = self.active
        if active is None:
            return None
        sku = await resolve_winner(self.db, active.row.id, active.script, vote_id)
        if sku is not None:
            self._winners[vote_id] = sku
        return sku

    async def _repeat_should_post(self, active: ActiveRun, f: Firing) -> bool:
        """Decide a `repeat` slot; records it skipped (or puts it off) when it should not post now."""
        assert f.scheduled is not None and f.scheduled.cue.repeat is not None
        spec = f.scheduled.cue.repeat
        clock, now = active.clock, self.clock.time()
        last = self.pulse.last_post.get(f.cue_id)
        since = (
            last
            if last is not None and last >= active.row.started_at
            else clock.real_time(f.offset - spec.every)
        )
        bot_at = self.pulse.last_bot_at
        facts = RepeatFacts(
            chat_lines=self.pulse.lines_since(since),
            last_line_is_own=self.pulse.last_line_is(f.cue_id),
            since_bot_message=(now - bot_at) * clock.speed if bot_at is not None else None,
        )
        verdict = decide_repeat(spec, facts, self.settings.pace)
        if verdict == "post":
            return True
        if verdict == "paced" and facts.since_bot_message is not None:
            later = clock.offset(now) + (self.settings.pace - facts.since_bot_message)
            if later < min(f.until or later + 1, f.offset + spec.every):
                self._not_before[f.key] = later
                return False
        await self._record(f, "skipped", {"reason": verdict, "chat_lines": facts.chat_lines})
        return False

    async def _recover_stale(self, active: ActiveRun) -> None:
        """Firings claimed by a process that died before finishing: done if the room shows it, else redo."""
        now = self.clock.time()
        for key, rec in self._records.items():
            if (
                rec.state != "firing"
                or rec.fired_at is None
                or now - rec.fired_at < self.settings.stale_firing
            ):
                continue
            f = active.firing(key)
            if f is None:
                continue
            if await runs.effect_seen(self.db, self.room_id, f.cue_id, rec.fired_at):
                events = [("cue_fired", {**self._about(active, f), "late": rec.late, "recovered": True})]
                self.actions.announce(
                    *await runs.finish(
                        self.db,
                        self.room_id,
                        active.row.id,
                        key,
                        "done",
                        now=now,
                        late=rec.late,
                        detail={**rec.detail, "recovered": True},
                        events=events,
                    )
                )
            elif await runs.take_over(self.db, active.row.id, key, claimed_at=rec.fired_at, now=now):
                overdue = active.clock.offset(now) - f.offset
                if overdue > self._grace(active.row.speed) and f.action != "end":
                    self.actions.announce(
                        *await runs.finish(
                            self.db,
                            self.room_id,
                            active.row.id,
                            key,
                            "missed",
                            now=now,
                            late=True,
                            detail={**rec.detail, "recovered": True},
                            events=[("cue_missed", self._about(active, f))],
                        )
                    )
                else:
                    await self._act(
                        active, f, True, {**rec.detail, "recovered": True, "instance": self.instance}
                    )

    def _schedule_next(self, plan: Plan | None) -> None:
        """Remember when the next firing is due and have the scheduler wake us then."""
        active = self.active
        self.next_at = None
        if (
            plan is not None
            and active is not None
            and active.row.status == "running"
            and plan.next is not None
        ):
            nxt = plan.next
            self.next_at = active.clock.real_time(max(nxt.offset, self._not_before.get(nxt.key, nxt.offset)))
        if self.scheduler is None or not self.scheduler.running:
            return
        job_id = self._job("next")
        if self.next_at is None:
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
            return
        self.scheduler.add_job(
            wake,
            "date",
            run_date=datetime.fromtimestamp(self.next_at, UTC),
            args=[self],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,  # always run; the plan decides late or missed from the database
            coalesce=True,
            max_instances=8,
        )

    # ---- rule edits while running -------------------------------------------------------

    async def reload(self, book: Rulebook) -> None:
        """New rules apply to what has not fired; a cue added where the show already was is skipped."""
        async with self._lock:
            active = self.active
            script = book.shows.get(active.row.show_id) if active is not None else None
            if active is not None and script is not None:
                old = {f.key for f in active.firings}
                new = firings(script)
                now = active.clock.offset(self.clock.time())
                active.script, active.firings = script, new
                late_after = self.settings.late_after * active.row.speed
                for f in new:
                    if f.key not in old and f.offset < now - late_after:
                        await self._record(f, "skipped", {"reason": "added_after_its_time"})
        self._plan_auto_starts()
        await self.run_due()

    # ---- team controls ---------------------------------------------------------------

    def _require(self, *statuses: str) -> ActiveRun:
        active = self.active
        if active is None:
            raise ShowError("no_show")
        if active.row.status not in statuses:
            raise ShowError(f"show_{active.row.status}")
        return active

    async def stop(self, reason: str = "stopped") -> int | None:
        """End the run in progress now, before its script is over (下播 early, the demo's Ctrl-C); the
        cues not fired yet stay unfired. Returns the run ended, None when no run was in progress."""
        async with self._lock:
            active = self.active
            row = active.row if active is not None else await runs.in_progress(self.db, self.room_id)
            if row is None:
                return None
            events = await runs.end_run(self.db, self.room_id, row, now=self.clock.time(), reason=reason)
            self.actions.announce(*events)
            await self.actions.set_run(self.room_id, None)
            self.active = None
        self._schedule_next(None)
        log.info("show %s: run %d stopped (%s)", row.show_id, row.id, reason)
        return row.id

    async def pause(self) -> None:
        async with self._lock:
            active = self._require("running")
            await runs.update_run(
                self.db, active.row.id, status="paused", paused_at=as_datetime(self.clock.time())
            )
        await self.run_due()

    async def resume(self) -> None:
        async with self._lock:
            active = self._require("paused")
            clock = active.clock.resume(self.clock.time())
            await runs.update_run(
                self.db, active.row.id, status="running", paused_at=None, shift_seconds=clock.shift
            )
        await self.run_due()

    async def shift(self, seconds: float) -> float:
        """Move the rest of the show later (+) or earlier (−) by `seconds` of show time; returns the shift made."""
        async with self._lock:
            active = self._require("running", "paused")
            recorded = await runs.records(self.db, active.row.id)
            now = active.clock.offset(self.clock.time())
            pending = [f.offset for f in active.firings if f.key not in recorded]
            if clock_problem(active.row.speed, seconds) is not None or abs(seconds) > MAX_SHIFT_STEP:
                raise ShowError("bad_shift", repr(seconds))
            made = clamp_shift(seconds, min(pending) if pending else None, now)
            if clock_problem(active.row.speed, active.clock.shift + made) is not None:
                raise ShowError("bad_shift", repr(seconds))
            await runs.update_run(self.db, active.row.id, shift_seconds=active.clock.shift + made)
        await self.run_due()
        return made

    async def skip(self, cue_or_key: str) -> list[str]:
        """Skip a cue (with its close/draw/repeat posts) or one firing; returns the firings skipped."""
        async with self._lock:
            active = self._require("running", "paused")
            keys = keys_of(active.firings, cue_or_key)
            if not keys:
                raise ShowError("unknown_cue", cue_or_key)
            skipped = []
            for key in keys:
                f = active.firing(key)
                if f is not None and f.action != "end" and await self._record(f, "skipped", {"by": "team"}):
                    skipped.append(key)
        await self.run_due()
        return skipped

    async def fire_now(self, cue_or_key: str | None = None) -> str:
        """Fire the next pending firing (or the named one) now; returns its key."""
        async with self._lock:
            active = self._require("running", "paused")
            recorded = await runs.records(self.db, active.row.id)
            pending = [f for f in active.firings if f.key not in recorded and f.action != "end"]
            if cue_or_key is not None:
                wanted = set(keys_of(active.firings, cue_or_key))
                if not wanted:
                    raise ShowError("unknown_cue", cue_or_key)
                pending = [f for f in pending if f.key in wanted]
            if not pending:
                raise ShowError("nothing_to_fire", cue_or_key or "")
            target = pending[0]
            await self._fire(Due(target, late=False, overdue=0.0), by="team")
        await self.run_due()
        return target.key

    # ---- what the studio shows ---------------------------------------------------------------

    async def timeline(self) -> dict[str, Any]:
        active = self.active
        row = active.row if active is not None else await runs.in_progress(self.db, self.room_id)
        if row is None:
            last = await runs.last_run_id(self.db, self.room_id)
            row = await runs.load_run(self.db, last) if last is not None else None
        if row is None:
            return {
                "room": self.room_id,
                "run_id": None,
                "status": "idle",
                "shows": sorted(self.rulebook.shows),
            }
        script = self.rulebook.shows.get(row.show_id)
        about = {
            "room": self.room_id,
            "run_id": row.id,
            "show_id": row.show_id,
            "title": script.title if script else row.show_id,
            "status": row.status,
            "started_at": as_datetime(row.started_at).isoformat(),
        }
        problem = runs.unusable(row)
        if problem is not None:  # a run whose clock could not run (ended at start-up): no times to show
            return {**about, "problem": problem, "next": None, "cues": []}
        all_firings = firings(script) if script is not None else []
        recorded = await runs.records(self.db, row.id)
        clock = ShowClock(row.started_at, row.speed, row.shift, row.paused_at)
        now = clock.offset(self.clock.time())
        run_id = row.id

        decided: dict[str, str | None] = {}  # one look per vote for the whole timeline

        async def winner(vote_id: str) -> str | None:
            if vote_id not in decided:
                if self.active is not None and self.active.row.id == run_id:
                    decided[vote_id] = await self._winner(vote_id)
                elif script is not None:
                    decided[vote_id] = await resolve_winner(self.db, run_id, script, vote_id)
                else:
                    decided[vote_id] = None
            return decided[vote_id]

        items = []
        next_item: dict[str, Any] | None = None
        for f in all_firings:
            rec = recorded.get(f.key)
            state = (
                "pending"
                if rec is None
                else ("late" if rec.late else "fired")
                if rec.state == "done"
                else rec.state
            )
            item = {
                "key": f.key,
                "cue_id": f.cue_id,
                "action": f.action,
                "kind": f.kind,
                "segment": script.segments[f.segment_index].id if script and f.segment_index >= 0 else None,
                "offset": f.offset,
                "scheduled_at": as_datetime(clock.real_time(f.offset)).isoformat(),
                "state": state,
                "fired_at": as_datetime(rec.fired_at).isoformat() if rec and rec.fired_at else None,
                "detail": rec.detail if rec else {},
                "text": await firing_text(f, self.rulebook, script, winner) if script is not None else f.key,
            }
            items.append(item)
            if state == "pending" and next_item is None and row.status in ("running", "paused"):
                next_item = item
        return {
            **about,
            "speed": row.speed,
            "shift": row.shift,
            "now_offset": round(now, 3),
            "length": script.length if script else None,
            "next": next_item,
            "cues": items,
            "segments": await self._segments(script, winner) if script is not None else [],
        }

    async def _segments(self, script: ShowScript, winner: Any) -> list[dict[str, Any]]:
        """Each segment with its product and its talking points filled, for the host's teleprompter."""
        lang = self.rulebook.room.language
        out = []
        for start, segment in zip(script.segment_starts(), script.segments, strict=True):
            ref = segment.product
            winner_of = None if ref is None or isinstance(ref, str) else ref.winner_of
            sku = ref if isinstance(ref, str) else await winner(winner_of) if winner_of else None
            product = show_product(self.rulebook, script, sku)
            out.append(
                {
                    "id": segment.id,
                    "kind": segment.kind,
                    "title": segment.title,
                    "start": start,
                    "duration": segment.duration,
                    "product": sku,
                    "live_price": product.selling_price if product else None,
                    "talking_points": [
                        fill_for_people(p, product, self.rulebook, lang, winner_of)
                        for p in segment.talking_points
                    ],
                }
            )
        return out
