"""The demo street as loaded in PostGIS: coverage, people, the report's figures, hotspots."""

from __future__ import annotations

import shapely

from gridmap.data import demo as demo_data
from gridmap.data.geometry import from_wkb

STREET = "420114004"


def scalar(conn, sql, *params):
    return next(iter(conn.execute(sql, params).fetchone().values()))


def test_the_hierarchy_is_complete(conn, demo_loaded):
    counts = conn.execute(
        """SELECT (SELECT count(*) FROM package_area WHERE street_code = %(s)s) AS pas,
                  (SELECT count(*) FROM village WHERE street_code = %(s)s) AS villages,
                  (SELECT count(*) FROM grid WHERE street_code = %(s)s) AS grids,
                  (SELECT sum(households) FROM unit WHERE street_code = %(s)s) AS households""",
        {"s": STREET},
    ).fetchone()
    assert counts["pas"] == 6 and counts["villages"] == 55
    assert counts["grids"] == len(demo_loaded.grids)
    assert abs(counts["households"] - 25_000) <= 750


def test_every_village_is_covered_exactly_by_its_grids(conn, demo_loaded):
    rows = conn.execute(
        """SELECT v.code, ST_AsBinary(v.geom) AS village,
                  array_agg(ST_AsBinary(g.geom)) AS grids,
                  bool_and(ST_CoveredBy(g.geom, v.geom)) AS inside
             FROM village v JOIN grid g ON g.village_id = v.id
            WHERE v.street_code = %s GROUP BY v.code, v.geom""",
        (STREET,),
    ).fetchall()
    assert len(rows) == 55
    for row in rows:
        village = from_wkb([row["village"]])[0]
        grids = from_wkb(row["grids"])
        assert row["inside"], row["code"]  # never crossing the village edge
        assert shapely.coverage_is_valid(grids), row["code"]  # no overlap
        union = shapely.coverage_union_all(grids)
        assert shapely.symmetric_difference(union, village).area < 1e-12, row["code"]  # no gap


def test_the_street_is_178_55_square_kilometres(conn, demo_loaded):
    km2 = scalar(
        conn,
        "SELECT ST_Area(boundary::geography) / 1e6 FROM division"
        " WHERE street_code = %s AND status = 'published'",
        STREET,
    )
    assert abs(km2 - 178.55) < 0.01 * 178.55


def test_the_year_reproduces_the_reports_figures(conn, demo_loaded):
    """Counted as the report counts: what the year's cases had come to by its end (the cases
    still open then were closed in 2024, through the workflow)."""

    def n(kind, status=None):
        sql = (
            "SELECT count(*) FROM incident WHERE street_code = %s AND kind = %s"
            " AND occurred_at >= '2023-01-01+08' AND occurred_at < '2024-01-01+08'"
            + (" AND closed_at < '2024-01-01+08'" if status else "")
        )
        return scalar(
            conn,
            sql + (" AND status = %s" if status else ""),
            *([STREET, kind] + ([status] if status else [])),
        )

    assert n("dispute", "resolved") == 700
    assert n("mediation") == 42
    assert round(100 * n("mediation", "agreement") / n("mediation")) == 98
    assert n("legal_consultation") == 25
    assert n("legal_publicity") == 17
    assert n("enforcement_training") == 15
    savvy = scalar(
        conn,
        "SELECT count(DISTINCT person_id) FROM assignment"
        " WHERE street_code = %s AND role = 'legal_savvy'",
        STREET,
    )
    assert savvy == 165


def test_every_incident_resolves_to_named_people_at_every_level(conn, demo_loaded):
    missing = conn.execute(
        """SELECT level, count(*) AS n FROM (
             SELECT i.id, l.level FROM incident i CROSS JOIN generate_series(1, 5) AS l(level)
              WHERE i.street_code = %s
                AND NOT EXISTS (SELECT 1 FROM incident_responsible r
                                 WHERE r.street_code = i.street_code AND r.incident_id = i.id
                                   AND r.level = l.level)) x GROUP BY level""",
        (STREET,),
    ).fetchall()
    assert missing == []
    unreported = scalar(
        conn, "SELECT count(*) FROM incident WHERE street_code = %s AND reported_by IS NULL", STREET
    )
    assert unreported == 0


def test_a_change_of_grid_member_shows_in_incidents_before_and_after(conn, demo_loaded):
    rows = conn.execute(
        """SELECT i.occurred_at < '2023-07-01+08' AS before, array_agg(DISTINCT r.name) AS who
             FROM incident i JOIN incident_responsible r
               ON r.street_code = i.street_code AND r.incident_id = i.id
              AND r.role = 'grid_member'
            WHERE i.street_code = %s AND i.grid_code = '420114406239001'
            GROUP BY 1""",
        (STREET,),
    ).fetchall()
    who = {r["before"]: r["who"] for r in rows}
    assert len(who[True]) == 1 and len(who[False]) == 1 and who[True] != who[False]


def test_planted_hotspots_stand_out_in_their_months(conn, demo_loaded):
    spots = demo_data.hotspots(conn, STREET)
    assert {s["pattern"] for s in spots} >= {"persistent", "consecutive", "diminishing"}
    median = scalar(
        conn,
        """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) FROM (
                   SELECT g.code, count(i.id) AS n FROM grid g LEFT JOIN incident i
                     ON i.grid_id = g.id AND i.kind = 'dispute'
                    AND i.occurred_at < '2024-01-01+08'
                    WHERE g.street_code = %s GROUP BY g.code) x""",
        STREET,
    )
    for spot in spots:
        rows = conn.execute(
            """SELECT extract(month FROM gm_local(occurred_at))::int AS m, count(*) AS n
                 FROM incident
                WHERE street_code = %s AND kind = %s AND category = %s
                  AND grid_code = ANY(%s) AND gm_day(occurred_at) BETWEEN '2023-01-01'
                  AND '2023-12-31' GROUP BY 1""",
            (STREET, spot["kind"], spot["category"], spot["grid_codes"]),
        ).fetchall()
        per_month = {r["m"]: r["n"] for r in rows}
        total = sum(per_month.values())
        assert total / len(spot["grid_codes"]) > 5 * max(median, 1), spot["name"]
        active = sum(per_month.get(m, 0) for m in spot["months"])
        assert active >= 0.9 * total, spot["name"]  # they happen when they were planted
