"""Roles and principals: who sent a request and what each API key role may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    """What a route needs; each key role may do everything the roles before it may."""

    OPEN = "open"  # no key needed
    READER = "reader"
    SUBMITTER = "submitter"
    ADMIN = "admin"
    METRICS = "metrics"  # a route that is open unless BATCHSVC_METRICS_REQUIRE_KEY asks for a reader key

    def allows(self, needed: Role) -> bool:
        """True when a key of this role may use a route that needs `needed`."""
        return RANK[self] >= RANK[needed]


RANK = {Role.OPEN: 0, Role.READER: 1, Role.SUBMITTER: 2, Role.ADMIN: 3}
KEY_ROLES = (Role.READER, Role.SUBMITTER, Role.ADMIN)


def effective_role(role: Role, settings) -> Role:
    """The role a route needs under these settings (resolves Role.METRICS)."""
    if role is Role.METRICS:
        return Role.READER if settings.metrics_require_key else Role.OPEN
    return role


@dataclass(frozen=True)
class Principal:
    """Who sent a request: a key's name and role; name None when auth is off (anyone is admin then)."""

    name: str | None
    role: Role
    key_id: str | None = None

    @property
    def owner_scope(self) -> str | None:
        """The creator whose jobs this principal may see; None means all jobs."""
        return self.name if self.role is Role.SUBMITTER else None


ANONYMOUS = Principal(name=None, role=Role.ADMIN)
