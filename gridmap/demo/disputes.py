"""Disputes (矛盾纠纷) and people's mediation cases (人民调解案件) of 2023.

Calibrated to the street's report: exactly 700 disputes resolved in 2023, plus 15 referred
elsewhere and 6 still open at the end of the year (the most recent ones); 42 mediation cases
with 41 agreements (98 %). The planted hotspot disputes are part of the 721, not extra.

Background disputes follow households (a unit with twice the households has twice the
quarrels) and the farming and festival calendar:

* family and neighbour quarrels peak around Spring Festival (22 January 2023), when migrant
  workers come home and families crowd together;
* land disputes peak at spring planting (March–May) and after the rice harvest (Sept–Nov);
* labour disputes peak before Spring Festival, when unpaid wages are settled;
* damage claims (crops eaten by livestock, floods, traffic) peak in summer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import texts
from .incidents import Scene, frame
from .timeline import before_snapshot, days, hours, moments, months_exact, months_from_profile

RESOLVED, REFERRED, STILL_OPEN = 700, 15, 6
TOTAL = RESOLVED + REFERRED + STILL_OPEN
RESPONSE_DAYS = 30  # a dispute is to be settled within a month of being found
SHARE = {
    "neighbour": 0.24,
    "family": 0.20,
    "land": 0.17,
    "damage": 0.10,
    "labour": 0.08,
    "contract": 0.08,
    "acquisition": 0.05,
    "other": 0.08,
}
SEASON = {
    "family": (3.0, 2.6, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.0, 1.4),
    "neighbour": (1.8, 1.6, 1.0, 0.9, 1.0, 1.1, 1.2, 1.1, 0.9, 0.9, 0.9, 1.2),
    "land": (0.6, 0.7, 1.8, 2.2, 1.8, 1.0, 0.6, 0.6, 1.2, 1.6, 1.3, 0.6),
    "labour": (2.0, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.4, 2.4),
    "damage": (0.7, 0.7, 0.9, 1.0, 1.2, 1.4, 1.5, 1.4, 1.1, 0.9, 0.7, 0.6),
}
FLAT = (1.0,) * 12
#: Estates see few land quarrels and more labour and contract ones than villages do.
TOWN_FACTOR = {"land": 0.1, "acquisition": 0.3, "labour": 1.5, "contract": 1.3}
#: How likely a dispute is to be referred elsewhere rather than settled locally.
REFERRAL_WEIGHT = {"acquisition": 3.0, "labour": 2.5, "contract": 2.0, "land": 1.5}
MEDIATION_MIX = {
    "neighbour": 12,
    "family": 10,
    "land": 8,
    "damage": 5,
    "contract": 3,
    "labour": 2,
    "acquisition": 1,
    "other": 1,
}


def disputes(scene: Scene) -> pd.DataFrame:
    planted = [planted_skeleton(scene, cluster) for cluster in scene.clusters]
    background = background_skeleton(scene, TOTAL - sum(len(p) for p in planted))
    return settle(scene, pd.concat([background, *planted], ignore_index=True))


def background_skeleton(scene: Scene, n: int) -> pd.DataFrame:
    """Category, unit and moment of the ordinary disputes."""
    categories = scene.rng.choice(list(SHARE), size=n, p=np.array(list(SHARE.values())))
    parts = []
    for category in SHARE:
        count = int((categories == category).sum())
        months = months_from_profile(SEASON.get(category, FLAT), count, scene.rng)
        parts.append(
            pd.DataFrame(
                {
                    "category": category,
                    "unit": scene.draw_units(count, TOWN_FACTOR.get(category, 1.0)),
                    "occurred_at": moments(months, scene.rng),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def planted_skeleton(scene: Scene, cluster) -> pd.DataFrame:
    """The extra disputes of one hotspot: its category, in its grids, month by month."""
    months = months_exact(list(cluster.plant.monthly))
    inside = np.isin(scene.grid_of, cluster.grid_codes)
    return pd.DataFrame(
        {
            "category": cluster.plant.category,
            "unit": scene.draw_units(len(months), within=inside),
            "occurred_at": moments(months, scene.rng),
        }
    )


def settle(scene: Scene, skeleton: pd.DataFrame) -> pd.DataFrame:
    """Statuses, the workflow's times, texts and parties."""
    rng = scene.rng
    skeleton = skeleton.sort_values("occurred_at", ignore_index=True)
    occurred = pd.DatetimeIndex(skeleton["occurred_at"])
    reported = before_snapshot(
        occurred, hours(np.minimum(rng.exponential(10, len(occurred)), 72)), rng
    )
    status = dispute_statuses(skeleton["category"].to_numpy(), rng)
    spent = np.where(
        status == "referred",
        rng.uniform(5, 25, len(status)),
        np.minimum(rng.gamma(2.0, 3.5, len(status)), 28),
    )
    closed = before_snapshot(reported, days(spent), rng)
    final = np.isin(status, ["resolved", "referred"])
    lon, lat = scene.locate(skeleton["unit"].to_numpy())
    titles, descriptions, sources = [], [], []
    for unit, category, state in zip(skeleton["unit"], skeleton["category"], status, strict=True):
        title, text, source = texts.dispute_text(category, scene.place(unit), rng)
        titles.append(title)
        descriptions.append(f"{text}{texts.dispute_outcome(state, category)}")
        sources.append({"source": source})
    return frame(
        "dispute",
        category=skeleton["category"],
        status=status,
        title=titles,
        description=descriptions,
        lon=lon,
        lat=lat,
        occurred_at=occurred,
        reported_at=reported,
        due_at=reported + pd.Timedelta(days=RESPONSE_DAYS),
        closed_at=closed.where(final),
        details=sources,
        parties=[scene.parties.dispute(c) for c in skeleton["category"]],
    )


