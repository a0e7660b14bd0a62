"""Every broken rule set in tests/rules_bad/ is reported as exactly one `file:line: key: …` line.

Each case folder holds the files that differ from `_base/` (a valid rules set) and
an `EXPECT` file, `file:line<TAB>key`, naming the file, line and key the problem must be reported at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

CASES_DIR = Path(__file__).parent.parent / "rules_bad"
BASE = CASES_DIR / "_base"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _assemble(case: str, into: Path) -> Path:
    target = into / "rules"
    shutil.copytree(BASE, target)
    for path in (CASES_DIR / case).rglob("*"):
        if path.is_file() and path.name != "EXPECT":
            dest = target / path.relative_to(CASES_DIR / case)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    return target


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_base_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BASE)]) == 0
    assert "规则检查通过" in capsys.readouterr().out


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_broken_rule_set_is_reported_at_file_line_and_key(
    case: str, lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = _assemble(case, tmp_path)
    expected = (CASES_DIR / case / "EXPECT").read_text(encoding="utf-8").strip("\n")
    file_line, _, key = expected.partition("\t")

    code = main(["check", str(rules), "--lang", lang])

    out = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert len(out) == 1, "expected one problem, got:\n" + "\n".join(out)
    prefix = f"{rules}/{file_line}: "
    assert out[0].startswith(prefix), out[0]
    rest = out[0][len(prefix) :]
    if key:
        assert rest.startswith(f"{key}: "), out[0]
        message = rest[len(key) + 2 :]
    else:
        message = rest
    assert message.strip(), out[0]
    if lang == "zh-CN":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), out[0]
    else:
        assert message.isascii() or "'" in message, out[0]
