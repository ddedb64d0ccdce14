"""The case page's rendering, shared by the blueprint that shows a case (gridmap.web.cases)
and the one that acts on it (gridmap.web.casework), which shows the page again with a refusal."""

from __future__ import annotations

from flask import current_app, render_template

from gridmap.web import mapping


def render(shown: dict, full: bool, refusal: str | None = None):
    """The case page, with its small map: the base map as configured (or a plain background),
    fitted to the case's grid; static/case.js draws the grid and the point from the page's
    data."""
    m = mapping.new_map(current_app.config, shown["place"]["bounds"])
    return render_template(
        "case.html",
        **shown,
        full=full,
        refusal=refusal,
        map=mapping.components(m, control=False),
    )
