"""The server's secrets: signing key, publish token, team password — from the environment or generated.

A generated signing key is kept in the data folder so signed viewer ids survive restarts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.rules import Rulebook


@dataclass(frozen=True)
class Credentials:
    secret: str
    publish_token: str
    team_password: str
    publish_token_generated: bool
    team_password_generated: bool


def _stored(path: Path) -> str:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


def load_credentials(rulebook: Rulebook, data_dir: str | Path) -> Credentials:
    folder = Path(data_dir)
    secret = os.environ.get("LIVEROOM_SECRET") or _stored(folder / "secret")
    token = os.environ.get("LIVEROOM_PUBLISH_TOKEN")
    password = rulebook.room.team.password or os.environ.get("LIVEROOM_TEAM_PASSWORD")
    return Credentials(
        secret=secret,
        publish_token=token or _stored(folder / "publish-token"),
        team_password=password or _stored(folder / "team-password"),
        publish_token_generated=token is None,
        team_password_generated=password is None,
    )
