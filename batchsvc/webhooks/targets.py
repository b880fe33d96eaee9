"""Which URLs a hook may POST to: BATCHSVC_WEBHOOK_ALLOW's host names and networks, else public addresses only.

Checked at submit (a 422 naming the setting) and again before every attempt; without an allow list a name is
resolved each time, so a name that later resolves to a private address is refused too.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

SETTING = "BATCHSVC_WEBHOOK_ALLOW"
HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Allow:
    """An allow list: host names (exact, lower case) and networks; empty means public addresses only."""
    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @property
    def empty(self) -> bool:
        return not self.hosts and not self.networks


def parse_allow(value: str | None) -> Allow:
    """'hooks.example.com, 127.0.0.1/32, 10.0.0.0/8' -> Allow; an entry that is neither raises ValueError."""
    hosts, networks = set(), []
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            if not HOST_NAME.fullmatch(item):
                raise ValueError(f"{item!r} is neither a host name nor an address or CIDR") from None
            hosts.add(item.lower())
    return Allow(frozenset(hosts), tuple(networks))


def check_target(url: str, allow: Allow) -> str | None:
    """None when `url` may be posted to now; else why not (a sentence naming the setting). With an allow list
    nothing is resolved: a name must be listed by name, an address must lie in a listed network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL with a host"
    host = parts.hostname.lower()
    if host in allow.hosts:
        return None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not allow.empty:
            return f"the host name {host} is not listed in {SETTING}"
        try:
            addresses = _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as exc:
            return f"cannot resolve {host!r}: {exc.strerror or exc}"
    refused = [a for a in addresses if not _allowed(a, allow)]
    if refused:
        scope = "is not in" if not allow.empty else "is not a public address; allow it in"
        return f"{host} resolves to {refused[0]}, which {scope} {SETTING}"
    return None


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: Allow) -> bool:
    if allow.empty:
        return address.is_global
    return any(address in network for network in allow.networks)
