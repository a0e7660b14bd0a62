"""Self-contained printable pages (no external assets) for the planning and pre-show meetings."""

from __future__ import annotations

from html import escape

_CSS = """
*{box-sizing:border-box}body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0;padding:16px;color:#1f2328;background:#fff;line-height:1.5;max-width:960px;margin:auto}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;border-bottom:2px solid #ff4d4f;padding-bottom:4px;margin-top:1.4em}
h3{font-size:1em;margin:.8em 0 .3em}
table{border-collapse:collapse;width:100%;margin:.4em 0;font-size:.92em}th,td{border:1px solid #d0d7de;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f6f8fa}.muted{color:#656d76}.warn{background:#fff1f0;border-left:4px solid
#ff4d4f;padding:6px 10px;margin:6px 0}.ok{background:#f6ffed;border-left:4px solid #52c41a;padding:6px 10px;margin:6px 0}
.seg{border:1px solid #d0d7de;border-radius:8px;padding:8px 12px;margin:10px 0;page-break-inside:avoid}
.tag{display:inline-block;background:#fff0f6;color:#c41d7f;border-radius:4px;padding:0 6px;font-size:.85em;margin-right:4px}
.time{font-variant-numeric:tabular-nums;font-weight:600}
@media (max-width:600px){body{padding:10px}table{font-size:.85em}th,td{padding:3px 4px}}
@media print{body{max-width:none}h2{page-break-after:avoid}}
"""


def page(title: str, body: str, lang: str = "zh-CN") -> str:
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    )


def table(headers: list[str] | None, rows: list[list[str]]) -> str:
    """A table (without a header row when `headers` is None); cells are escaped here, so pass plain text."""
    head = (
        "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
    )
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"
