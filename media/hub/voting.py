"""Votes: open, cast (one ballot per viewer, changeable if allowed), live tallies, close with a winner."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from media.hub.clock import as_datetime
from media.hub.connections import Connection
from media.hub.core import HubCore, Room
from media.hub.events import HubError
from media.hub.protocol import VoteClosed, VoteOpened, VoteReply
from media.hub.state import BallotCast
from media.hub.votes import winner as pick_winner
from media.store.events import append_event
from media.store.models import Vote
from media.store.votes import cast_ballot, tally


class VoteOps(HubCore):
    async def open_vote(
        self,
        room_id: str,
        vote_id: str,
        question: str,
        options: list[str],
        duration_s: float,
        allow_change: bool = False,
        cue: str | None = None,
    ) -> VoteOpened:
        """Open a vote (one at a time: an open one is closed first)."""
        room = await self.room(room_id)
        if room.state.vote is not None:
            await self.close_vote(room_id, room.state.vote.offer.vote_id)
        offer = VoteOpened(
            vote_id=vote_id,
            question=question,
            options=list(options),
            closes_at=self.clock.time() + duration_s,
            allow_change=allow_change,
            tallies=[0] * len(options),
            cue=cue,
        )
        now = as_datetime(self.clock.time())
        data: dict[str, Any] = {
            "vote_id": vote_id,
            "question": question,
            "options": list(options),
            "closes_at": as_datetime(offer.closes_at).isoformat(),
            "allow_change": allow_change,
        }
        if cue is not None:
            data["cue"] = cue
        async with self.db.sessions() as s, s.begin():
            row = Vote(
                room_id=room_id,
                run_id=room.state.run_id,
                vote_key=vote_id,
                question=question,
                options=list(options),
                allow_change=allow_change,
                opened_at=now,
                closes_at=as_datetime(offer.closes_at),
                cue=cue,
            )
            s.add(row)
            await s.flush()
            event = await append_event(s, self.line(room, "vote_opened", data=data, ts=now.timestamp()))
        self.announce(event)
        await self.dispatch(room, offer)
        if room.state.vote is not None:
            room.state.vote.db_id = row.id
        return offer

    async def _vote_row_id(self, room: Room) -> int:
        vote = room.state.vote
        assert vote is not None
        if not vote.db_id:  # opened on another instance
            async with self.db.sessions() as s:
                found = await s.scalar(
                    select(Vote.id)
                    .where(
                        Vote.room_id == room.id, Vote.vote_key == vote.offer.vote_id, Vote.closed_at.is_(None)
                    )
                    .order_by(Vote.id.desc())
                    .limit(1)
                )
            vote.db_id = found or 0
        return vote.db_id

    async def cast(self, room: Room, conn: Connection, vote_id: str, option: int) -> VoteReply:
        vote = room.state.vote
        if vote is None or vote.offer.vote_id != vote_id:
            reply = VoteReply(vote_id=vote_id, option=option, ok=False, reason="unknown")
        elif self.clock.time() >= vote.offer.closes_at:
            reply = VoteReply(vote_id=vote_id, option=option, ok=False, reason="closed")
        elif not 0 <= option < len(vote.offer.options):
            reply = VoteReply(vote_id=vote_id, option=option, ok=False, reason="bad_option")
        elif not conn.identified:  # a new id per socket would be a ballot per socket
            self.limits.refused_without_token(room.id, "votes")
            reply = VoteReply(vote_id=vote_id, option=option, ok=False, reason="no_token")
        else:
            db_id = await self._vote_row_id(room)
            if not db_id:
                reply = VoteReply(vote_id=vote_id, option=option, ok=False, reason="closed")
            else:
                reply = await self._record_ballot(room, conn, db_id, vote_id, option, vote.offer.allow_change)
        conn.send(reply)
        return reply

    async def _record_ballot(
        self, room: Room, conn: Connection, db_id: int, vote_id: str, option: int, allow_change: bool
    ) -> VoteReply:
        now = self.clock.time()
        data = {"vote_id": vote_id, "option": option}
        async with self.db.sessions() as s, s.begin():
            recorded = await cast_ballot(
                s, db_id, conn.viewer_id, option, replace=allow_change, ts=as_datetime(now)
            )
            counted = recorded.created or allow_change
            if counted:
                event = await append_event(
                    s, self.line(room, "ballot", viewer_id=conn.viewer_id, data=data, ts=now)
                )
        if not counted:
            return VoteReply(vote_id=vote_id, option=option, ok=False, reason="already_voted")
        self.announce(event)
        await self.dispatch(
            room,
            BallotCast(vote_id=vote_id, viewer_id=conn.viewer_id, option=option),
            arrived=time.perf_counter(),
        )
        return VoteReply(vote_id=vote_id, option=option, ok=True)

    async def close_vote(self, room_id: str, vote_id: str, cue: str | None = None) -> VoteClosed:
        """Close the vote and name the winner (most ballots, earliest option on a tie).

        Closing twice, or on two instances at once, closes it once: the database decides.
        """
        room = await self.room(room_id)
        async with self.db.sessions() as s, s.begin():
            row = await s.scalar(
                select(Vote)
                .where(Vote.room_id == room_id, Vote.vote_key == vote_id)
                .order_by(Vote.id.desc())
                .limit(1)
            )
            if row is None:
                raise HubError("unknown_vote", vote_id)
            counts_by_option = await tally(s, row.id)
            counts = [counts_by_option.get(i, 0) for i in range(len(row.options))]
            best = pick_winner(counts)
            closed = await s.execute(
                update(Vote)
                .where(Vote.id == row.id, Vote.closed_at.is_(None))
                .values(closed_at=as_datetime(self.clock.time()), winner=best)
            )
            first_close = closed.rowcount == 1  # type: ignore[attr-defined]
            if not first_close:
                best = row.winner
            data: dict[str, Any] = {"vote_id": vote_id, "tallies": counts, "winner": best}
            if cue is not None:
                data["cue"] = cue
            if first_close:
                event = await append_event(s, self.line(room, "vote_closed", data=data))
        result = VoteClosed(
            vote_id=vote_id,
            tallies=counts,
            winner=best,
            winner_text=str(row.options[best]) if best is not None else None,
            cue=cue,
        )
        if first_close:
            self.announce(event)
            await self.dispatch(room, result)
        return result

    async def close_due_vote(self, room: Room) -> None:
        vote = room.state.vote
        if vote is None or vote.closing or self.clock.time() < vote.offer.closes_at:
            return
        vote.closing = True
        try:
            await self.close_vote(room.id, vote.offer.vote_id)
        finally:
            vote.closing = False
