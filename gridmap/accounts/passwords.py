"""Passwords: argon2id hashes (argon2-cffi, the library the Python world keeps for this), the
rules a new password must meet, and one-time passwords an administrator hands out.

A password is never stored, logged or shown; only its hash is. A one-time password is shown
once to the administrator who issued it and must be replaced at the next sign-in.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gridmap.core.errors import BadInput

_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106)
# Verified against when the account does not exist, so that an unknown name takes as long to
# refuse as a wrong password (the answer must not tell whether the account exists).
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))
MIN_LENGTH, MAX_LENGTH = 10, 128
# Letters without look-alikes (no 0/O, 1/l/I), for a password read out over the phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no such account; still takes the time)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def check_new(password: str, username: str, old_hash: str | None = None) -> None:
    """Refuse a new password that is too weak, in words the person understands."""
    if len(password) < MIN_LENGTH:
        raise BadInput(f"新密码至少需要 {MIN_LENGTH} 个字符。")
    if len(password) > MAX_LENGTH:
        raise BadInput(f"新密码不能超过 {MAX_LENGTH} 个字符。")
    if password.strip() != password:
        raise BadInput("新密码的开头和结尾不能是空格。")
    if len(set(password)) < 4:
        raise BadInput("新密码过于简单：请混合使用不同的字母、数字或符号。")
    if username and username.lower() in password.lower():
        raise BadInput("新密码不能包含用户名。")
    if old_hash and verify(old_hash, password):
        raise BadInput("新密码不能与原密码（或一次性密码）相同。")


def one_time() -> str:
    """A one-time password for an administrator to hand out (about 71 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
