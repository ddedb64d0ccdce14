"""Attribution of points onto a division: inside, outside, on shared edges and vertices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap.core.errors import OutsideStreet
from gridmap.geo import attribution
from tests import small_street as st

AT = pd.Timestamp("2021-03-01T10:00+08:00")


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    return st.CODE


def place(conn, placement, points, at=AT):
    lon, lat = zip(*points, strict=True)
    return placement.place(conn, st.CODE, lon, lat, [at] * len(points))


def test_points_inside_land_in_their_unit_grid_village_and_package_area(conn, placement, street):
    out = place(conn, placement, [(114.005, 30.005), (114.015, 30.015), (114.005, 30.019)])
    assert list(out["unit_code"]) == [st.U1, st.U4, st.U3]
    assert list(out["grid_code"]) == [st.G1, st.G3, st.G1]
    assert list(out["village_code"]) == [st.V1, st.V2, st.V1]
    assert list(out["package_area_code"]) == [st.CODE + "-P1", st.CODE + "-P2", st.CODE + "-P1"]


def test_a_point_outside_the_street_is_refused_with_a_clear_message(conn, placement, street):
    with pytest.raises(OutsideStreet, match="不在本街道的网格范围内"):
        place(conn, placement, [(114.05, 30.05)])


def test_one_outside_point_refuses_the_whole_batch_and_names_it(conn, placement, street):
    with pytest.raises(OutsideStreet) as err:
        place(conn, placement, [(114.005, 30.005), (113.0, 30.005), (114.015, 30.005)])
    assert err.value.details == {"rows": [2]}
    assert "第 2 条" in err.value.message


def test_a_point_on_a_shared_edge_always_lands_in_the_same_grid(conn, placement, street):
    edge = (114.01, 30.005)  # between U1 (village 甲, grid G1) and U2 (village 乙, grid G2)
    singles = {place(conn, placement, [edge])["grid_code"].iloc[0] for _ in range(5)}
    bulk = set(place(conn, placement, [edge] * 1000)["grid_code"])
    assert singles == bulk == {st.G1}  # the unit whose code sorts first


def test_a_point_on_a_vertex_of_four_units_lands_in_the_first_by_code(conn, placement, street):
    assert place(conn, placement, [(114.01, 30.01)])["unit_code"].iloc[0] == st.U1


def test_points_on_the_outer_edge_are_inside(conn, placement, street):
    assert place(conn, placement, [(114.0, 30.005)])["grid_code"].iloc[0] == st.G1


def test_geos_attribution_agrees_with_postgis_on_random_points(conn, placement, street):
    rng = np.random.default_rng(7)
    lon = rng.uniform(114.0, 114.02, 2000)
    lat = rng.uniform(30.0, 30.02, 2000)
    lon[:200] = np.round(lon[:200], 2)  # many points exactly on edges
    ours = place(conn, placement, list(zip(lon, lat, strict=True)))
    theirs = conn.execute(
        """SELECT (SELECT u.code FROM unit u JOIN division d ON d.id = u.division_id
                    WHERE d.street_code = %s AND d.status = 'published'
                      AND ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint(x, y), 4326))
                    ORDER BY u.code LIMIT 1) AS code
             FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, n)
            ORDER BY n""",
        (st.CODE, list(lon), list(lat)),
    ).fetchall()
    assert list(ours["unit_code"]) == [r["code"] for r in theirs]


def test_build_index_orders_units_by_code():
    import geopandas as gpd

    units = gpd.GeoDataFrame({"code": ["b", "a"], "geometry": [st.square(0, 0), st.square(0, 0)]})
    index = attribution.build_index(1, units)
    found = attribution.attribute(index, np.array([114.005]), np.array([30.005]))
    assert index.units["code"].iloc[found[0]] == "a"


def test_interior_cells_give_the_exact_answer_everywhere():
    """The lattice shortcut against one STRtree query per point, on a Voronoi division, with
    random points, every unit vertex, points outside and NaN."""
    rng = np.random.default_rng(11)
    seeds = shapely.points(rng.uniform(0, 1, 2000), rng.uniform(0, 1, 2000))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds))),
        shapely.box(0, 0, 1, 1),
    )
    units = pd.DataFrame({"code": [f"{i:05d}" for i in range(len(cells))], "geometry": cells})
    index = attribution.build_index(1, units)
    lon, lat = rng.uniform(-0.05, 1.05, 200_000), rng.uniform(-0.05, 1.05, 200_000)
    vertices = shapely.get_coordinates(cells)
    lon[: len(vertices)], lat[: len(vertices)] = vertices[:, 0], vertices[:, 1]
    lon[-3:], lat[-3:] = [np.nan, 0.5, 1.0], [0.5, np.nan, 1.0]
    fast = attribution.attribute(index, lon, lat)
    exact = attribution.attribute_exact(index, lon, lat)
    assert (fast == exact).all()
    assert (fast == attribution.OUTSIDE).sum() > 1000  # the margin outside the box
    assert (index.cells.answer >= 0).mean() > 0.4  # many cells answer by arithmetic alone
