"""Issue 19 row 18: one YAML syntax error in products.yaml during a show. The team's alert leads with it
(the file that changed, at the line where the unclosed quote opens), and the files that name its skus are
not blamed for it.
"""

from __future__ import annotations

from pathlib import Path

from conftest import ServeRoom, until

from bot.app import ALERTS, HOLDER

# Twenty more FAQ entries about the products, so a products.yaml that cannot be read used to blame
# faq.yaml twenty times over (and the alert showed ten of those and hid the cause).
MORE_FAQ = "".join(
    f"\n- id: pan-extra-{i}\n  product: PAN-01\n  q: [炒锅问题{i}]\n  a: 回答{i}\n" for i in range(20)
)


async def test_a_broken_products_file_leads_the_reload_alert_at_its_line(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room(append={"faq.yaml": MORE_FAQ})
    holder = served.app[HOLDER]
    products = Path(served.book.directory) / "products.yaml"
    lines = products.read_text(encoding="utf-8").splitlines()
    assert lines[9] == "  name: 红茶礼盒"
    lines[9] = '  name: "红茶礼盒'  # line 10: a quote that is never closed
    products.write_text("\n".join([*lines, "", "# 以后的商品", *[f"# {i}" for i in range(30)]]) + "\n")

    await until(lambda: bool(holder.errors), within=10)
    rendered = [e.render("zh-CN") for e in holder.errors]
    assert rendered == [f"{products}:10: YAML 语法错误：这一行开始的引号没有闭合（一直到第 45 行）"], rendered

    outbox = served.app[ALERTS].outbox

    async def alert() -> list[str]:
        found = [a["text"] for a in await outbox.recent(served.room) if a["kind"] == "rules_reload_failed"]
        return found[0].splitlines() if found else []

    await until(lambda: _nonempty(alert), within=10)
    heading, first, *rest = await alert()
    assert first.startswith(f"{products}:10: "), (heading, first, rest)
    assert rest == []  # the cause, and no side effects in faq.yaml

    # A sku that breaks its file's format also breaks every file that names the product: the changed
    # file's error still comes first (faq.yaml sorts before products.yaml, and used to lead).
    products.write_text(
        "\n".join(lines).replace('"红茶礼盒', "红茶礼盒").replace("sku: PAN-01", "sku: PAN 01") + "\n"
    )
    await until(lambda: holder.errors[0].code != "yaml_unclosed_quote", within=10)
    first_error, *others = holder.errors
    assert (first_error.line, first_error.code) == (1, "model.sku_format"), first_error
    assert len(others) > 20 and all(e.file != str(products) for e in others)  # the side effects, after it


async def _nonempty(check) -> bool:  # type: ignore[no-untyped-def]
    return bool(await check())
