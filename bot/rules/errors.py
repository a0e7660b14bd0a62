"""Rule-file problems: each one names the file, the line, the key and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "rules",
    {
        "rules.summary": {
            "zh-CN": "规则检查通过：{products} 个商品，{faq} 条 FAQ，{coupons} 张优惠券，"
            "{shows} 场直播，{segments} 个环节，{cues} 条提示",
            "en": "Rules OK: {products} products, {faq} FAQ entries, {coupons} coupons, "
            "{shows} shows, {segments} segments, {cues} cues",
        },
        "rules.failed": {
            "zh-CN": "发现 {count} 个问题",
            "en": "{count} problem(s) found",
        },
        "rules.yaml_syntax": {"zh-CN": "YAML 语法错误：{detail}", "en": "YAML syntax error: {detail}"},
        "rules.yaml_unclosed_quote": {
            "zh-CN": "YAML 语法错误：这一行开始的引号没有闭合（一直到第 {end} 行）",
            "en": "YAML syntax error: the quote opened on this line is never closed (read on to line {end})",
        },
        "rules.yaml_encoding": {
            "zh-CN": "文件不是 UTF-8 编码：{detail}",
            "en": "file is not UTF-8: {detail}",
        },
        "rules.file_missing": {"zh-CN": "缺少这个规则文件", "en": "this rule file is missing"},
        "rules.dir_missing": {"zh-CN": "规则目录不存在：{dir}", "en": "rules directory not found: {dir}"},
        "rules.missing": {"zh-CN": "缺少必填项“{key}”", "en": "missing required key '{key}'"},
        "rules.unknown_key": {"zh-CN": "未知的键“{key}”", "en": "unknown key '{key}'"},
        "rules.unknown_key_did_you_mean": {
            "zh-CN": "未知的键“{key}”，是不是想写“{name}”？",
            "en": "unknown key '{key}'; did you mean '{name}'?",
        },
        "rules.unknown_key_allowed": {
            "zh-CN": "未知的键“{key}”（可用的键：{names}）",
            "en": "unknown key '{key}' (allowed keys: {names})",
        },
        "rules.string_type": {"zh-CN": "应为文字", "en": "expected text"},
        "rules.string_too_short": {"zh-CN": "不能为空", "en": "must not be empty"},
        "rules.string_too_long": {
            "zh-CN": "太长（最多 {max_length} 个字符）",
            "en": "too long (at most {max_length} characters)",
        },
        "rules.int_type": {"zh-CN": "应为整数", "en": "expected a whole number"},
        "rules.int_parsing": {"zh-CN": "应为整数", "en": "expected a whole number"},
        "rules.int_from_float": {"zh-CN": "应为整数", "en": "expected a whole number"},
        "rules.float_type": {"zh-CN": "应为数字", "en": "expected a number"},
        "rules.float_parsing": {"zh-CN": "应为数字", "en": "expected a number"},
        "rules.finite_number": {
            "zh-CN": "应为有限的数字（不能是 .inf 或 .nan）",
            "en": "expected a finite number (not .inf or .nan)",
        },
        "rules.decimal_type": {"zh-CN": "应为数字", "en": "expected a number"},
        "rules.decimal_parsing": {"zh-CN": "应为数字", "en": "expected a number"},
        "rules.bool_type": {"zh-CN": "应为 true 或 false", "en": "expected true or false"},
        "rules.bool_parsing": {"zh-CN": "应为 true 或 false", "en": "expected true or false"},
        "rules.list_type": {"zh-CN": "应为列表（- 开头的多行）", "en": "expected a list"},
        "rules.dict_type": {"zh-CN": "应为键值映射", "en": "expected a mapping of keys"},
        "rules.model_type": {"zh-CN": "应为键值映射", "en": "expected a mapping of keys"},
        "rules.model_attributes_type": {"zh-CN": "应为键值映射", "en": "expected a mapping of keys"},
        "rules.too_short": {"zh-CN": "至少需要 {min_length} 项", "en": "needs at least {min_length} item(s)"},
        "rules.too_long": {"zh-CN": "最多 {max_length} 项", "en": "at most {max_length} item(s)"},
        "rules.greater_than": {"zh-CN": "应大于 {gt}", "en": "must be greater than {gt}"},
        "rules.greater_than_equal": {"zh-CN": "应不小于 {ge}", "en": "must be at least {ge}"},
        "rules.less_than": {"zh-CN": "应小于 {lt}", "en": "must be less than {lt}"},
        "rules.less_than_equal": {"zh-CN": "应不大于 {le}", "en": "must be at most {le}"},
        "rules.literal_error": {"zh-CN": "应为以下之一：{expected}", "en": "expected one of: {expected}"},
        "rules.enum": {"zh-CN": "应为以下之一：{expected}", "en": "expected one of: {expected}"},
        "rules.datetime_type": {
            "zh-CN": "应为日期时间，如 2026-11-28T20:00:00+08:00",
            "en": "expected a date-time such as 2026-11-28T20:00:00+08:00",
        },
        "rules.datetime_parsing": {
            "zh-CN": "应为日期时间，如 2026-11-28T20:00:00+08:00",
            "en": "expected a date-time such as 2026-11-28T20:00:00+08:00",
        },
        "rules.datetime_from_date_parsing": {
            "zh-CN": "应为日期时间，如 2026-11-28T20:00:00+08:00",
            "en": "expected a date-time such as 2026-11-28T20:00:00+08:00",
        },
        "rules.value_error": {"zh-CN": "取值无效：{detail}", "en": "invalid value: {detail}"},
        "rules.invalid": {"zh-CN": "取值无效：{detail}", "en": "invalid value: {detail}"},
    },
)


@dataclass
class RuleError(Exception):
    """One problem in one rule file."""

    file: str
    line: int
    key: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "zh-CN") -> str:
        return t(lang, f"rules.{self.code}", **self.params)

    def render(self, lang: str = "zh-CN") -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message(lang)}" if self.key else f"{where}: {self.message(lang)}"

    def __str__(self) -> str:
        return self.render("en")


class RuleErrors(Exception):
    """Every problem found in a rules directory (not just the first)."""

    def __init__(self, errors: Iterable[RuleError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.key))
        super().__init__(f"{len(self.errors)} rule problem(s)")

    def render(self, lang: str = "zh-CN") -> list[str]:
        return [e.render(lang) for e in self.errors]
