"""hazmap's uvicorn launcher: connections accepted on the socket it binds for several workers have Nagle's
algorithm off (TCP_NODELAY), as those of a single worker have; uvicorn's own binding leaves it on (uvicorn
issue #3149), which delays every response after the first on a kept-alive connection by ~40 ms on Linux.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from hazmap.asgi_server import TcpConfig


def nodelay_of_accepted(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on ``listener`` (as a uvicorn worker does)."""

    async def accept() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Report(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Report, sock=listener)
        port = listener.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(accept())


def test_the_socket_bound_for_several_workers_gives_connections_without_nagle():
    listener = TcpConfig("hazmap.asgi:application", host="127.0.0.1", port=0, workers=2).bind_socket()
    assert listener.proto == socket.IPPROTO_TCP
    assert nodelay_of_accepted(listener) == 1


def test_uvicorns_own_binding_leaves_nagle_on_which_is_why_the_launcher_exists():
    # when uvicorn binds as TCP itself, this fails: hazmap/asgi_server.py can then go
    listener = uvicorn.Config("hazmap.asgi:application", host="127.0.0.1", port=0, workers=2).bind_socket()
    assert nodelay_of_accepted(listener) == 0
