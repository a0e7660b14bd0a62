"""`liveroom ask` and `liveroom eval-faq` as a user runs them."""

import json
import shutil
import subprocess
import sys

from .conftest import DATA, ROOT, RULES


def liveroom(*args, stdin=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_ask_one_question_json():
    out = liveroom("ask", "--rules", str(RULES), "--json", "1号链接有优惠卷吗")
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["query"] == "1号链接有优惠卷吗" and row["faq_id"] == "coupon-get"
    assert row["answer"] and 0 <= row["score"] <= 1


def test_ask_batch_from_stdin_needs_only_products_and_faq(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("products.yaml", "faq.yaml"):
        shutil.copy(RULES / name, rules / name)
    questions = ["多久发货", "主播好美", "多少钱"] * 334
    out = liveroom(
        "ask", "--rules", str(rules), "--product", "PAN-01", "--json", "-", stdin="\n".join(questions) + "\n"
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1002
    assert [r["faq_id"] for r in rows[:3]] == ["ship-time", None, "pan-price"]
    assert rows[1]["answer"] is None
    assert "159" in rows[2]["answer"]


def test_ask_rules_default_from_environment(tmp_path):
    import os

    env = {**os.environ, "LIVEROOM_RULES": str(RULES)}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "包邮吗"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["faq_id"] == "free-shipping"


def test_ask_broken_rules_dir_points_at_file_and_line(tmp_path):
    shutil.copy(RULES / "products.yaml", tmp_path / "products.yaml")
    (tmp_path / "faq.yaml").write_text("- id: Bad_Id\n  q: [多久发货]\n  a: 48小时\n", encoding="utf-8")
    out = liveroom("ask", "--rules", str(tmp_path), "多久发货")
    assert out.returncode == 1
    assert "faq.yaml:1" in out.stderr


def test_ask_missing_rules_dir_and_unknown_product(tmp_path):
    out = liveroom("ask", "--rules", str(tmp_path / "nope"), "多久发货")
    assert out.returncode == 1 and "nope" in out.stderr
    out = liveroom("ask", "--rules", str(RULES), "--product", "NOPE", "多久发货")
    assert out.returncode == 1 and "NOPE" in out.stderr


def test_eval_faq_prints_overall_and_per_kind():
    out = liveroom("eval-faq", "--rules", str(RULES), "--queries", str(DATA / "faq_eval.tsv"), "--lang", "en")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].startswith("overall")
    assert any(line.startswith("traditional") for line in lines)
    assert any(line.startswith("nearmiss") for line in lines)


def test_eval_faq_malformed_tsv_names_the_line(tmp_path):
    bad = tmp_path / "q.tsv"
    bad.write_text(
        "query\texpected\tkind\n多久发货\tship-time\tparaphrase\n包邮吗\t\tparaphrase\n", encoding="utf-8"
    )
    out = liveroom("eval-faq", "--rules", str(RULES), "--queries", str(bad))
    assert out.returncode == 1 and "q.tsv:3" in out.stderr
    bad.write_text("question\tanswer\n多久发货\tship-time\n", encoding="utf-8")
    out = liveroom("eval-faq", "--rules", str(RULES), "--queries", str(bad))
    assert out.returncode == 1 and "q.tsv:1" in out.stderr
    bad.write_text("query\texpected\tkind\n多久发货\tno-such-id\tparaphrase\n", encoding="utf-8")
    out = liveroom("eval-faq", "--rules", str(RULES), "--queries", str(bad))
    assert out.returncode == 1 and "q.tsv:2" in out.stderr and "no-such-id" in out.stderr


def test_eval_faq_usage_error_is_exit_2():
    out = liveroom("eval-faq", "--rules", str(RULES))
    assert out.returncode == 2
