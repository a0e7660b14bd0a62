"""Keys and comparisons for everything liveroom signs: one key per purpose, compared in constant time.

`derive_key` gives each purpose its own key from a master secret (HKDF-SHA256, RFC 5869), so a key
that leaves the server for one job (the shop's webhook key) cannot sign anything else. `same` compares
a secret someone sent with the expected one whatever characters it holds (`hmac.compare_digest` on
two `str`s raises TypeError for non-ASCII: a 500 instead of a refusal).
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = ("sessions", "viewer-ids", "turn")


def derive_key(master: str, purpose: str) -> bytes:
    """The 32-byte key for `purpose` (one of `PURPOSES`) derived from `master`."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    if not master:
        raise ValueError("a master secret is required to derive keys")
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"liveroom", info=f"liveroom {purpose} v1".encode()
    )
    return hkdf.derive(master.encode())


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same(given: str | bytes | None, expected: str | bytes) -> bool:
    """Whether `given` equals `expected`, in constant time, for any text (False for None or empty)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))
