"""The server's secrets, each with one job — from the environment or generated into the data folder.

- `secret` (`LIVEROOM_SECRET`, else `var/secret`): the order webhook's HMAC key, the one secret shared
  with the shop. It signs nothing else.
- `signing_key` (`LIVEROOM_SIGNING_KEY`, else `var/signing-key`): never leaves the server; the keys of
  studio and host sessions and of viewer ids are derived from it (`media.signing.derive_key`).
- `publish_token` (`LIVEROOM_PUBLISH_TOKEN`, else `var/publish-token`), `team_password` (room.yaml
  `team.password`, `LIVEROOM_TEAM_PASSWORD`, else `var/team-password`).

Generated files are created readable by their owner only (0600 from the first byte), and kept so signed
viewer ids and sessions survive restarts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.rules import Rulebook

SECRET_FILES = {
    "secret": "secret",
    "signing_key": "signing-key",
    "publish_token": "publish-token",
    "team_password": "team-password",
}


@dataclass(frozen=True)
class Credentials:
    secret: str
    publish_token: str
    team_password: str
    publish_token_generated: bool
    team_password_generated: bool
    signing_key: str = ""
    folder: Path = Path("var")


def private_file(path: Path) -> int:
    """Create (or truncate) `path` as a file only its owner may read and write, from its creation on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file made with other bits: tightened before anything is written
    return fd


def _stored(path: Path) -> str:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return value
    value = secrets.token_urlsafe(24)
    fd = private_file(path)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return value


def load_credentials(rulebook: Rulebook, data_dir: str | Path) -> Credentials:
    folder = Path(data_dir)
    secret = os.environ.get("LIVEROOM_SECRET") or _stored(folder / SECRET_FILES["secret"])
    signing_key = os.environ.get("LIVEROOM_SIGNING_KEY") or _stored(folder / SECRET_FILES["signing_key"])
    token = os.environ.get("LIVEROOM_PUBLISH_TOKEN")
    password = rulebook.room.team.password or os.environ.get("LIVEROOM_TEAM_PASSWORD")
    return Credentials(
        secret=secret,
        publish_token=token or _stored(folder / SECRET_FILES["publish_token"]),
        team_password=password or _stored(folder / SECRET_FILES["team_password"]),
        publish_token_generated=token is None,
        team_password_generated=password is None,
        signing_key=signing_key,
        folder=folder,
    )
