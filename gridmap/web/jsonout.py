"""Every JSON answer writes a moment as Beijing ISO time (2024-03-05T08:30:00+08:00), a day as
ISO, numpy's numbers as plain numbers, and Chinese as it is (no \\u escapes).

Flask's own provider writes a datetime as an HTTP date in GMT, which no page or phone of the
street reads as it should; one provider for the whole app means no view converts times itself.
"""

from __future__ import annotations

from datetime import date, datetime

from flask.json.provider import DefaultJSONProvider

from gridmap.core.clock import iso_local
from gridmap.core.errors import BadInput


class BeijingJSON(DefaultJSONProvider):
    ensure_ascii = False

    def loads(self, s, **kwargs):
        """A request's JSON; nested too deeply for Python's parser (``[[[[…`` a hundred
        thousand times) is refused in words, not a RecursionError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise BadInput("请求体的 JSON 嵌套层数过多，无法读取。") from None

    @staticmethod
    def default(o):
        if isinstance(o, datetime):
            return iso_local(o) if o.tzinfo else o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        if hasattr(o, "item") and hasattr(o, "dtype"):  # a numpy scalar
            return o.item()
        return DefaultJSONProvider.default(o)
