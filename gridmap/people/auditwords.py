"""The audit log in words (审计记录): what the auditor reads for the codes a line holds.

A line keeps codes, as it was written: its action (named by the audit_action table), why a
sign-in was refused (gridmap.people.sessions), the kind of account made (gridmap.accounts.policy),
the duty of an assignment (the role table: 网格员 for grid_member) and the fields of personal
data viewed (gridmap.accounts.pii). Codes stay stable when a word changes; this module is the
one place they become the words of the page, each from the table that defines it.
"""

from __future__ import annotations

import re

from gridmap.accounts import pii, policy
from gridmap.people import sessions

# Why a sign-in was refused. The person was told the same for each; the auditor is told which.
REFUSALS = {
    sessions.WRONG: "用户名不存在或密码错误",
    sessions.LOCKED: "账号因多次失败暂时锁定",
    sessions.DISABLED: "账号已停用（密码正确）",
    sessions.LEFT: "账号所属人员已离任（密码正确）",
    # Lines written before the two were told apart:
    "unusable": "账号已停用或人员已离任（密码正确）",
}
CONSOLE = policy.OWNER.name  # a change made at the console (recorded under the name ``cli``)
UNKNOWN_ACCOUNT = "（无此账号）"  # a sign-in under a name no account has

_ACCOUNT_MADE = re.compile(r"^(?P<username>.*)（(?P<role>[a-z_]+)）$")  # staffing.create_account
_ASSIGNED = re.compile(r"^(?P<id>\d+): 人员 (?P<person>\d+) (?P<role>[a-z_]+) (?P<scope>\S+)$")


def account_role(code: str) -> str:
    found = policy.ROLES.get(code)
    return found.name if found else code


def fields(codes) -> list[str]:
    return [pii.FIELDS.get(c, c) for c in codes]


def detail(action: str, text: str, duties: dict[str, str]) -> str:
    """A line's detail in words; ``duties`` names the roles of the chain (role.code → name)."""
    if action == "sign_in_failed":
        return REFUSALS.get(text, text)
    if action == "account_created" and (m := _ACCOUNT_MADE.match(text)):
        return f"{m['username']}（{account_role(m['role'])}）"
    if action == "assignment_created" and (m := _ASSIGNED.match(text)):
        duty = duties.get(m["role"], m["role"])
        return f"任职 {m['id']}：人员 {m['person']} 任{duty}，{m['scope']}"
    return text


def who(line: dict) -> str:
    """The person the line names: the account's person, the console, or no account at all."""
    if line["person_name"]:
        return line["person_name"]
    if line["account_id"] is None:
        console = line["username"] == "cli" and line["action"] != "sign_in_failed"
        return CONSOLE if console else UNKNOWN_ACCOUNT
    return ""


def in_words(lines: list[dict], duties: dict[str, str]) -> list[dict]:
    """The lines as the auditor reads them: codes in words, the codes kept beside."""
    return [
        {
            **line,
            "who": who(line),
            "field_names": fields(line["fields"]),
            "detail_words": detail(line["action"], line["detail"], duties),
        }
        for line in lines
    ]