def dispute_statuses(categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Statuses of disputes sorted by time: the last few open, some referred, the rest resolved."""
    status = np.full(len(categories), "resolved", dtype=object)
    status[-STILL_OPEN:] = "mediating"
    status[-(STILL_OPEN // 2) :] = "found"
    closed = np.arange(len(categories) - STILL_OPEN)
    weight = np.array([REFERRAL_WEIGHT.get(c, 1.0) for c in categories[closed]])
    status[rng.choice(closed, size=REFERRED, replace=False, p=weight / weight.sum())] = "referred"
    if (status == "resolved").sum() != RESOLVED:
        raise RuntimeError("dispute calibration is off")
    return status


def mediations(scene: Scene) -> pd.DataFrame:
    """The 42 people's mediation cases: 41 agreements and one failure."""
    rng = scene.rng
    categories = np.repeat(list(MEDIATION_MIX), list(MEDIATION_MIX.values()))
    months = np.array(
        [months_from_profile(SEASON.get(c, FLAT)[:11], 1, rng)[0] for c in categories]
    )
    occurred = moments(months, rng)
    accepted = before_snapshot(occurred, days(rng.uniform(1, 5, len(occurred))), rng)
    closed = before_snapshot(accepted, days(rng.uniform(3, 25, len(occurred))), rng)
    status = np.full(len(categories), "agreement", dtype=object)
    status[int(np.flatnonzero(categories == "land")[0])] = "no_agreement"
    units = scene.draw_units(len(categories), town_factor=0.5)
    lon, lat = scene.locate(units)
    texts_ = [
        texts.mediation_text(c, scene.village_name[scene.village_of[u]], s == "agreement", rng)
        for c, u, s in zip(categories, units, status, strict=True)
    ]
    details = [
        {"agreement_form": texts.pick(("书面", "书面", "口头"), rng)}
        if s == "agreement"
        else {"advice": "引导通过诉讼解决"}
        for s in status
    ]
    return frame(
        "mediation",
        category=categories,
        status=status,
        title=[t for t, _ in texts_],
        description=[d for _, d in texts_],
        lon=lon,
        lat=lat,
        occurred_at=occurred,
        reported_at=accepted,
        due_at=accepted + pd.Timedelta(days=RESPONSE_DAYS),
        closed_at=closed,
        details=details,
        parties=[scene.parties.mediation() for _ in status],
    )
