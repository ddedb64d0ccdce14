"""Personal data of parties and petitioners (个人信息保护法): how it is masked where a role does
not need it in full.

Masked forms keep what a person needs to tell records apart, and no more: the surname
(张*), the region and the last four digits of an ID number (4201**********1234), the carrier
prefix and last four digits of a phone (138****5678). Unmasked values are shown only on a
case page, to the people handling the case, on an explicit request that is audited.
"""

from __future__ import annotations

import hashlib
import hmac

FIELDS = {"name": "姓名", "id_number": "身份证号", "phone": "电话", "address": "住址"}


def mask_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str:
    value = (value or "").strip()
    return value[:6] + "……" if len(value) > 6 else value


def masked(party: dict) -> dict:
    """A party row with its personal fields masked."""
    return {
        **party,
        "name": mask_name(party.get("name")),
        "id_number": mask_id_number(party.get("id_number")),
        "phone": mask_phone(party.get("phone")),
        "address": mask_address(party.get("address")),
    }


def key_of(config: dict) -> bytes:
    """The key of the ID-number hash: PII_KEY, or one derived from SECRET_KEY."""
    if config.get("PII_KEY"):
        return str(config["PII_KEY"]).encode()
    secret = str(config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, b"gridmap-pii-id-key-v1", hashlib.sha256).digest()


def id_key(id_number: str | None, key: bytes) -> str | None:
    """A keyed hash of an ID-card number (spaces and case ignored): the same person's number
    gives the same value on every case, and the value gives nothing back without the key."""
    normal = "".join((id_number or "").split()).upper()
    if not normal:
        return None
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()[:32]
