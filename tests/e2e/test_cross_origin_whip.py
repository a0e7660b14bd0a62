"""A WHIP client on another origin trickles its ICE candidates (PATCH) instead of waiting for gathering.

The page does what @eyevinn/whip-web-client 1.1.7 does (read from its dist): an OPTIONS request with the
token, PATCH support read from `Access-Control-Allow-Methods` (only visible cross-origin when exposed),
the offer POSTed at once, then one PATCH per candidate carrying the session's ETag in an `ETag` header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import until
from test_media_browser import CHROMIUM, FLAGS

from media.app import create_app
from media.config import RoomSettings, ServerSettings
from media.rooms import RoomDirectory
from media.rtc.routes import setup_media

TOKEN = "cross-origin-token"


pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]

CLIENT = """
async function publish(endpoint, token) {
  const auth = { Authorization: 'Bearer ' + token };
  const options = await fetch(endpoint, { method: 'OPTIONS', headers: auth });
  const methods = options.headers.get('access-control-allow-methods') || '';
  const trickle = methods.split(',').map(m => m.trim()).includes('PATCH');
  const pc = new RTCPeerConnection();
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  stream.getTracks().forEach(t => pc.addTransceiver(t, { direction: 'sendonly' }));
  const early = [];
  let resource = null, etag = null, patched = 0;
  async function send(candidate) {
    const mid = candidate.sdpMid;
    const frag = 'a=ice-ufrag:' + ufrag + '\\r\\na=ice-pwd:' + pwd + '\\r\\nm=audio 9 RTP/AVP 0\\r\\na=mid:' + mid +
      '\\r\\na=' + candidate.candidate + '\\r\\n';
    const r = await fetch(resource, { method: 'PATCH', body: frag,
      headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag', ETag: etag } });
    if (r.status === 204) patched++;
  }
  pc.onicecandidate = e => { if (e.candidate && e.candidate.candidate) (resource ? send(e.candidate) : early.push(e.candidate)); };
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription.sdp;
  var ufrag = sdp.match(/a=ice-ufrag:(\\S+)/)[1], pwd = sdp.match(/a=ice-pwd:(\\S+)/)[1];
  const answer = await fetch(endpoint, { method: 'POST', body: sdp,
    headers: { ...auth, 'Content-Type': 'application/sdp' } });
  resource = new URL(answer.headers.get('Location'), endpoint).toString();
  etag = answer.headers.get('ETag');
  await pc.setRemoteDescription({ type: 'answer', sdp: await answer.text() });
  for (const c of early) await send(c);
  window.result = () => ({ trickle, etag, resource, patched, state: pc.connectionState });
}
"""


async def test_a_cross_origin_whip_client_learns_it_may_trickle_and_does(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    events: list[str] = []

    async def on_event(room: str, kind: str, data: dict[str, Any]) -> None:
        events.append(kind)

    rooms = RoomDirectory([RoomSettings(id="demo", title="demo", publish_token=TOKEN)])
    app = create_app(ServerSettings(data_dir=str(tmp_path)), rooms)
    media = setup_media(app, rooms, on_event=on_event)
    media_server = TestServer(app, host="127.0.0.1")
    await media_server.start_server()
    base = str(media_server.make_url("")).rstrip("/")
    trickled: list[str] = []
    original = media.trickle

    async def spy(role: str, room_id: str, session_id: str, body: str) -> None:
        trickled.append(body)
        await original(role, room_id, session_id, body)

    media.trickle = spy  # type: ignore[method-assign]

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=f"<!doctype html><title>client</title><script>{CLIENT}</script>", content_type="text/html"
        )

    other = web.Application()
    other.router.add_get("/", page)
    client_origin = TestServer(other, host="127.0.0.1")  # another port: another origin
    await client_origin.start_server()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                client: Any = await (await browser.new_context()).new_page()
                await client.goto(str(client_origin.make_url("/")))
                await client.evaluate(f"publish({base + '/whip/demo'!r}, {TOKEN!r})")
                result = await client.evaluate("window.result()")
                assert result["trickle"] is True  # Access-Control-Allow-Methods was readable cross-origin
                assert result["etag"] and result["resource"].startswith(base + "/whip/demo/")
                await until(lambda: len(trickled) >= 1, within=10)  # the server saw PATCH requests
                assert all("a=candidate:" in body for body in trickled)
                await client.wait_for_function("() => window.result().patched >= 1", timeout=10000)
                await until(lambda: media.is_live("demo") and "stream_started" in events, within=20)
            finally:
                await browser.close()
    finally:
        await client_origin.close()
        await media_server.close()
