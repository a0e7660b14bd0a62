"""docs/protocol.md matches the models, and every example in it is a valid message."""

from __future__ import annotations

import json
from pathlib import Path

from media.hub.protocol import OPERATOR_MODELS, OUT_MODELS, VIEWER_MODELS, parse_incoming
from media.hub.protocol_doc import EXAMPLES, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_every_message_has_an_example_that_validates() -> None:
    models = (*VIEWER_MODELS, *OPERATOR_MODELS, *OUT_MODELS)
    assert sorted(m.__name__ for m in models) == sorted(EXAMPLES)
    for model in (*VIEWER_MODELS, *OPERATOR_MODELS):
        assert type(parse_incoming(json.dumps(EXAMPLES[model.__name__]))) is model
    for model in OUT_MODELS:
        built = model.model_validate(EXAMPLES[model.__name__])
        assert built.type == EXAMPLES[model.__name__]["type"]  # type: ignore[attr-defined]


def test_docs_protocol_md_is_generated_from_the_models() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/protocol.md is stale: run `.venv/bin/python -m media.hub.protocol_doc > docs/protocol.md`"
    )
