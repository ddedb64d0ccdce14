"""What a request may see: the street, and within it the areas the signed-in person answers for.

The scope comes from the signed-in person (gridmap.web.users), never from the URL, and every
data-layer call that reads incidents, parties or people takes it. The filters say what was
asked; the scope says what is allowed. A person of the six-level chain answers for the
package areas, villages, units and grids of their assignments in force at the moment of asking,
matched against each incident's placement snapshot (the grid and people of its time), so that
ending an assignment changes what they see with nothing else to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

# The scope of each level of the chain, as the role table names it (migration 0001), and the
# snapshot column of an incident it is matched against.
LEVELS = {
    "package_area": "package_area_code",
    "village": "village_code",
    "unit": "unit_code",
    "grid": "grid_code",
}


@dataclass(frozen=True)
class Scope:
    street_code: str
    whole: bool = False  # the whole street (the governance center; trusted commands)
    areas: dict[str, frozenset[str]] = field(default_factory=dict)  # level → codes
    label: str = ""  # what to call it on a page (e.g. 东片区)
    # The roles the person acts in (the chain's role codes, or 'center'): which moves of a
    # workflow they may make (workflow_transition.roles).
    duties: frozenset[str] = frozenset()

    @classmethod
    def street(cls, street_code: str) -> Scope:
        """The whole street: the center, and the trusted writers (demo, loader, commands)."""
        return cls(street_code, whole=True, label="全街道", duties=frozenset({"center"}))

    @classmethod
    def of_areas(
        cls,
        street_code: str,
        areas: dict[str, set[str]],
        label: str = "",
        duties: set[str] | frozenset[str] = frozenset(),
    ) -> Scope:
        unknown = set(areas) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown scope levels: {sorted(unknown)}")
        return cls(
            street_code,
            areas={k: frozenset(v) for k, v in areas.items() if v},
            label=label,
            duties=frozenset(duties),
        )

    @property
    def empty(self) -> bool:
        """Nothing at all: a person with no assignment in force."""
        return not self.whole and not any(self.areas.values())

    @property
    def by_unit(self) -> bool:
        """Whether some area is a unit (the tallies, kept per grid, cannot answer for it)."""
        return bool(self.areas.get("unit"))

    def where(self, alias: str = "i") -> tuple[sql.Composable, dict]:
        """A condition on incident rows (``alias``) and its parameters: the street, and within
        it the allowed areas: the incident's snapshot codes, or, for a case handed over to
        another grid when a plan was published (移交, migration 0020), the codes of the grid
        now handling it. History (the snapshot) is unchanged; responsibility moved."""
        return self._condition(alias, LEVELS, handled=True)

    def tally_where(self, alias: str = "t") -> tuple[sql.Composable, dict]:
        """The same condition on tally rows (which carry package area, village and grid)."""
        if self.by_unit:
            raise ValueError("the tallies cannot answer for a unit; count the incidents")
        return self._condition(alias, {k: v for k, v in LEVELS.items() if k != "unit"})

    def area_where(self, alias: str = "g") -> tuple[sql.Composable, dict]:
        """The same condition on grid rows (``alias`` with street_code, code, village_code and
        package_area_code): the grids wholly inside the scope (none for a scope of units)."""
        return self._condition(
            alias,
            {"grid": "code", "village": "village_code", "package_area": "package_area_code"},
            levels=("grid", "village", "package_area"),
        )

    def _condition(
        self,
        alias: str,
        columns: dict[str, str],
        levels: tuple[str, ...] | None = None,
        handled: bool = False,
    ) -> tuple[sql.Composable, dict]:
        table = sql.Identifier(alias)
        street = sql.SQL("{}.street_code = %(scope_street)s").format(table)
        params: dict = {"scope_street": self.street_code}
        if self.whole:
            return street, params
        parts = []
        for level, codes in sorted(self.areas.items()):
            if levels is not None and level not in levels:
                continue
            name = f"scope_{level}"
            column = sql.SQL("{}.{}").format(table, sql.Identifier(columns[level]))
            if handled:
                handler = sql.Identifier("handler_" + columns[level])
                column = sql.SQL("COALESCE({}.{}, {})").format(table, handler, column)
            parts.append(sql.SQL("{} = ANY(%({})s)").format(column, sql.SQL(name)))
            params[name] = sorted(codes)
        if not parts:
            return sql.SQL("false"), params
        return sql.SQL("({} AND ({}))").format(street, sql.SQL(" OR ").join(parts)), params

    def allows_grid(self, grid: dict) -> bool:
        """Whether a whole grid (its code, village code and package area code) is inside the
        scope. A unit's scope holds no whole grid: a grid holds other units' incidents too."""
        if self.whole:
            return True
        return (
            grid.get("code") in self.areas.get("grid", ())
            or grid.get("village_code") in self.areas.get("village", ())
            or grid.get("package_area_code") in self.areas.get("package_area", ())
        )
