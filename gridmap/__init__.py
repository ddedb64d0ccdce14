"""gridmap: grid-governance maps for a Chinese street office (街道网格化治理地图)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

__version__ = "0.1.0"
STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory: settings, database pool, blueprints, error pages."""
    from gridmap import clock, config, db
    from gridmap.analysis import Analyst
    from gridmap.placement import Placement
    from gridmap.web import api, center, compress, errors, overview

    app = Flask(
        __name__,
        static_folder=str(STATIC),
        static_url_path="/static",
        template_folder="web/templates",
    )
    app.config.update(config.load(test_config))
    app.json.ensure_ascii = False
    app.jinja_env.filters["local"] = clock.local
    db.init_app(app)
    app.extensions["gridmap.placement"] = Placement()
    app.extensions["gridmap.analyst"] = Analyst()
    errors.init_app(app)
    compress.init_app(app)
    app.register_blueprint(overview.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(center.bp)
    return app
