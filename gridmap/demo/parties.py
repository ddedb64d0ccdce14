"""Parties to disputes, mediations and petitions: invented residents of the street.

Every party has a name (unique in the demo, so the same name means the same person), an
18-digit ID number and a phone. A repeat petition names the same petitioner as the first.
"""

from __future__ import annotations

import numpy as np

from . import identity
from .names import PersonNamer


class PartyMaker:
    def __init__(self, namer: PersonNamer, rng: np.random.Generator) -> None:
        self.namer = namer
        self.rng = rng

    def person(self, role: str, clan: str | None = None) -> dict:
        gender = identity.gender(self.rng, 0.55)
        return {
            "role": role,
            "name": self.namer(gender, clan),
            "id_number": identity.id_number(gender, self.rng, age=(22, 78)),
            "phone": identity.phone(self.rng),
        }

    def dispute(self, category: str) -> list[dict]:
        """One or two 当事人; family quarrels are often within one clan."""
        first = self.person("当事人")
        if self.rng.random() < 0.35:
            return [first]
        clan = first["name"][0] if category == "family" and self.rng.random() < 0.6 else None
        return [first, self.person("当事人", clan)]

    def mediation(self) -> list[dict]:
        """The applicant and the respondent of a people's mediation case."""
        return [self.person("当事人"), self.person("被申请人")]

    def petition(self) -> list[dict]:
        """One petitioner, sometimes two signing together."""
        count = 2 if self.rng.random() < 0.15 else 1
        return [self.person("信访人") for _ in range(count)]
