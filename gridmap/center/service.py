"""The governance center's service: the filters of a request and the analysis they ask for.

Shared by the center's page, the JSON API and the pages to come, so that each shows the same
figures for the same question. Plain functions of their inputs: the scope (what the signed-in
person may see), the request's arguments, the reference data; no web objects.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import psycopg

from gridmap.accounts.scope import Scope
from gridmap.center import filters
from gridmap.center.analysis import Analysis, Analyst
from gridmap.core import timewindow
from gridmap.data import center as center_data
from gridmap.data import incidents as incident_data
from gridmap.data import lookups


def current_filters(conn: psycopg.Connection, scope: Scope, args) -> tuple[filters.Filters, dict]:
    """The filters of a request's arguments, and the reference data they were checked against.
    The default period ends with the scope's newest incident, but never after today: one row
    dated in the future must not move every page's period there."""
    ref = incident_data.reference(conn)
    places = lookups.area_codes(conn, scope.street_code)
    newest = timewindow.not_after_today(center_data.newest_day(conn, scope) or timewindow.today())
    return filters.parse(args, ref, newest, places), ref


def analyse(
    analyst: Analyst,
    conn: psycopg.Connection,
    scope: Scope,
    f: filters.Filters,
    detail: bool = True,
) -> Analysis:
    """The street's statistics for ``f``, cut to what ``scope`` may see."""
    return analyst.analyse(conn, scope, f, datetime.now(UTC), detail=detail)


def narrowed(grids: pd.DataFrame, f: filters.Filters) -> pd.DataFrame:
    """The grids of the package area or village the view is narrowed to (what was asked)."""
    if f.village:
        return grids[grids["village_code"] == f.village]
    if f.package_area:
        return grids[grids["package_area_code"] == f.package_area]
    return grids
