"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

With `--workers N` uvicorn binds the listening socket itself (`socket.socket(family)`, protocol 0), and asyncio
turns Nagle's algorithm off only for sockets whose protocol is IPPROTO_TCP: each answer's second write then waits
for the client's delayed ACK, about 40 ms per one-row prediction. Setting the option per connection fixes both modes.
"""

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
