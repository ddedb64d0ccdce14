"""gridmap: grid-governance maps for a Chinese street office (街道网格化治理地图)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

__version__ = "0.1.0"
STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory: settings, database pool, sign-in and access rules, blueprints,
    error pages."""
    from flask_wtf.csrf import CSRFProtect

    from gridmap.center.analysis import Analyst
    from gridmap.core import clock, config
    from gridmap.geo.placement import Placement
    from gridmap.store import db
    from gridmap.web import (
        access,
        admin,
        api,
        audit,
        basemap,
        board,
        cases,
        casework,
        center,
        compress,
        errors,
        exports,
        field,
        incidents_api,
        jsonout,
        open311,
        overview,
        planner,
        planner_api,
        referrals,
        security,
        signin,
        tiles,
        users,
    )

    app = Flask(
        __name__,
        static_folder=str(STATIC),
        static_url_path="/static",
        template_folder="web/templates",
    )
    app.config.update(config.load(test_config))
    app.json = jsonout.BeijingJSON(app)
    app.jinja_env.filters["local"] = clock.local
    app.jinja_env.filters["day"] = lambda v: clock.local(v).strftime("%Y-%m-%d") if v else ""
    app.jinja_env.filters["day_words"] = clock.day_words
    app.jinja_env.filters["deadline"] = clock.deadline_words  # 2026-11-16 24:00 前
    app.jinja_env.filters["minute"] = lambda v: (
        clock.local(v).strftime("%Y-%m-%d %H:%M") if v else ""
    )
    if app.config["DEMO"]:  # the demo's one way in: its accounts listed on the sign-in page
        from gridmap.demo import accounts as demo_accounts

        app.extensions["gridmap.sign_in_accounts"] = demo_accounts.listed
    db.init_app(app)
    app.extensions["gridmap.placement"] = Placement()
    app.extensions["gridmap.analyst"] = Analyst()
    errors.init_app(app)
    users.init_app(app)  # before access: an expired session is over before it is checked
    access.init_app(app)
    CSRFProtect(app)  # every form and state-changing API call carries the session's token
    security.init_app(app)
    compress.init_app(app)
    basemap.init_app(app)  # the street's tile file, if TILES names one: opened now
    app.register_blueprint(signin.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(center.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(casework.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(incidents_api.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(field.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(planner_api.bp)
    app.register_blueprint(tiles.bp)
    return app
