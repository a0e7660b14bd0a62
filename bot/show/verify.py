"""Check a recorded lottery draw: the published seed hash, the entrants and the winners, recomputed.

`check` is pure over a `DrawRecord`; `load_draw` reads one from the database. The draw is
recomputed with the room's own draw function (`media.hub.lottery.draw`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from media.hub.lottery import ALGORITHM, draw, seed_hash
from media.i18n import CATALOGUE, t
from media.store.db import Database
from media.store.models import Draw, EventRow, Lottery, LotteryEntry

CATALOGUE.add(
    "verify",
    {
        "verify.ok": {"zh-CN": "✔ 抽奖结果可复现", "en": "✔ the draw is reproducible"},
        "verify.summary": {
            "zh-CN": "抽奖 #{draw_id}（{lottery}，奖品「{prize}」）：{entered} 人参与，{eligible} 人符合条件，{winners} 人中奖",
            "en": "draw #{draw_id} ({lottery}, prize \u201c{prize}\u201d): {entered} entered, {eligible} eligible, {winners} won",
        },
        "verify.failed": {"zh-CN": "✘ 抽奖结果不一致：", "en": "✘ the draw does not check out:"},
        "verify.not_found": {"zh-CN": "✘ 没有编号为 {draw_id} 的抽奖", "en": "✘ no draw with id {draw_id}"},
        "verify.problem.algorithm": {
            "zh-CN": "算法“{got}”不是本系统的“{want}”",
            "en": "algorithm '{got}' is not this system's '{want}'",
        },
        "verify.problem.seed_hash": {
            "zh-CN": "种子的 sha256 是 {got}，开奖前公布的是 {want}",
            "en": "sha256 of the seed is {got}, the hash published at opening was {want}",
        },
        "verify.problem.seed": {
            "zh-CN": "开奖记录的种子与福袋保存的种子不同",
            "en": "the draw's seed differs from the lottery's stored seed",
        },
        "verify.problem.entrants_order": {
            "zh-CN": "参与者名单没有排序或有重复",
            "en": "the entrant list is not sorted or has duplicates",
        },
        "verify.problem.not_entered": {
            "zh-CN": "名单里有 {count} 人没有参与记录：{who}",
            "en": "{count} in the draw list never entered: {who}",
        },
        "verify.problem.winners": {
            "zh-CN": "按种子重新抽取得到 {want}，记录的中奖者是 {got}",
            "en": "redrawing from the seed gives {want}, the recorded winners are {got}",
        },
        "verify.problem.announced": {
            "zh-CN": "直播间公布的结果（事件 #{event}）与开奖记录不同",
            "en": "the result announced in the room (event #{event}) differs from the draw record",
        },
    },
)


@dataclass(frozen=True)
class DrawRecord:
    draw_id: int
    lottery: str
    prize: str
    winners_wanted: int
    lottery_seed: str
    published_hash: str
    seed: str
    algorithm: str
    entered: list[str]  # everyone with an entry row
    eligible: list[str]  # the sorted list the draw was made from
    winners: list[str]
    announced: dict[str, Any] | None  # the `lottery_drawn` event's data
    announced_event: int | None = None


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any]

    def render(self, lang: str) -> str:
        return t(lang, f"verify.problem.{self.code}", **self.params)


def check(record: DrawRecord) -> list[Problem]:
    """Everything that does not match; empty when the draw is reproducible."""
    problems: list[Problem] = []
    if record.algorithm != ALGORITHM:
        problems.append(Problem("algorithm", {"got": record.algorithm, "want": ALGORITHM}))
    if seed_hash(record.seed) != record.published_hash:
        problems.append(Problem("seed_hash", {"got": seed_hash(record.seed), "want": record.published_hash}))
    if record.seed != record.lottery_seed:
        problems.append(Problem("seed", {}))
    ordered = record.eligible == sorted(set(record.eligible))
    if not ordered:
        problems.append(Problem("entrants_order", {}))
    strangers = sorted(set(record.eligible) - set(record.entered))
    if strangers:
        problems.append(Problem("not_entered", {"count": len(strangers), "who": ", ".join(strangers[:5])}))
    if ordered:
        again = draw(record.seed, record.eligible, record.winners_wanted)
        if again != record.winners:
            problems.append(Problem("winners", {"want": again, "got": record.winners}))
    if record.announced is not None and (
        record.announced.get("seed") != record.seed
        or list(record.announced.get("winners", [])) != record.winners
    ):
        problems.append(Problem("announced", {"event": record.announced_event}))
    return problems


async def load_draw(db: Database, draw_id: int) -> DrawRecord | None:
    async with db.sessions() as s:
        drawn = await s.get(Draw, draw_id)
        if drawn is None:
            return None
        lottery = await s.get(Lottery, drawn.lottery_id)
        assert lottery is not None
        entered = sorted(
            (
                await s.scalars(select(LotteryEntry.viewer_id).where(LotteryEntry.lottery_id == lottery.id))
            ).all()
        )
        announced = None
        event_id = None
        for event in (
            await s.scalars(
                select(EventRow)
                .where(EventRow.room_id == lottery.room_id, EventRow.kind == "lottery_drawn")
                .order_by(EventRow.id)
            )
        ).all():
            if event.data.get("draw_id") == draw_id:
                announced, event_id = dict(event.data), event.id
                break
    return DrawRecord(
        draw_id=drawn.id,
        lottery=lottery.lottery_key,
        prize=lottery.prize,
        winners_wanted=lottery.winners,
        lottery_seed=lottery.seed,
        published_hash=lottery.seed_hash,
        seed=drawn.seed,
        algorithm=drawn.algorithm,
        entered=list(entered),
        eligible=list(drawn.entrants),
        winners=list(drawn.winners),
        announced=announced,
        announced_event=event_id,
    )
