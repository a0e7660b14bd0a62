"""Who is asking: the client's real address and scheme, in one place, for every per-address rule.

`forwarded` (a middleware) reads `X-Forwarded-For` / `X-Real-IP` and `X-Forwarded-Proto` only when the
connection comes from a trusted proxy (`LIVEROOM_TRUSTED_PROXIES`, default this machine), the way
nginx's `real_ip` module does with `real_ip_recursive on`: the right-most address in the chain that is
not itself a trusted proxy. Anyone else's forwarded headers are ignored. The request handlers then see
the client in `request.remote` and the scheme in `request.scheme` (so `request.secure` is true behind
TLS), and `client_address` is what the caps, the credential backoff and the logs count against.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_TRUSTED = ("127.0.0.1", "::1")


def client_address(request: web.Request) -> str:
    """The address the per-address rules count against ("" when the transport has none, e.g. a Unix socket)."""
    return request.remote or ""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`LIVEROOM_TRUSTED_PROXIES` entries (addresses or CIDR ranges); a bad one is a ValueError naming it."""
    out = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError(
                f"LIVEROOM_TRUSTED_PROXIES: {value!r} is not an address or a CIDR range"
            ) from None
    return tuple(out)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:5123
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def real_client(
    peer: str, forwarded_for: Iterable[str], real_ip: str | None, trusted: tuple[Network, ...]
) -> str:
    """The client behind `peer`: the right-most untrusted hop of `X-Forwarded-For`, else `X-Real-IP`,
    else the peer itself. Forwarded headers count only when the peer is a trusted proxy."""

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in net for net in trusted)

    if not is_trusted(_address(peer)):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    last_trusted = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage in the chain: nothing left of it can be believed
        if not is_trusted(address):
            return str(address)
        last_trusted = str(address)
    if hops:
        return last_trusted or peer
    if real_ip:
        address = _address(real_ip)
        if address is not None:
            return str(address)
    return peer


def forwarded(trusted: tuple[Network, ...]) -> Middleware:
    """The middleware: requests through a trusted proxy get the client's address and scheme."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = request.remote or ""
        if not _is_proxy(peer, trusted):
            return await handler(request)
        headers = request.headers
        client = real_client(peer, headers.getall("X-Forwarded-For", []), headers.get("X-Real-IP"), trusted)
        scheme = headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        changes: dict[str, str] = {}
        if client != peer:
            changes["remote"] = client
        if scheme in ("http", "https") and scheme != request.scheme:
            changes["scheme"] = scheme
        return await handler(request.clone(**changes) if changes else request)  # type: ignore[arg-type]

    return middleware


def _is_proxy(peer: str, trusted: tuple[Network, ...]) -> bool:
    address = _address(peer)
    return address is not None and any(address in net for net in trusted)
