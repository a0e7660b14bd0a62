"""`liveroom report --html` on a simulated show opens in headless Chromium with every chart drawn;
a screenshot is saved to test-output/ for review."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.review.charts import CHARTS

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"

pytestmark = pytest.mark.browser


@pytest.fixture
def report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    rules = ["--rules", str(ROOT / "rules")]
    assert main(["simulate", "demo", "--viewers", "300", "--seed", "3", "--speed", "60", *rules]) == 0
    html = tmp_path / "report.html"
    assert main(["report", "demo", "--html", str(html), *rules]) == 0
    return html


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
)
async def test_report_page_draws_every_chart(report_html: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            await page.goto(report_html.as_uri())
            charts = await page.evaluate(
                """() => [...document.querySelectorAll('figure.chart')].map(f => {
                    const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
                    return {name: f.dataset.chart, width: box ? box.width : 0, height: box ? box.height : 0,
                            shapes: svg ? svg.querySelectorAll('path, rect, use').length : 0,
                            text: svg ? svg.textContent : ''};
                })"""
            )
            tables = await page.evaluate("[...document.querySelectorAll('table')].map(t => t.dataset.table)")
            body = await page.inner_text("body")
            OUTPUT.mkdir(exist_ok=True)
            await page.screenshot(path=str(OUTPUT / "report-demo-simulated.png"), full_page=True)
        finally:
            await browser.close()

    assert [c["name"] for c in charts] == list(CHARTS)
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart["name"]
        assert chart["shapes"] > 10, chart["name"]
    by_name = {c["name"]: c for c in charts}
    assert "在线人数" in by_name["concurrency"]["text"] and "卖点讲解" in by_name["concurrency"]["text"]
    assert "PAN-01" in by_name["funnel"]["text"]
    assert "转人工" in by_name["bot"]["text"]
    assert {"show", "segments", "products"} <= set(tables)
    assert "复盘报告：山野好物 · 冬季囤货节（周六场）" in body
    assert requests == [report_html.as_uri()]  # self-contained: nothing else was fetched
    assert (OUTPUT / "report-demo-simulated.png").stat().st_size > 50_000
