"""Roles and principals: who sent a request and what each API key role may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    """What a route needs; reader < submitter < admin, and a scorer may only score (and get a token)."""

    OPEN = "open"  # no key needed
    KEY = "key"  # any API key; the route checks the credentials itself (the token exchange)
    READER = "reader"
    SCORER = "scorer"  # online predictions only: Azure's keys that can only call the scoring URI
    SUBMITTER = "submitter"
    ADMIN = "admin"
    METRICS = "metrics"  # a route that is open unless BATCHSVC_METRICS_REQUIRE_KEY asks for a reader key

    def allows(self, needed: Role) -> bool:
        """True when a key of this role may use a route that needs `needed`."""
        return needed in GRANTS.get(self, ())


_ANY = {Role.OPEN, Role.KEY}
GRANTS = {
    Role.OPEN: {Role.OPEN},
    Role.READER: _ANY | {Role.READER},
    Role.SCORER: _ANY | {Role.SCORER},
    Role.SUBMITTER: _ANY | {Role.READER, Role.SCORER, Role.SUBMITTER},
    Role.ADMIN: _ANY | {Role.READER, Role.SCORER, Role.SUBMITTER, Role.ADMIN},
}
KEY_ROLES = (Role.READER, Role.SCORER, Role.SUBMITTER, Role.ADMIN)


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
