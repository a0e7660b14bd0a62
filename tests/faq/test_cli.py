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


def test_eval_faq_leave_one_shop_out_leaves_sealed_shops_out(tmp_path):
    """Three shops (two copied under other names), one of them sealed: by default the sealed
    one is neither scored nor fitted on; each shop is scored by a model fitted on the others."""
    shops = tmp_path / "shops"
    for source, name in (("en-home", "a-home"), ("en-outdoor", "b-outdoor"), ("en-home", "c-sealed")):
        shutil.copytree(DATA / "shops" / source, shops / name)
    (shops / "c-sealed" / "SEALED").write_text("never looked at\n")
    cache = tmp_path / "cache"
    out = liveroom("eval-faq", "--shops", str(shops), "--json", "--cache", str(cache), "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "[1/2] indexing and scoring the questions of a-home" in out.stderr
    report = json.loads(out.stdout)
    assert [s["shop"] for s in report["shops"]] == ["a-home", "b-outdoor"]
    by_name = {s["shop"]: s for s in report["shops"]}
    assert by_name["a-home"]["calibration"]["fitted_on"] == ["b-outdoor"]
    assert by_name["b-outdoor"]["calibration"]["fitted_on"] == ["a-home"]
    overall = report["overall"]
    assert overall["rows"] == sum(s["rows"] for s in report["shops"])
    for key in ("accuracy", "wrong_rate", "abstain_recall", "answer_or_proposal"):
        assert 0 <= overall[key] <= 1
    assert overall["answer_or_proposal"] >= overall["accuracy"]
    assert report["overall_sealed"] is None
    assert list(cache.glob("embeddings-*.npz"))

    out = liveroom("eval-faq", "--shops", str(shops), "--sealed", "include", "--cache", str(cache))
    assert out.returncode == 0, out.stderr
    assert "c-sealed" in out.stdout and "封存店铺" in out.stdout
    sealed_line = next(line for line in out.stdout.splitlines() if line.startswith("c-sealed"))
    assert "%" in sealed_line
    out = liveroom("eval-faq", "--shops", str(shops), "--sealed", "only", "--json", "--cache", str(cache))
    report = json.loads(out.stdout)
    assert [s["shop"] for s in report["shops"]] == ["c-sealed"]
    assert report["shops"][0]["calibration"]["fitted_on"] == ["a-home", "b-outdoor"]


def test_eval_faq_needs_queries_or_shops(tmp_path):
    out = liveroom("eval-faq", "--rules", str(RULES))
    assert out.returncode == 2 and "--shops" in out.stderr
    out = liveroom("eval-faq", "--shops", str(tmp_path))
    assert out.returncode == 1 and "no shop folders" in out.stderr
