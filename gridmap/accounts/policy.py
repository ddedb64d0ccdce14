"""Who may do what: named actions, one table of account roles and their actions, and the checks.

The one place gridmap decides what a kind of account may do, in the manner of CKAN's auth
functions and datasette's permissions. A route declares the action it performs
(gridmap.web.access.requires); a service checks the same action of the actor it is handed
(:func:`require`), so the command line cannot do what a page refuses, except by saying that it
acts as the database's owner at the console (:data:`OWNER`). The landing page and the menu of
each role are read from the same table.

What a permitted person then sees is their scope (gridmap.accounts.scope): the whole street, or
the areas of their assignments in force. Which step of a case's workflow a person may make is
the workflow's own data (workflow_transition.roles) held against their duties (:func:`may_move`).

Adding a role: a row of :data:`ROLES` and of the account_role table (a test holds the two
together); nothing else names a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridmap.accounts.scope import Scope
from gridmap.core.errors import Forbidden

# The actions, each with what it is called on a refusal.
ACTIONS: dict[str, str] = {
    "see_map": "查看街道总览地图",
    "locate": "查询某一位置的网格与责任人",
    "see_incidents": "查看负责范围内的事件、热点与统计",
    "use_field_page": "使用“我的网格”手机页",
    "report": "上报事件",
    "follow_up": "跟进事件（记录、照片）",
    "move_case": "办理事件（流转、延期、关联）",
    "supervise_case": "督办、催办事件",
    "call_back": "回访当事人",
    "refer_case": "转办事件给联动单位",
    "answer_referral": "查看并答复转办给本单位的事件",
    "see_personal_data": "查看当事人的完整个人信息（留痕）",
    "see_plans": "查看网格调整方案与历次区划",
    "edit_plan": "编辑网格调整方案",
    "publish_plan": "发布、取消或复制网格调整方案",
    "manage_accounts": "管理账号、人员与任职",
    "read_audit": "查阅审计日志",
    "own_account": "修改自己的密码、退出登录",
    "read_open311": "读取 Open311 只读接口",
}

# How a role's scope is worked out (gridmap.data.accounts.scope_of):
STREET = "street"  # the whole street, with the center's duties in the workflow
STREET_READ = "street_read"  # the whole street to read, no duty in any workflow
ASSIGNMENTS = "assignments"  # the areas of the person's assignments in force
NOTHING = "nothing"  # no incident, party or person of the street


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    actions: frozenset[str]
    scope: str
    home: str  # the endpoint it lands on after signing in
    home_by_duty: dict[str, str] = field(default_factory=dict)  # a duty's own landing page
    menu: tuple[tuple[str, str], ...] = ()  # (endpoint, label) in the page header


_HANDLING = {"see_incidents", "report", "follow_up", "move_case", "see_personal_data"}
# Every signed-in account manages its own password and may read the Open311 view (nothing
# personal or precise is in it).
_EVERYONE = {"own_account", "read_open311"}

ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role(
            "chain",
            "责任链人员",
            frozenset(
                {"see_map", "locate", "use_field_page", "supervise_case", *_HANDLING, *_EVERYONE}
            ),
            ASSIGNMENTS,
            home="center.page",
            # A grid member works from the phone (我的网格); the rest of the chain from their
            # area's page (我的责任区).
            home_by_duty={"grid_member": "field.page"},
            menu=(("field.page", "我的网格"), ("center.page", "我的责任区")),
        ),
        Role(
            "center",
            "综治中心",
            frozenset(
                {"see_map", "locate", "supervise_case", "call_back", "refer_case"}
                | _HANDLING
                | _EVERYONE
            ),
            STREET,
            home="center.page",
        ),
        Role(
            "planner",
            "规划人员",
            frozenset({"see_map", "locate", "see_plans", "edit_plan", "publish_plan", *_EVERYONE}),
            # A plan is the street's division: a planner reads the whole street (counts of
            # incidents for the workload, people to name as grid members) and makes no move of
            # a case's workflow.
            STREET_READ,
            home="planner.index",
            menu=(
                ("planner.index", "网格调整方案"),
                ("planner.compare", "区划对照"),
                ("overview.street_map", "街道总览"),
            ),
        ),
        Role(
            "department",
            "联动单位",
            # 派出所、司法所、法庭…: what the center referred to the account's department, and
            # nothing else of the street (gridmap.cases.referrals reads it by the department)
            frozenset({"answer_referral", *_EVERYONE}),
            NOTHING,
            home="referrals.page",
        ),
        Role(
            "admin",
            "系统管理员",
            frozenset({"see_map", "manage_accounts", *_EVERYONE}),
            NOTHING,
            home="admin.accounts_page",
        ),
        Role(
            "auditor",
            "审计员",
            frozenset({"read_audit", *_EVERYONE}),
            NOTHING,
            home="audit.page",
        ),
    )
}
assert all(r.actions <= ACTIONS.keys() for r in ROLES.values())

# A command run at the console by whoever runs the database (the demo's loader, the first
# administrator's account, a ledger import, or a command told --as-owner): trusted with every
# action and the whole street, and recorded as such.
OWNER = Role("owner", "数据库属主（控制台）", frozenset(ACTIONS), STREET, home="")


@dataclass(frozen=True)
class Actor:
    """Who is asking: the kind of account, what it may see, and the account (None: the owner)."""

    role: Role
    scope: Scope
    account: dict | None = None

    @classmethod
    def owner(cls, street_code: str) -> Actor:
        return cls(OWNER, Scope.street(street_code))

    @classmethod
    def of(cls, account: dict, scope: Scope) -> Actor:
        """The account acting within ``scope`` (gridmap.data.accounts.scope_of gives its own)."""
        return cls(ROLES[account["role"]], scope, account)

    @property
    def street_code(self) -> str:
        return self.scope.street_code

    @property
    def person_id(self) -> int | None:
        return self.account["person_id"] if self.account else None

    @property
    def username(self) -> str:
        return self.account["username"] if self.account else "cli"


def role(code: str) -> Role:
    return ROLES[code]


def allows(role_code: str, action: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    found = OWNER if role_code == OWNER.code else ROLES.get(role_code)
    return found is not None and action in found.actions


def require(actor: Actor, action: str) -> None:
    """Refuse, in words, an action the actor's kind of account may not take."""
    if not allows(actor.role.code, action):
        raise Forbidden(f"{actor.role.name}账号无权{ACTIONS[action]}。")


def may_move(actor: Actor, roles: list[str] | tuple[str, ...]) -> bool:
    """Whether the actor's duties allow a step of a workflow that ``roles`` may make (the owner
    at the console makes any step, as a ledger entered late needs)."""
    return actor.role is OWNER or bool(set(roles) & actor.scope.duties)


# Who supervises (督办 / 催办) a case: the center, and the leaders of the chain above the grid —
# the 包片 leader over their package area (包保责任制) and the village's secretary over their
# village. A grid member or a group leader is supervised, and does not supervise.
SUPERVISING_DUTIES = frozenset({"center", "package_leader", "village_secretary"})


def may_supervise(actor: Actor) -> bool:
    return actor.role is OWNER or bool(SUPERVISING_DUTIES & actor.scope.duties)


def home(role_code: str, duties: frozenset[str] = frozenset()) -> str:
    """Where a role lands after signing in (the first of its duties that has a page of its own)."""
    r = ROLES[role_code]
    return next((r.home_by_duty[d] for d in sorted(duties) if d in r.home_by_duty), r.home)


def menu(role_code: str) -> tuple[tuple[str, str], ...]:
    return ROLES[role_code].menu
