"""Issue 19 row 20: links in operator messages (a pushed coupon's link) are http(s) only; anything else
is refused on the socket and never reaches a viewer's page."""

from __future__ import annotations

import json

import pytest

from media.hub.protocol import CouponSpec, ProtocolError, parse_incoming

from .harness import MakeRoomApp

BAD = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/c",
    "https://",
    "https:///path",
    "https://@evil",
    "ftp://shop.example/c",
    "https://shop.example/c\njavascript:x",
]
GOOD = [
    "https://shop.example.com/c50",
    "http://127.0.0.1:8080/go/demo/tea-01",
    "HTTPS://Shop.example/a?b=c#d",
]


@pytest.mark.parametrize("link", BAD)
def test_a_coupon_link_that_is_not_http_is_refused(link: str) -> None:
    with pytest.raises(ValueError):
        CouponSpec.model_validate({"id": "c1", "title": "券", "link": link})


@pytest.mark.parametrize("link", GOOD)
def test_http_links_are_taken(link: str) -> None:
    assert CouponSpec.model_validate({"id": "c1", "title": "券", "link": link}).link == link


async def test_push_coupon_with_a_javascript_link_reaches_no_viewer(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    viewer, team = await app.viewer(), await app.team()
    bad = {"id": "c1", "title": "满199减50", "link": "javascript:alert(document.cookie)", "discount": "¥50"}
    with pytest.raises(ProtocolError):
        parse_incoming(json.dumps({"type": "push_coupon", "coupon": bad}))
    await team.send({"type": "push_coupon", "coupon": bad})
    error = await team.wait_for(lambda m: m["type"] == "error")
    assert error["code"] == "invalid"
    good = {**bad, "id": "c2", "link": "https://shop.example.com/c50"}
    await team.send({"type": "push_coupon", "coupon": good})
    coupon = await viewer.wait_for(lambda m: m["type"] == "coupon")
    assert coupon["coupon_id"] == "c2"
    assert not any("javascript" in str(m) for m in viewer.received)
