"""Who may do what over HTTP: roles, API tokens and their names (pure; the store keeps
the tokens, `api.auth` checks them, `access.cli` hands them out)."""

from broadcastd.access.roles import Role
from broadcastd.access.tokens import (
    RESERVED_NAMES,
    TokenNameError,
    check_token_name,
    new_token,
    token_digest,
)

__all__ = [
    "RESERVED_NAMES",
    "Role",
    "TokenNameError",
    "check_token_name",
    "new_token",
    "token_digest",
]
