"""Legal services of 2023, as the street reports them: exactly 25 legal consultations, about 20
法治体检 (legal check-ups of villages), 17 legal-publicity events and 15 enforcement trainings.

Consultations and check-ups happen at the village committee's office, where the village's
legal adviser sits on duty; publicity events at village and community offices (the Civil Code
in May, its publicity month; the Constitution around 4 December); trainings at the street
office, the seat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import texts
from .boundary import SEAT_LAT, SEAT_LON
from .incidents import Scene, frame
from .timeline import hours, moments

CONSULTATIONS = {
    "family": 6,
    "land": 5,
    "labour": 4,
    "contract": 4,
    "neighbour": 2,
    "acquisition": 2,
    "damage": 1,
    "other": 1,
}
CHECKUPS = 20
#: Publicity events by category and month.
PUBLICITY_MONTHS = {
    "civil_code": (5, 5, 5, 9, 11),
    "constitution": (3, 12, 12),
    "anti_fraud": (2, 4, 7, 8, 10),
    "other": (3, 4, 6, 11),
}
TRAINING_MONTHS = (1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12)
CONSULT_CHANNELS = ("驻村坐班", "驻村坐班", "电话", "微信")


def _done(kind: str, start: pd.DatetimeIndex, length_hours, **columns) -> pd.DataFrame:
    return frame(
        kind,
        status="done",
        occurred_at=start,
        reported_at=start,
        closed_at=start + hours(length_hours),
        **columns,
    )


def consultations(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    categories = np.repeat(list(CONSULTATIONS), list(CONSULTATIONS.values()))
    villages = rng.choice(list(scene.offices), size=len(categories), replace=False)
    topics = [texts.pick(texts.DISPUTE_TOPICS[c], rng) for c in categories]
    names = [scene.village_name[v] for v in villages]
    return _done(
        "legal_consultation",
        moments(rng.integers(1, 13, len(categories)), rng),
        rng.uniform(0.5, 2, len(categories)),
        category=categories,
        title=[f"{n}法律顾问解答{t}问题" for n, t in zip(names, topics, strict=True)],
        description=[
            f"法律顾问为{n}群众解答{t}相关法律问题，提出处理建议。"
            for n, t in zip(names, topics, strict=True)
        ],
        lon=[scene.offices[v][0] for v in villages],
        lat=[scene.offices[v][1] for v in villages],
        details=[{"channel": texts.pick(CONSULT_CHANNELS, rng)} for _ in categories],
    )


def checkups(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    villages = rng.choice(
        [v for v in scene.offices if scene.village_kind[v] == "村"], size=CHECKUPS, replace=False
    )
    reviewed = rng.integers(3, 16, CHECKUPS)
    issues = np.minimum(rng.poisson(1.5, CHECKUPS), reviewed)
    names = [scene.village_name[v] for v in villages]
    return _done(
        "legal_checkup",
        moments(rng.integers(3, 12, CHECKUPS), rng),
        rng.uniform(2, 4, CHECKUPS),
        category="village",
        title=[f"{n}法治体检" for n in names],
        description=[
            f"法律顾问对{n}村规民约和集体经济合同开展法治体检，审查合同{r}份，发现问题{i}项。"
            for n, r, i in zip(names, reviewed, issues, strict=True)
        ],
        lon=[scene.offices[v][0] for v in villages],
        lat=[scene.offices[v][1] for v in villages],
        details=[
            {"contracts_reviewed": int(r), "issues_found": int(i)}
            for r, i in zip(reviewed, issues, strict=True)
        ],
    )


def publicity(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    categories = np.repeat(list(PUBLICITY_MONTHS), [len(m) for m in PUBLICITY_MONTHS.values()])
    months = np.concatenate([np.array(m) for m in PUBLICITY_MONTHS.values()])
    villages = rng.choice(list(scene.offices), size=len(categories), replace=False)
    topics = [texts.pick(texts.PUBLICITY_TOPICS[c], rng) for c in categories]
    forms = [texts.pick(texts.PUBLICITY_FORMS, rng) for _ in categories]
    audience = rng.integers(40, 300, len(categories))
    names = [scene.village_name[v] for v in villages]
    return _done(
        "legal_publicity",
        moments(months, rng),
        rng.uniform(1.5, 3, len(categories)),
        category=categories,
        title=[f"{n}开展{t}" for n, t in zip(names, topics, strict=True)],
        description=[
            f"在{n}以{f}形式开展{t}，受众约{a}人。"
            for n, t, f, a in zip(names, topics, forms, audience, strict=True)
        ],
        lon=[scene.offices[v][0] for v in villages],
        lat=[scene.offices[v][1] for v in villages],
        details=[{"audience": int(a), "format": f} for a, f in zip(audience, forms, strict=True)],
    )


def trainings(scene: Scene) -> pd.DataFrame:
    rng = scene.rng
    n = len(TRAINING_MONTHS)
    topics = [texts.TRAINING_TOPICS[i % len(texts.TRAINING_TOPICS)] for i in range(n)]
    participants = rng.integers(20, 61, n)
    return _done(
        "enforcement_training",
        moments(np.array(TRAINING_MONTHS), rng),
        rng.uniform(2, 4, n),
        category="training",
        title=[f"街道{t}" for t in topics],
        description=[
            f"街道组织执法人员参加{t}，{p}人参训。"
            for t, p in zip(topics, participants, strict=True)
        ],
        lon=SEAT_LON,
        lat=SEAT_LAT,
        details=[
            {"participants": int(p), "topic": t} for p, t in zip(participants, topics, strict=True)
        ],
    )
