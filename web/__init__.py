"""The Flask layer: HTTP in, engine calls, French pages out."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from web import auth, database, errors, filters
    from web.admin import bp as admin_bp
    from web.config import from_environment
    from web.demandes import bp as demandes_bp
    from web.home import bp as home_bp
    from web.instruction import bp as instruction_bp
    from web.pieces import bp as pieces_bp

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    database.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for blueprint in (home_bp, auth.bp, demandes_bp, instruction_bp, pieces_bp, admin_bp):
        app.register_blueprint(blueprint)
    return app
