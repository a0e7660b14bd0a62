"""Durations and offsets as planners write them: 90, "90s", "5m", "1m30s", "05:00", "1:05:00"."""

from __future__ import annotations

import re

_UNITS = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|min|s|sec)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:h|m|min|s|sec)\s*)+$", re.IGNORECASE)
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})\s*$")
_FACTOR = {"h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "sec": 1.0}


def parse_duration(value: object) -> float:
    """Seconds from a planner's duration. Raises ValueError on anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r}")
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise ValueError(text)
        return int(hours or 0) * 3600.0 + int(minutes) * 60.0 + int(seconds)
    if _WHOLE.match(text):
        return sum(float(n) * _FACTOR[u.lower()] for n, u in _UNITS.findall(text))
    raise ValueError(text)


def format_duration(seconds: float) -> str:
    """Seconds as mm:ss (or h:mm:ss) for people."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
