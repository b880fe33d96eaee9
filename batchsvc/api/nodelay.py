"""uvicorn's HTTP protocol with TCP_NODELAY on every connection: httptools' (C parser) where it is installed,
else h11's.

With `--workers N` uvicorn binds the listening socket itself (`socket.socket(family)`, protocol 0), and asyncio
turns Nagle's algorithm off only for sockets whose protocol is IPPROTO_TCP: each answer's second write then waits
for the client's delayed ACK, about 40 ms per one-row prediction. Setting the option per connection fixes both modes.
"""

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is a dependency; a stripped-down install still serves, with h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if HttpToolsProtocol is not None:
    class NoDelayHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)


def no_delay_protocol() -> type:
    """The fastest HTTP protocol installed, with TCP_NODELAY set (httptools parses a request in C)."""
    return NoDelayH11Protocol if HttpToolsProtocol is None else NoDelayHttpToolsProtocol
