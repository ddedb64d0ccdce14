"""What a list of incidents asks for (``GET /api/incidents``): filters, a map view, an order
and a page, read from a query string and refused in Chinese when wrong.

Pages are read by keyset, not by offset: the cursor ``after`` names the last row of the page
before (its sort key and id), so that the next page costs the same at the thousandth page as at
the first, and a case stored or closed meanwhile neither repeats nor skips a row of the rest.
The cursor is opaque to the caller (base64 of JSON) and checked on the way back in.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from gridmap.core import params
from gridmap.core.errors import BadInput

STATES = {"open": "在办", "closed": "已办结", "all": "全部"}
SORTS = {"urgency": "最紧急在前（期限最早）", "newest": "最新发生在前"}
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯（超期）"}
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Query:
    state: str = "open"
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    lights: tuple[str, ...] = ()
    occurred_from: date | None = None
    occurred_to: date | None = None  # inclusive
    bbox: tuple[float, float, float, float] | None = None
    sort: str = "urgency"
    limit: int = DEFAULT_LIMIT
    after: tuple = field(default=())  # (sort key, id) of the last row of the page before

    def cursor_of(self, row: dict) -> str:
        """The ``after`` value that continues the list after ``row``."""
        key = row["due_at"] if self.sort == "urgency" else row["occurred_at"]
        text = json.dumps([self.sort, key.isoformat() if key else None, row["id"]])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def parse(args, ref: dict) -> Query:
    """The query of a request's arguments; ``ref`` is gridmap.data.incidents.reference."""
    params.check_request(args)
    state = params.choice(args, "state", "状态 state", STATES, "open")
    kinds = params.codes(args, "kind", "事件类型", ref["kinds"])
    known_categories = {c for _k, c in ref["categories"]}
    categories = params.codes(args, "category", "事件分类", known_categories)
    lights = params.codes(args, "light", "信号灯 light（green/yellow/red）", LIGHTS)
    if lights and state != "open":
        raise BadInput("信号灯 light 只用于在办案件：请同时使用 state=open。")
    start = params.day(args, "from", "发生日期起 from")
    end = params.day(args, "to", "发生日期止 to")
    if start and end and start > end:
        raise BadInput(f"发生日期起 {start} 晚于发生日期止 {end}。")
    sort = params.choice(
        args, "sort", "排序 sort", SORTS, "urgency" if state == "open" else "newest"
    )
    return Query(
        state=state,
        kinds=kinds,
        categories=categories,
        grids=tuple(dict.fromkeys(g.strip() for g in args.getlist("grid") if g.strip())),
        lights=lights,
        occurred_from=start,
        occurred_to=end,
        bbox=params.bbox(args),
        sort=sort,
        limit=params.integer(args, "limit", "每页条数 limit", 1, MAX_LIMIT, DEFAULT_LIMIT),
        after=_cursor(params.single(args, "after"), sort),
    )


def _cursor(text: str, sort: str) -> tuple:
    if not text:
        return ()
    wrong = BadInput("翻页参数 after 无效：请使用上一页答复中的 next。")
    try:
        padded = text + "=" * (-len(text) % 4)
        got_sort, key, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise wrong from None
    if got_sort != sort or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise wrong
    if key is None:
        if sort == "newest":  # every incident has a time of occurrence
            raise wrong
        return (None, last_id)
    try:
        return (datetime.fromisoformat(key), last_id)
    except (TypeError, ValueError):
        raise wrong from None
