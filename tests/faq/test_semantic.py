"""The semantic channel: the built-in model loads with no network; an OpenAI-compatible
embeddings endpoint (mocked at HTTP level with respx) replaces it, and any failure of the
endpoint falls back to the built-in model."""

import json
import subprocess
import sys

import httpx
import httpx2
import numpy as np
import pytest
import respx

from bot.faq.answerer import FaqAnswerer
from bot.faq.semantic import BUILTIN_NAME, BuiltinEmbedder, EmbedSettings, OpenAIEmbedder

from .conftest import ROOT

BASE = "http://embed.test/v1"

NO_NETWORK = """
import socket
def refuse(*args, **kwargs):
    raise OSError("network use during the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from bot.faq.semantic import BuiltinEmbedder
from bot.faq.answerer import FaqAnswerer
from bot.rules import load_faq_rules
v = BuiltinEmbedder().encode(["包邮吗", "is shipping free"])
products, faq, room = load_faq_rules("rules")
a = FaqAnswerer.build(products, faq, room).answer("包邮不")
print(v.shape[1], round(float(v[0] @ v[1]), 3), a.best_faq_id, a.decision.verdict)
"""


def test_builtin_model_loads_and_answers_with_no_network():
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    dim, cosine, faq_id, verdict = out.stdout.split()
    assert dim == "512" and float(cosine) > 0.3
    assert faq_id == "free-shipping" and verdict == "answered"


def test_builtin_embeddings_are_normalised_and_multilingual():
    v = BuiltinEmbedder().encode(["多久发货", "when do you ship", "主播好漂亮"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]


class SyncBridge(httpx2.BaseTransport):
    """The openai SDK's sync client talks through httpx2; hand each request to respx."""

    def __init__(self, router: respx.Router) -> None:
        self.router = router

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        mirrored = httpx.Request(
            request.method, str(request.url), headers=list(request.headers.raw), content=request.read()
        )
        try:
            response = self.router.handler(mirrored)
        except httpx.TransportError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from None
        headers = [
            (k, v)
            for k, v in response.headers.raw
            if k.lower() not in (b"content-encoding", b"content-length")
        ]
        return httpx2.Response(
            response.status_code, headers=headers, content=response.read(), request=request
        )


def fake_vectors(texts):
    """A deterministic stand-in model: 64-dim character-bigram hashing."""
    rows = []
    for text in texts:
        v = np.zeros(64)
        for a, b in zip(text, text[1:] + " ", strict=True):
            v[hash(a + b) % 64] += 1.0
        rows.append((v / (np.linalg.norm(v) or 1.0)).tolist())
    return rows


def remote(router):
    settings = EmbedSettings(model="test-embed", api_key="k", base_url=BASE)
    return OpenAIEmbedder(settings, http_client=httpx2.Client(transport=SyncBridge(router)))


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def embeddings_ok(request):
    body = json.loads(request.content)
    assert body["model"] == "test-embed"
    data = [
        {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(fake_vectors(body["input"]))
    ]
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": data,
            "model": "test-embed",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
    )


def test_endpoint_replaces_the_builtin_model(router, demo_rules):
    route = router.post(f"{BASE}/embeddings").mock(side_effect=embeddings_ok)
    products, faq, room = demo_rules
    answerer = FaqAnswerer.build(products, faq, room, embedder=remote(router))
    assert answerer.semantic.model == "openai:test-embed"
    assert answerer.semantic.matrix.shape[1] == 64
    # entries (and the exemplars, in batches of 256) at build time; then one call per question
    calls = route.call_count
    result = answerer.answer("多久发货")
    assert route.call_count == calls + 1
    assert result.best_faq_id == "ship-time"
    assert answerer.exemplars.vectors.shape[1] == 64


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json={"error": {"message": "boom"}}),
        httpx.Response(429, json={"error": {"message": "slow down"}}),
        httpx.Response(200, json={"object": "list", "data": [], "model": "m"}),
        httpx.Response(200, text="not json"),
        httpx.ConnectError("refused"),
    ],
)
def test_endpoint_failing_at_build_falls_back_to_builtin(router, demo_rules, failure):
    if isinstance(failure, Exception):
        router.post(f"{BASE}/embeddings").mock(side_effect=failure)
    else:
        router.post(f"{BASE}/embeddings").mock(return_value=failure)
    products, faq, room = demo_rules
    answerer = FaqAnswerer.build(products, faq, room, embedder=remote(router))
    assert answerer.semantic.model == BUILTIN_NAME
    assert answerer.answer("包邮吗").faq_id == "free-shipping"


def test_endpoint_failing_later_falls_back_for_good(router, demo_rules):
    route = router.post(f"{BASE}/embeddings").mock(side_effect=embeddings_ok)
    products, faq, room = demo_rules
    answerer = FaqAnswerer.build(products, faq, room, embedder=remote(router))
    assert answerer.semantic.model == "openai:test-embed"
    route.mock(return_value=httpx.Response(503, json={"error": {"message": "down"}}))
    result = answerer.answer("包邮吗")
    assert answerer.semantic.model == BUILTIN_NAME
    assert answerer.semantic.matrix.shape[1] == 512
    assert result.faq_id == "free-shipping"
    calls = route.call_count
    answerer.answer("多久发货")
    assert route.call_count == calls  # not asked again


def test_settings_from_env():
    assert EmbedSettings.from_env({}) is None
    assert EmbedSettings.from_env({"LIVEROOM_EMBED_MODEL": "m"}) is None  # no key: built-in model
    settings = EmbedSettings.from_env(
        {"LIVEROOM_EMBED_MODEL": "m", "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://x/v1"}
    )
    assert settings == EmbedSettings(model="m", api_key="k", base_url="http://x/v1", timeout=2.0)
