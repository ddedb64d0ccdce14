"""Petitions (信访) and administrative enforcement (行政执法) of 2023.

Petitions: registered → accepted (decided within 15 days) → handled (within 60 days of receipt,
so due_at = occurred_at + 60 days) → closed. About 80 first petitions, a few of whose
petitioners come back one to four months later (repeat petitions, same person, same issue);
six old cases from the first half of the year are still open at the end of it, long past their
deadline: the backlog (积案) the 2024 plan promises to clear. Land-acquisition petitions come
largely from the persistent acquisition hotspot: disputes not solved at the source become
petitions.

Enforcement: opened → investigated → decided → closed, decided within 90 days of opening
(行政处罚法 art. 60). City management concentrates in the towns, environment in the villages
(straw burning after the May and October harvests), work safety everywhere (peaks before
Spring Festival and in the summer heat).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import texts
from .incidents import Scene, frame
from .timeline import SNAPSHOT, days, moments, months_from_profile

FIRST_PETITIONS = 80
REPEATERS = 8
BACKLOG = 6
PETITION_DAYS = 60
DECISION_DAYS = 15
PETITION_SHARE = {
    "acquisition": 0.2,
    "rural_affairs": 0.26,
    "social_security": 0.15,
    "construction": 0.12,
    "environment": 0.1,
    "law": 0.09,
    "other": 0.08,
}
CHANNELS = {"来访": 0.45, "网上": 0.25, "电话": 0.2, "来信": 0.1}
FROM_HOTSPOT = 0.5  # share of acquisition petitions coming from the persistent hotspot

ENFORCEMENT_COUNTS = {"city_management": 66, "work_safety": 46, "environment": 38}
ENFORCEMENT_SEASON = {
    "city_management": (1.4, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3, 1.2, 1.0, 1.2),
    "work_safety": (1.6, 1.4, 1.0, 1.0, 1.0, 1.2, 1.4, 1.2, 1.0, 1.0, 1.0, 1.4),
    "environment": (0.6, 0.6, 0.8, 1.0, 1.7, 1.8, 1.0, 0.8, 1.0, 1.8, 1.6, 0.8),
}
ENFORCEMENT_TOWN_FACTOR = {"city_management": 6.0, "work_safety": 1.0, "environment": 0.2}
ACTIONS = {"检查": (0.45, (1, 3)), "责令整改": (0.35, (7, 30)), "行政处罚": (0.2, (20, 80))}
DECISION_LIMIT_DAYS = 90


def petitions(scene: Scene) -> pd.DataFrame:
    first = first_petitions(scene)
    table = pd.concat([first, repeat_petitions(scene, first)], ignore_index=True)
    table = table.sort_values("occurred_at", ignore_index=True)
    status, closed = petition_progress(pd.DatetimeIndex(table["occurred_at"]), scene.rng)
    lon, lat = scene.locate(table["unit"].to_numpy())
    titled = [
        texts.petition_text(c, scene.village_name[scene.village_of[u]], r, scene.rng)
        for c, u, r in zip(table["category"], table["unit"], table["repeat"], strict=True)
    ]
    return frame(
        "petition",
        category=table["category"],
        status=status,
        title=[t for t, _ in titled],
        description=[d for _, d in titled],
        lon=lon,
        lat=lat,
        occurred_at=table["occurred_at"],
        reported_at=table["occurred_at"],
        due_at=pd.DatetimeIndex(table["occurred_at"]) + pd.Timedelta(days=PETITION_DAYS),
        closed_at=closed,
        details=[
            {"channel": ch, "repeat": bool(r)}
            for ch, r in zip(table["channel"], table["repeat"], strict=True)
        ],
        parties=table["parties"],
    )


def first_petitions(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    categories = rng.choice(
        list(PETITION_SHARE), size=FIRST_PETITIONS, p=np.array(list(PETITION_SHARE.values()))
    )
    hotspot = np.isin(scene.grid_of, scene.clusters[0].grid_codes)
    units = scene.draw_units(FIRST_PETITIONS, town_factor=0.8)
    moved = (categories == "acquisition") & (rng.random(FIRST_PETITIONS) < FROM_HOTSPOT)
    units[moved] = scene.draw_units(int(moved.sum()), within=hotspot)
    return pd.DataFrame(
        {
            "category": categories,
            "unit": units,
            "occurred_at": moments(rng.integers(1, 13, FIRST_PETITIONS), rng),
            "channel": rng.choice(list(CHANNELS), size=FIRST_PETITIONS, p=list(CHANNELS.values())),
            "repeat": False,
            "parties": [scene.parties.petition() for _ in range(FIRST_PETITIONS)],
        }
    )


def repeat_petitions(scene: Scene, first: pd.DataFrame) -> pd.DataFrame:
    """Returning petitioners: the same people and issue, one or two more times."""
    rng = scene.rng
    early = first[first["occurred_at"] < pd.Timestamp("2023-09-01", tz=SNAPSHOT.tz)]
    chosen = early.iloc[rng.choice(len(early), size=REPEATERS, replace=False)]
    rows = []
    for row in chosen.itertuples():
        when = row.occurred_at
        for _ in range(int(rng.integers(1, 3))):
            when = when + pd.Timedelta(days=float(rng.uniform(30, 110)))
            if when >= SNAPSHOT:
                break
            rows.append(
                {
                    "category": row.category,
                    "unit": row.unit,
                    "occurred_at": when,
                    "channel": str(rng.choice(list(CHANNELS))),
                    "repeat": True,
                    "parties": [dict(p) for p in row.parties],
                }
            )
    return pd.DataFrame(rows)


def petition_progress(
    occurred: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Status at the end of 2023 and closing time of each petition (sorted by time).

    Ordinary petitions close 10–58 days after receipt, so none of them is ever overdue; the
    backlog is drawn from the first half of the year and left open.
    """
    n = len(occurred)
    closing = occurred + days(rng.uniform(10, 58, n))
    elapsed = (SNAPSHOT - occurred) / pd.Timedelta(days=1)
    status = np.where(
        elapsed < 1, "registered", np.where(elapsed < DECISION_DAYS, "accepted", "handled")
    ).astype(object)
    status[np.asarray(closing < SNAPSHOT)] = "closed"
    first_half = np.flatnonzero(np.asarray(occurred < pd.Timestamp("2023-07-01", tz=SNAPSHOT.tz)))
    backlog = rng.choice(first_half, size=BACKLOG, replace=False)
    status[backlog] = np.resize(["accepted", "handled"], BACKLOG)
    return status, closing.where(status == "closed")


