"""Serving an ASGI application with uvicorn, every connection with Nagle's algorithm off, with any number of workers.

With several worker processes uvicorn (0.54) binds the listening socket itself and leaves its protocol
number at 0. Accepted connections inherit it, and Python's asyncio turns Nagle's algorithm off
(``TCP_NODELAY``) only on sockets that say ``IPPROTO_TCP``; so on a kept-alive connection every response
after the first waited for the client's delayed acknowledgement, about 40 ms on Linux (uvicorn issue
#3149): 23 requests/s on one connection instead of thousands. ``TcpConfig`` marks the socket as TCP.
One worker is not affected (asyncio builds that listener itself), and behaves as before.

``hazmap serve`` runs hazmap with it. It imports nothing but uvicorn and the standard library, so that the
benchmarks serve the applications they compare with from those applications' own virtualenvs::

    python hazmap/asgi_server.py tipg.main:app --port 8001 --workers 2 --log-level warning
"""

from __future__ import annotations

import argparse
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration whose listening TCP socket reports ``IPPROTO_TCP`` (see the module docstring)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock


def run(app: str, **options: Any) -> None:
    """Serve ``app`` (an import string, ``module:attribute``) as ``uvicorn.run`` would, with ``TcpConfig``;
    ``options`` are ``uvicorn.Config``'s (``host``, ``port``, ``workers``, ``log_level``, …)."""
    config = TcpConfig(app, **options)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> None:
    """The command line: the few of uvicorn's options the benchmarks use."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", help="the ASGI application, module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--lifespan", default="auto", choices=["auto", "on", "off"])
    args = parser.parse_args(argv)
    run(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        lifespan=args.lifespan,
    )


if __name__ == "__main__":
    main()
