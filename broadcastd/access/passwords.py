"""Users' passwords, kept only as argon2id hashes.

Unlike a token (256 random bits, see `tokens`), a password is something a person
chose and can be guessed: a memory-hard hash makes each guess against a stolen
database cost real memory and time. argon2-cffi's defaults (RFC 9106's low-memory
profile: 64 MiB, 3 passes) are used as they are; a hash made with weaker parameters is
redone at the next sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8


class PasswordError(ValueError):
    """A password that cannot be used; the message says why."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_LENGTH} characters")
    if password != password.strip() or "\n" in password:
        raise PasswordError("the password must not start or end with spaces or hold a newline")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` is the one hashed; False for a wrong one or a damaged hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash nobody's password matches: checked for an unknown user name, so that
    answering "no such user" takes as long as "wrong password"."""
    return hash_password("no user has this password; it is only here to take time")
