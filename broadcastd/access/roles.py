"""Roles, ordered: each one may do everything the ones below it may."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    """Read: /status, /broadcasts, /schedule, /metrics."""
    OPERATOR = "operator"
    """Change what plays: cancel, stop, announce, add audio."""
    ADMIN = "admin"
    """Manage tokens and users."""

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """admin ⊇ operator ⊇ viewer."""
        return self.rank >= needed.rank
