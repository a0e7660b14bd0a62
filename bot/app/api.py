"""The bot's HTTP API, every route in one place; each team route goes through media's one `ApiGuard`.

- `GET /api/rulebook` — the rulebook in force and its reload errors (public: what the studio shows).
- `GET /api/show/{room}` — the run of show: run, status, now, every firing with its state, next (team).
- `GET /api/show/{room}/next` — the next cue and the segments with their talking points, for the host's
  teleprompter (host or team).
- `POST /api/show/{room}/{start|pause|resume|skip|fire|shift}` — JSON `{show, speed}`, `{cue}` or `{seconds}` (team).
- `GET /api/faq/{room}` — `{"paused": bool}`, the FAQ bot's switch as it stands (team).
- `POST /api/faq/{room}/{pause|resume}` — the FAQ bot's switch (team).
- `GET /api/faq/{room}/entries` — the FAQ in force: every entry's id, product, questions, answer, tags (team).
- `POST /api/faq/{room}/learn` — add a viewer's wording to an FAQ entry, or a new entry, in faq.yaml (team).
- `GET /api/alerts/{room}` — the alert outbox and its delivery state (team).

Team means the studio's session cookie (POSTs also its CSRF token in `X-CSRF-Token`) or
`Authorization: Bearer <team password>`. Errors are `{"error": code, "message": text}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, ValidationError, model_validator

from bot.alerts.service import AlertService
from bot.faq.learn import FaqTeacher, LearnRefused, NewAnswer
from bot.faq.room import FaqBot
from bot.rules.reload import RulebookHolder
from bot.show.clock import MAX_SHIFT_STEP, MAX_SPEED, MIN_SPEED
from bot.show.runner import ShowError, ShowRunner
from media.config import RoomSettings
from media.hub import HubError
from media.hub.protocol import Key, Message, first_problem
from media.i18n import CATALOGUE, t
from media.web.api import ApiGuard, api_error, refuse

CATALOGUE.add(
    "show.error",
    {
        "show.error.unknown_show": {"zh-CN": "没有这场直播：{detail}", "en": "no such show: {detail}"},
        "show.error.bad_speed": {
            "zh-CN": "速度应在 {min} 到 {max} 之间：{detail}",
            "en": "speed must be between {min} and {max}: {detail}",
        },
        "show.error.bad_shift": {
            "zh-CN": "调整的时间超出范围：{detail}",
            "en": "shift out of range: {detail}",
        },
        "show.error.another_show_running": {
            "zh-CN": "另一场直播（{detail}）正在进行，先结束它",
            "en": "another show ({detail}) is running; end it first",
        },
        "show.error.no_show": {"zh-CN": "现在没有正在进行的直播", "en": "no show is running"},
        "show.error.show_paused": {"zh-CN": "直播已暂停", "en": "the show is paused"},
        "show.error.show_running": {
            "zh-CN": "直播正在进行，没有暂停",
            "en": "the show is running, not paused",
        },
        "show.error.show_ended": {"zh-CN": "这场直播已结束", "en": "the show has ended"},
        "show.error.unknown_cue": {"zh-CN": "没有这个提示：{detail}", "en": "no such cue: {detail}"},
        "show.error.nothing_to_fire": {
            "zh-CN": "没有待执行的提示 {detail}",
            "en": "nothing left to fire {detail}",
        },
        "show.error.bad_request": {"zh-CN": "请求格式不对：{detail}", "en": "bad request: {detail}"},
        "show.error.no_alerts": {"zh-CN": "告警没有运行", "en": "alerts are not running"},
    },
)


# The bodies of the show controls: every number finite and bounded, nothing else accepted.
Speed = Annotated[float, Field(ge=MIN_SPEED, le=MAX_SPEED, allow_inf_nan=False)]
ShiftSeconds = Annotated[float, Field(ge=-MAX_SHIFT_STEP, le=MAX_SHIFT_STEP, allow_inf_nan=False)]


class StartShow(Message):
    show: Key
    speed: Speed = 1.0


class NamedCue(Message):
    cue: Key


class FireCue(Message):
    cue: Key | None = None


class NoBody(Message):
    pass


class ShiftShow(Message):
    seconds: ShiftSeconds


Question = Annotated[str, Field(min_length=1, max_length=500)]
Answer = Annotated[str, Field(min_length=1, max_length=2000)]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class NewFaqEntry(Message):
    id: Key | None = None
    answer: Answer
    tags: Annotated[tuple[Tag, ...], Field(max_length=10)] = ()
    product: Key | None = None


class LearnFaq(Message):
    """Exactly one of `message_id` (a viewer's chat line) and `question`; exactly one of `faq_id`
    (add the wording to that entry) and `new` (a new entry answering it)."""

    message_id: Annotated[int, Field(ge=1, le=2**53)] | None = None
    question: Question | None = None
    faq_id: Key | None = None
    new: NewFaqEntry | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> LearnFaq:
        if (self.message_id is None) == (self.question is None):
            raise ValueError("give either message_id or question")
        if (self.faq_id is None) == (self.new is None):
            raise ValueError("give either faq_id or new")
        return self


LEARN_STATUS = {"unknown_faq": 404, "unknown_message": 404, "duplicate_id": 409}


BODIES: dict[str, type[Message]] = {
    "start": StartShow,
    "pause": NoBody,
    "resume": NoBody,
    "skip": NamedCue,
    "fire": FireCue,
    "shift": ShiftShow,
}
BAD_INPUT = frozenset({"bad_speed", "bad_shift"})  # refused as 400, not as a conflict


@dataclass(frozen=True)
class BotApi:
    """The handlers over the parts they serve; `register` puts on the app the routes of the parts
    it was given (tests build apps with some parts only)."""

    guard: ApiGuard
    holder: RulebookHolder | None = None
    runner: ShowRunner | None = None
    faq_bot: FaqBot | None = None
    alerts: AlertService | None = None
    teacher: FaqTeacher | None = None

    def register(self, app: web.Application) -> None:
        r, guard = app.router, self.guard
        if self.holder is not None:
            r.add_get("/api/rulebook", self.rulebook_status)
        if self.runner is not None:
            r.add_get("/api/show/{room}", guard.team_only(self.timeline))
            r.add_get("/api/show/{room}/next", guard.staff_only(self.next_cue))
            r.add_post(
                "/api/show/{room}/{action:start|pause|resume|skip|fire|shift}", guard.team_only(self.control)
            )
        if self.faq_bot is not None:
            r.add_get("/api/faq/{room}", guard.team_only(self.faq_state))
            r.add_post("/api/faq/{room}/{action:pause|resume}", guard.team_only(self.faq_switch))
            if self.teacher is not None:
                r.add_get("/api/faq/{room}/entries", guard.team_only(self.faq_entries))
                r.add_post("/api/faq/{room}/learn", guard.team_only(self.faq_learn))
        if self.alerts is not None:
            r.add_get("/api/alerts/{room}", guard.team_only(self.list_alerts), name="alerts")

    async def rulebook_status(self, request: web.Request) -> web.Response:
        holder = self.holder
        assert holder is not None
        book = holder.current
        return web.json_response(
            {
                "generation": holder.generation,
                "loaded_at": holder.loaded_at,
                "room": {"id": book.room.id, "title": book.room.title, "language": book.room.language},
                "counts": book.summary_counts(),
                "shows": sorted(book.shows),
                "errors": [e.render(book.room.language) for e in holder.errors],
            }
        )

    # -- the show

    def _own_room(self, settings: RoomSettings, room_id: str) -> None:
        if room_id != settings.id:  # the bot serves the rulebook's one room
            raise refuse(settings.language, 404, "unknown_room")

    @property
    def _runner(self) -> ShowRunner:
        assert self.runner is not None
        return self.runner

    async def timeline(self, request: web.Request, settings: RoomSettings) -> web.Response:
        self._own_room(settings, self._runner.room_id)
        return web.json_response(await self._runner.timeline())

    async def next_cue(self, request: web.Request, settings: RoomSettings) -> web.Response:
        self._own_room(settings, self._runner.room_id)
        timeline = await self._runner.timeline()
        keys = ("status", "title", "now_offset", "next", "segments", "speed")
        return web.json_response({k: timeline.get(k) for k in keys})

    async def control(self, request: web.Request, settings: RoomSettings) -> web.Response:
        runner = self._runner
        self._own_room(settings, runner.room_id)
        action = request.match_info["action"]
        try:
            raw = await request.read()
            body = BODIES[action].model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise _show_error(settings, 400, "bad_request", first_problem(exc)) from None
        try:
            result = await _act(runner, action, body)
        except ShowError as exc:
            status = 400 if exc.code in BAD_INPUT else 409
            raise _show_error(settings, status, exc.code, exc.detail) from None
        return web.json_response({"ok": True, **result, "show": await runner.timeline()})

    # -- the FAQ bot and the alerts

    async def faq_state(self, request: web.Request, settings: RoomSettings) -> web.Response:
        faq_bot = self.faq_bot
        assert faq_bot is not None
        self._own_room(settings, faq_bot.room_id)
        return web.json_response({"paused": faq_bot.paused})

    async def faq_switch(self, request: web.Request, settings: RoomSettings) -> web.Response:
        faq_bot = self.faq_bot
        assert faq_bot is not None
        self._own_room(settings, faq_bot.room_id)
        if request.match_info["action"] == "pause":
            faq_bot.pause()
        else:
            faq_bot.resume()
        return web.json_response({"ok": True, "paused": faq_bot.paused})

    async def faq_entries(self, request: web.Request, settings: RoomSettings) -> web.Response:
        """What the studio offers when the team adds a wording to an entry (加入FAQ)."""
        faq_bot, teacher = self.faq_bot, self.teacher
        assert faq_bot is not None and teacher is not None
        self._own_room(settings, faq_bot.room_id)
        book = teacher.holder.current
        entries = [
            {
                "id": e.id,
                "product": e.product,
                "q": e.q[: e.written],
                "learned": list(dict.fromkeys(e.learned)),
                "a": e.a,
                "tags": e.tags,
            }
            for e in book.faq
        ]
        return web.json_response(
            {"file": str(teacher.path), "generation": teacher.holder.generation, "entries": entries}
        )

    async def faq_learn(self, request: web.Request, settings: RoomSettings) -> web.Response:
        """`{message_id | question, faq_id | new}` → `{faq_id, created, added, file, generation}`."""
        faq_bot, teacher = self.faq_bot, self.teacher
        assert faq_bot is not None and teacher is not None
        self._own_room(settings, faq_bot.room_id)
        lang = settings.language
        try:
            body = LearnFaq.model_validate_json(await request.read() or b"{}")
        except ValidationError as exc:
            detail = first_problem(exc)
            raise api_error(400, "bad_request", t(lang, "api.error.bad_request", detail=detail)) from None
        question = body.question
        if body.message_id is not None:
            try:
                question = (await faq_bot.hub.question_of(settings.id, body.message_id)).text
            except HubError as exc:
                raise _learn_error(lang, "unknown_message", exc.detail) from None
        assert question is not None
        new = body.new
        try:
            learned = await teacher.learn(
                question,
                faq_id=body.faq_id,
                new=NewAnswer(new.answer, new.id, tuple(new.tags), new.product) if new is not None else None,
            )
        except LearnRefused as exc:
            detail = exc.detail
            if exc.errors:
                more = len(exc.errors) - 1
                detail = exc.errors[0].render(lang) + (f" (+{more})" if more else "")
            raise _learn_error(lang, exc.code, detail) from None
        return web.json_response(
            {
                "faq_id": learned.faq_id,
                "created": learned.created,
                "added": learned.added,
                "question": question,
                "file": learned.file,
                "generation": learned.generation,
            }
        )

    async def list_alerts(self, request: web.Request, settings: RoomSettings) -> web.Response:
        alerts = self.alerts
        assert alerts is not None
        self._own_room(settings, alerts.room_id)
        recent = await alerts.outbox.recent(settings.id)
        return web.json_response({"room": settings.id, **alerts.health()["alerts"], "alerts": recent})


async def _act(runner: ShowRunner, action: str, body: Message) -> dict[str, Any]:
    if action == "pause":
        await runner.pause()
        return {}
    if action == "resume":
        await runner.resume()
        return {}
    match body:
        case StartShow(show=show, speed=speed):
            return {"run_id": (await runner.start(show, speed=speed)).id}
        case NamedCue(cue=cue):
            return {"skipped": await runner.skip(cue)}
        case FireCue(cue=cue):
            return {"fired": await runner.fire_now(cue)}
        case ShiftShow(seconds=seconds):
            return {"shifted": await runner.shift(seconds)}
    raise AssertionError(f"no show control for {action}")


def _learn_error(lang: str, code: str, detail: str) -> web.HTTPException:
    return api_error(LEARN_STATUS.get(code, 409), code, t(lang, f"faq.learn.error.{code}", detail=detail))


def _show_error(settings: RoomSettings, status: int, code: str, detail: str = "") -> web.HTTPException:
    text = t(
        settings.language, f"show.error.{code}", detail=detail, min=f"{MIN_SPEED:g}", max=f"{MAX_SPEED:g}"
    )
    return api_error(status, code, text)
