"""Load a rules directory into one `Rulebook`, or raise `RuleErrors` listing every problem."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from bot.rules.crosscheck import (
    Checker,
    check_autonomy,
    check_bot_texts,
    check_catalogue,
    check_contingency,
    check_room,
    check_show,
)
from bot.rules.errors import RuleError, RuleErrors
from bot.rules.models import (
    ID_RE,
    AlertsFile,
    ContingencyPlan,
    Coupon,
    FaqEntry,
    Product,
    RoomFile,
    Rulebook,
    ShowScript,
)
from bot.rules.source import SourceFile, parse_yaml, read_yaml
from bot.rules.validate import validate

T = TypeVar("T")

RULE_FILES = ("room.yaml", "products.yaml", "faq.yaml", "coupons.yaml", "alerts.yaml", "contingency.yaml")


def default_rules_dir() -> str:
    """Where a command finds the rules when it is not told: `$LIVEROOM_RULES`, else `./rules`."""
    return os.environ.get("LIVEROOM_RULES") or "rules"


def _shown(directory: Path, name: str) -> str:
    return str(directory / name)


class _Unread(list[str]):
    """The ids of a file that exists but could not be read: every reference to it is taken as good,
    so one syntax error is reported once, not again at every sku or coupon the other files name."""

    def __contains__(self, value: object) -> bool:
        return True


class _Loader:
    def __init__(self, directory: Path, replaced: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.replaced = dict(replaced or {})
        self.errors: list[RuleError] = []
        self.sources: dict[str, SourceFile] = {}
        self.unreadable: set[str] = set()

    def read(self, name: str, *, required: bool) -> SourceFile | None:
        path = self.directory / name
        shown = _shown(self.directory, name)
        text = self.replaced.get(name)
        if text is None and not path.exists():
            if required:
                self.errors.append(RuleError(shown, 1, "", "file_missing", {"file": shown}))
            return None
        try:
            source = read_yaml(path, shown) if text is None else parse_yaml(text, shown)
        except RuleError as exc:
            self.errors.append(exc)
            self.unreadable.add(name)
            return None
        self.sources[name] = source
        return source

    def ids(self, name: str, key: str) -> list[str]:
        """The ids written in a list file (`_Unread` when the file could not be read)."""
        if name in self.unreadable:
            return _Unread()
        return _raw_ids(self.sources.get(name), key)

    def parse(self, source: SourceFile | None, root: Any, empty: Any) -> Any:
        if source is None:
            return empty
        if source.data is None:
            source.data = empty if not isinstance(empty, tuple) else []
        value, problems = validate(source, root)
        self.errors.extend(problems)
        return value

    def parse_list(self, source: SourceFile | None, item: type[T]) -> tuple[T, ...]:
        """A list file; when some items are broken the good ones still go on to the cross-checks."""
        if source is None:
            return ()
        value = self.parse(source, list[item], [])  # type: ignore[valid-type]
        if value is not None:
            return tuple(value)
        if not isinstance(source.data, list):
            return ()
        good: list[T] = []
        for raw in source.data:
            try:
                good.append(TypeAdapter(item).validate_python(raw))
            except ValidationError:
                continue
        return tuple(good)


def _raw_ids(source: SourceFile | None, key: str) -> list[str]:
    """Ids written in a list file, broken items included, so one broken item doesn't cascade."""
    if source is None or not isinstance(source.data, list):
        return []
    return [item[key] for item in source.data if isinstance(item, dict) and isinstance(item.get(key), str)]


