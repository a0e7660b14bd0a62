"""Signed anonymous viewer ids: a random id plus an HMAC of it under the server's secret.

The token (`id.signature`) lives in a cookie or is passed as `?token=`; only the id part
is ever shown to others (event log, lottery proofs), so knowing an id does not let anyone
speak as that viewer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from media.i18n import EN, normalise_language
from media.signing import derive_key, same

VIEWER_COOKIE = "lr_viewer"
ID_BYTES = 12
_ADJECTIVES_ZH = ("快乐", "安静", "认真", "可爱", "勇敢", "聪明", "温柔", "阳光")
_ADJECTIVES_EN = ("Happy", "Quiet", "Keen", "Kind", "Brave", "Bright", "Gentle", "Sunny")


@dataclass(frozen=True)
class ViewerIdentity:
    viewer_id: str
    token: str


class ViewerIds:
    """Issue and check viewer tokens with their own key: `key` bytes (the viewer-ids key), or a
    master secret the key is derived from."""

    def __init__(self, key: bytes | str) -> None:
        if not key:
            raise ValueError("a signing key is required (LIVEROOM_SIGNING_KEY)")
        self._key = key if isinstance(key, bytes) else derive_key(key, "viewer-ids")

    def _sign(self, viewer_id: str) -> str:
        return hmac.new(self._key, viewer_id.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> ViewerIdentity:
        viewer_id = "v" + secrets.token_hex(ID_BYTES)
        return ViewerIdentity(viewer_id, f"{viewer_id}.{self._sign(viewer_id)}")

    def verify(self, token: str | None) -> str | None:
        """The viewer id a token carries, or None when it is missing, malformed or forged."""
        if not token or len(token) > 100:
            return None
        viewer_id, dot, signature = token.partition(".")
        if not dot or not viewer_id.startswith("v") or len(viewer_id) != 1 + 2 * ID_BYTES:
            return None
        if not same(signature, self._sign(viewer_id)):
            return None
        return viewer_id

    def ensure(self, token: str | None) -> ViewerIdentity:
        """The identity a valid token carries, or a fresh one."""
        viewer_id = self.verify(token)
        if viewer_id is not None and token is not None:
            return ViewerIdentity(viewer_id, token)
        return self.issue()


def default_nickname(viewer_id: str, language: str) -> str:
    """A stable, friendly name from the id: 快乐观众3f2a / Happy viewer 3f2a."""
    digest = hashlib.sha256(viewer_id.encode()).digest()
    tail = viewer_id[-4:]
    if normalise_language(language) == EN:
        return f"{_ADJECTIVES_EN[digest[0] % len(_ADJECTIVES_EN)]} viewer {tail}"
    return f"{_ADJECTIVES_ZH[digest[0] % len(_ADJECTIVES_ZH)]}观众{tail}"