def enforcement(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    parts = []
    for category, count in ENFORCEMENT_COUNTS.items():
        months = months_from_profile(ENFORCEMENT_SEASON[category], count, rng)
        parts.append(
            pd.DataFrame(
                {
                    "category": category,
                    "unit": scene.draw_units(count, ENFORCEMENT_TOWN_FACTOR[category]),
                    "occurred_at": moments(months, rng),
                    "action": rng.choice(
                        list(ACTIONS), size=count, p=[p for p, _ in ACTIONS.values()]
                    ),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    opened = pd.DatetimeIndex(table["occurred_at"])
    span = np.array([rng.uniform(*ACTIONS[a][1]) for a in table["action"]])
    status, closed = enforcement_progress(opened, span)
    lon, lat = scene.locate(table["unit"].to_numpy())
    written = [
        texts.enforcement_text(c, scene.place(u), a, rng)
        for c, u, a in zip(table["category"], table["unit"], table["action"], strict=True)
    ]
    return frame(
        "enforcement",
        category=table["category"],
        status=status,
        title=[t for t, _, _ in written],
        description=[d for _, d, _ in written],
        lon=lon,
        lat=lat,
        occurred_at=opened,
        reported_at=opened,
        due_at=opened + pd.Timedelta(days=DECISION_LIMIT_DAYS),
        closed_at=closed,
        details=[
            {"action": a, "legal_basis": b}
            for a, (_, _, b) in zip(table["action"], written, strict=True)
        ],
    )


def enforcement_progress(
    opened: pd.DatetimeIndex, span: np.ndarray
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Status at the end of 2023: by how far through its expected span each case has got."""
    closing = opened + days(span)
    progress = ((SNAPSHOT - opened) / pd.Timedelta(days=1)) / span
    status = np.select(
        [progress >= 1, progress >= 0.7, progress >= 0.3],
        ["closed", "decided", "investigated"],
        "opened",
    ).astype(object)
    return status, closing.where(status == "closed")