def load_faq_rules(
    directory: str | Path,
) -> tuple[tuple[Product, ...], tuple[FaqEntry, ...], RoomFile | None]:
    """What `liveroom ask` needs: products and FAQ (and room.yaml's synonyms when present)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise RuleErrors([RuleError(str(folder), 1, "", "dir_missing", {"dir": str(folder)})])
    loader = _Loader(folder)
    products_src = loader.read("products.yaml", required=True)
    faq_src = loader.read("faq.yaml", required=True)
    room_src = loader.read("room.yaml", required=False)
    products = loader.parse_list(products_src, Product)
    faq = loader.parse_list(faq_src, FaqEntry)
    room = loader.parse(room_src, RoomFile, None) if room_src is not None else None
    checker = Checker()
    check_catalogue(
        checker, products, products_src, faq, faq_src, (), None, loader.ids("products.yaml", "sku")
    )
    errors = loader.errors + checker.errors
    if errors:
        raise RuleErrors(errors)
    return products, faq, room


def load_rulebook(directory: str | Path, replaced: Mapping[str, str] | None = None) -> Rulebook:
    """Read, validate and cross-check every rule file in `directory`; `replaced` gives the text to
    read instead of a file's (an edit checked before it is written), by name (`faq.yaml`)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise RuleErrors([RuleError(str(folder), 1, "", "dir_missing", {"dir": str(folder)})])
    loader = _Loader(folder, replaced)
    room_src = loader.read("room.yaml", required=True)
    products_src = loader.read("products.yaml", required=False)
    faq_src = loader.read("faq.yaml", required=False)
    coupons_src = loader.read("coupons.yaml", required=False)
    alerts_src = loader.read("alerts.yaml", required=False)
    contingency_src = loader.read("contingency.yaml", required=False)

    room = loader.parse(room_src, RoomFile, None)
    products = loader.parse_list(products_src, Product)
    faq = loader.parse_list(faq_src, FaqEntry)
    coupons = loader.parse_list(coupons_src, Coupon)
    alerts = loader.parse(alerts_src, AlertsFile, {}) if alerts_src is not None else AlertsFile()

    contingency = loader.parse_list(contingency_src, ContingencyPlan)

    checker = Checker()
    if room is not None and room_src is not None:
        check_room(checker, room, room_src)
        if "faq.yaml" not in loader.unreadable:
            check_autonomy(checker, room, room_src, faq)
    skus, coupon_ids = loader.ids("products.yaml", "sku"), loader.ids("coupons.yaml", "id")
    if contingency_src is not None:
        check_contingency(checker, contingency_src, contingency, skus, coupon_ids)
    check_catalogue(checker, products, products_src, faq, faq_src, coupons, coupons_src, skus)

    shows: dict[str, ShowScript] = {}
    show_sources: dict[str, tuple[SourceFile, ShowScript]] = {}
    shows_dir = folder / "shows"
    if shows_dir.is_dir():
        for path in sorted([*shows_dir.glob("*.yaml"), *shows_dir.glob("*.yml")]):
            name = f"shows/{path.name}"
            source = loader.read(name, required=True)
            if source is None:
                continue
            if not ID_RE.match(path.stem):
                loader.errors.append(
                    RuleError(source.name, 1, "", "check.show_file_name", {"value": path.stem})
                )
                continue
            show = loader.parse(source, ShowScript, {})
            if show is None:
                continue
            check_show(checker, source, show, skus, coupon_ids)
            shows[path.stem] = show
            show_sources[path.stem] = (source, show)
    if room is not None:
        check_bot_texts(
            checker, room, faq_src if "faq.yaml" not in loader.unreadable else None, faq, show_sources
        )

    errors = loader.errors + checker.errors
    if errors or room is None or alerts is None:
        raise RuleErrors(errors)
    return Rulebook(
        directory=str(folder),
        room=room,
        products=products,
        faq=faq,
        coupons=coupons,
        shows=shows,
        alerts=alerts,
        contingency=contingency,
    )


def rule_files(directory: str | Path) -> list[Path]:
    """Every file whose change should reload the rulebook."""
    folder = Path(directory)
    found = [folder / name for name in RULE_FILES]
    shows = folder / "shows"
    if shows.is_dir():
        found.extend(sorted([*shows.glob("*.yaml"), *shows.glob("*.yml")]))
    return found
