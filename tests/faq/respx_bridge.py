"""The openai SDK talks through `httpx2`, which respx does not patch; this transport hands
each request to a respx router as an `httpx` request, so tests mock the endpoint with respx
at HTTP level all the same."""

import httpx
import httpx2
import respx


class RespxBridge(httpx2.AsyncBaseTransport):
    def __init__(self, router: respx.Router) -> None:
        self.router = router

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        mirrored = httpx.Request(
            request.method, str(request.url), headers=list(request.headers.raw), content=body
        )
        try:
            response = await self.router.async_handler(mirrored)
        except httpx.TimeoutException as exc:
            raise httpx2.ReadTimeout(str(exc), request=request) from None
        except httpx.TransportError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from None
        content = await response.aread()
        headers = [
            (k, v)
            for k, v in response.headers.raw
            if k.lower() not in (b"content-encoding", b"content-length")
        ]
        return httpx2.Response(response.status_code, headers=headers, content=content, request=request)


def bridged_client(router: respx.Router) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=RespxBridge(router))
