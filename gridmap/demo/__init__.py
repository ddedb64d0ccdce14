"""A synthetic demonstration street (示意数据) for gridmap: 侏儒山街道, 蔡甸区, 武汉.

Real names and codes of the street and its 55 villages and communities; invented geometry,
people, incidents and parties. ``build(seed)`` is a pure function of its seed: no database, no
network, no clock. The data is a snapshot of the end of 2023, the year of the street's
rule-of-law report, and reproduces that report's figures (700 disputes resolved, 42 mediation
cases with 98 % success, 25 legal consultations, 17 publicity events, 15 enforcement trainings,
165 法律明白人), with three planted hotspots whose ground truth is in ``hotspots``.

Modules, one job each: ``catalogue`` (the official list), ``boundary`` (outline, towns),
``tessellation`` (units), ``graph`` (adjacency, region growing), ``hierarchy`` (package
areas, villages, grids), ``households``, ``geography`` (puts the space together), ``names`` and
``identity`` (invented people), ``people`` (roles and assignments), ``hotspots``, ``timeline``,
``placement``, ``texts``, ``parties``, ``incidents``, ``disputes``, ``casework``, ``services``;
``present`` writes what followed, up to today, through the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from . import casework, disputes, services
from .catalogue import STREET_CODE, STREET_NAME
from .geography import build_geography
from .hotspots import choose_clusters, hotspot_table
from .incidents import Scene, assemble
from .names import PersonNamer
from .parties import PartyMaker
from .people import build_people
from .timeline import DIVISION_START

__all__ = ["DemoStreet", "build"]


@dataclass
class DemoStreet:
    """The demo street: its division, people, assignments, incidents and planted hotspots."""

    street_code: str
    street_name: str
    package_areas: pd.DataFrame  # code, name
    villages: pd.DataFrame  # code, name, kind, package_area_code
    grids: pd.DataFrame  # code, name, village_code
    units: gpd.GeoDataFrame  # code, name, kind, village_code, grid_code, households, population
    people: pd.DataFrame  # key, name, gender, phone, title, lon, lat
    assignments: pd.DataFrame  # person_key, role, scope_code, valid_from, valid_to
    incidents: pd.DataFrame  # kind, category, status, title, description, lon, lat, times, details
    parties: pd.DataFrame  # incident_index, role, name, id_number, phone
    hotspots: pd.DataFrame  # name, pattern, kind, category, grid_codes, months
    division_valid_from: pd.Timestamp
    scene: Scene  # what the generators drew on, for what followed (gridmap.demo.present)


def build(seed: int = 20231231) -> DemoStreet:
    """Generate the demo street; the same seed always gives the same street."""
    rng = np.random.default_rng(seed)
    geo = build_geography(rng)
    clusters = choose_clusters(geo, rng)
    persistent = clusters[0]
    area_of = dict(zip(geo.villages["code"], geo.villages["package_area_code"], strict=True))
    namer = PersonNamer(rng)
    people, assignments = build_people(
        geo,
        turnover_grids=persistent.grid_codes[:2],
        turnover_area=area_of[persistent.grid_codes[0][:12]],
        namer=namer,
        rng=rng,
    )
    scene = Scene(geo, clusters, PartyMaker(namer, rng), rng)
    incidents, parties = assemble(
        [
            disputes.disputes(scene),
            disputes.mediations(scene),
            casework.petitions(scene),
            casework.enforcement(scene),
            services.consultations(scene),
            services.checkups(scene),
            services.publicity(scene),
            services.trainings(scene),
        ]
    )
    return DemoStreet(
        street_code=STREET_CODE,
        street_name=STREET_NAME,
        package_areas=geo.package_areas,
        villages=geo.villages,
        grids=geo.grids,
        units=geo.units,
        people=people,
        assignments=assignments,
        incidents=incidents,
        parties=parties,
        hotspots=hotspot_table(clusters, geo),
        division_valid_from=DIVISION_START,
        scene=scene,
    )
