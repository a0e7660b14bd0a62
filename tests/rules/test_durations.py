from __future__ import annotations

import pytest

from bot.rules.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        ("90", 90.0),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("2h15m", 8100.0),
        ("05:00", 300.0),
        ("1:05:00", 3900.0),
        ("2.5m", 150.0),
    ],
)
def test_planner_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "ten", "1:75", -3, True, None, "5m 3"])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(330) == "05:30"
    assert format_duration(3900) == "1:05:00"
