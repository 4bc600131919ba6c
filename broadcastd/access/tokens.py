"""API tokens: made here, shown once, kept only as a digest.

A token is 32 bytes from `secrets` (256 bits), so a plain SHA-256 is the right digest:
slow password hashes (bcrypt, scrypt, argon2) exist to make guessing a low-entropy
password from its hash expensive, and nobody can enumerate 2**256 candidates anyway.
A fast digest also keeps the check on every HTTP request cheap. Looking tokens up by
digest means the database never holds anything a thief could send back to us.
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "bcd_"
"""Marks a broadcastd token, so one pasted in the wrong place is recognised (and
secret scanners can be taught it)."""

NAME_RULE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
RESERVED_NAMES = frozenset({"anonymous", "timetable"})
"""Names the audit log uses for changes nobody's token made."""


class TokenNameError(ValueError):
    """A token (or user) name that cannot be used; the message says what to write instead."""


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps and looks tokens up by (see the module's docstring)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_token_name(name: str, kind: str = "token", example: str = "district-script") -> str:
    """The name, if it is id-like and not reserved; else TokenNameError. Users' names
    follow the same rule (`kind="user"`): both appear as `by` in the audit log."""
    if not NAME_RULE.fullmatch(name):
        raise TokenNameError(
            f"{kind} name {name!r} is not allowed: use lower-case letters, digits and '-', "
            f"starting with a letter or digit, at most 63 characters (e.g. `{example}`)"
        )
    if name in RESERVED_NAMES:
        raise TokenNameError(
            f"{kind} name {name!r} is reserved (the audit log uses it); pick another"
        )
    return name
