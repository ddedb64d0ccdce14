"""Signing in and out, and a person's own password (first sign-in, or changed later).

One answer for every refusal at sign-in (a wrong password, an unknown name, a locked or
disabled account), so that no one learns whether an account exists; an unknown name costs the
same argon2 verification as a wrong password. Repeated failures lock the account for
``SIGNIN_LOCK_MINUTES``. Every sign-in, failure, lock and password change is in the audit log.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts import passwords
from gridmap.accounts.scope import Scope
from gridmap.core import clock, params
from gridmap.core.errors import BadInput
from gridmap.data import accounts, audit


def _storable(username: str) -> bool:
    try:
        return params.parse_text(username, "用户名", len(username)) == username
    except BadInput:
        return False


def usable(account: dict, now: datetime | None = None) -> bool:
    """Whether the account may be signed in at all: not disabled, its person still here."""
    now = now or clock.now()
    left = account["person_left_at"]
    return account["disabled_at"] is None and (left is None or left > now)


def sign_in(
    conn: psycopg.Connection,
    street_code: str,
    username: str,
    password: str,
    origin: dict,
    settings: dict,
) -> dict | None:
    """The account signed in (its row, read again after the sign-in), or None, with the attempt
    and its outcome in the audit log either way."""
    now = clock.now()
    if not _storable(username):  # NUL or a lone surrogate: no account's name, and not loggable
        username = ascii(username)
        account = None
    else:
        account = accounts.by_username(conn, street_code, username) if username else None
    locked = bool(account and account["locked_until"] and account["locked_until"] > now)
    good = passwords.verify(account["password_hash"] if account else None, password)
    if good and not locked and usable(account, now):
        rehash = (
            passwords.hash_password(password)
            if passwords.needs_rehash(account["password_hash"])
            else None
        )
        accounts.record_success(conn, account["id"], rehash)
        audit.record(conn, street_code, "sign_in", account, **origin)
        return accounts.by_id(conn, street_code, account["id"])
    why = _refusal(account, good, locked)
    if account is not None and not locked and not good:
        if accounts.record_failure(
            conn,
            account["id"],
            int(settings["SIGNIN_MAX_FAILURES"]),
            int(settings["SIGNIN_LOCK_MINUTES"]),
        ):
            audit.record(conn, street_code, "locked", account, **origin)
    audit.record(
        conn,
        street_code,
        "sign_in_failed",
        account,
        username=username or "（空）",
        detail=why,
        **origin,
    )
    return None


# Why a sign-in was refused, for the auditor alone (gridmap.people.auditwords says it in words):
# the person is told the same for each.
WRONG, LOCKED, DISABLED, LEFT = "wrong", "locked", "disabled", "left"


def _refusal(account: dict | None, good: bool, locked: bool) -> str:
    """A locked account's attempts are not judged; a right password names what stopped it."""
    if locked:
        return LOCKED
    if not good:
        return WRONG
    return DISABLED if account["disabled_at"] is not None else LEFT


def sign_out(conn: psycopg.Connection, street_code: str, account: dict, origin: dict) -> None:
    """The session ends on the server, not only in the browser: Flask's signed cookie would
    outlive a sign-out, so the account's session epoch moves on (its other devices sign in
    again too)."""
    with conn.transaction():
        accounts.end_sessions(conn, street_code, account["id"])
        audit.record(conn, street_code, "sign_out", account, **origin)


def set_own_password(
    conn: psycopg.Connection,
    street_code: str,
    account: dict,
    current: str,
    new: str,
    repeat: str,
    origin: dict,
) -> dict:
    """The person's own new password, in place of the one they were given or chose before;
    returns the account as it now is."""
    if not passwords.verify(account["password_hash"], current):
        raise BadInput("当前密码（或管理员给您的一次性密码）不正确。")
    if new != repeat:
        raise BadInput("两次输入的新密码不一致。")
    passwords.check_new(new, account["username"], account["password_hash"])
    accounts.set_password(conn, account["id"], passwords.hash_password(new))
    audit.record(conn, street_code, "password_set", account, **origin)
    return accounts.by_id(conn, street_code, account["id"])


def account_of_session(
    conn: psycopg.Connection, street_code: str, account_id: int, epoch: int
) -> dict | None:
    """The account a session names, if that session is still good: the same epoch (a disable
    or a reset ends every older session) and the account still usable."""
    account = accounts.by_id(conn, street_code, account_id)
    if account is None or account["session_epoch"] != epoch or not usable(account):
        return None
    return account


def scope_of(conn: psycopg.Connection, account: dict) -> Scope:
    """What the account may see now (gridmap.data.accounts.scope_of)."""
    return accounts.scope_of(conn, account, clock.now())
