"""The Flask layer: HTTP in, engine calls, French pages out."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from engine.bpmn.sandbox import client as sandbox_client
from engine.core.models import MAX_ID

csrf = CSRFProtect()


class IdConverter(IntegerConverter):
    """`<int:…>` in addresses: an id the database can hold (1 to MAX_ID), else 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class WithoutNul(ImmutableMultiDict[str, Any]):
    """Query and form values without NUL characters: nobody types them, and PostgreSQL refuses
    them in text (a 500 wherever a value reaches a query). Uploaded files are left as they are."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(
            (_without_nul(key), _without_nul(value))
            for key, value in iter_multi_items(mapping or ())
        )


class InventaireRequest(Request):
    parameter_storage_class = WithoutNul


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    from web import (
        access_log,
        auth,
        database,
        errors,
        filters,
        health,
        logs,
        metrics,
        oidc,
        password_reset,  # noqa: F401 (its routes join auth's blueprint)
        quarantine,
        security_headers,
        two_factor,
    )
    from web.absences import bp as absences_bp
    from web.admin import bp as admin_bp
    from web.compte import bp as compte_bp
    from web.config import engine_settings, from_environment, with_local_defaults
    from web.demandes import bp as demandes_bp
    from web.experts import expert as expert_pages
    from web.experts import views as experts
    from web.home import bp as home_bp
    from web.instruction import bp as instruction_bp
    from web.links import WebLinks
    from web.messagerie import views as messagerie
    from web.pieces import bp as pieces_bp
    from web.registre import bp as registre_bp
    from web.seances import bp as seances_bp
    from web.statistiques import bp as statistiques_bp
    from web.studio import bp as studio_bp

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.request_class = InventaireRequest
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    with_local_defaults(app.config, app.instance_path)
    # The engine's settings, once: the database's sessions carry them, the worker is given them.
    app.extensions["engine_settings"] = engine_settings(
        app.config, WebLinks(app.url_map, app.config["BASE_URL"])
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    database.init_app(app)
    metrics.init_app(app)
    access_log.init_app(app)
    auth.init_app(app)
    two_factor.init_app(app)
    oidc.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    security_headers.init_app(app)
    quarantine.init_app(app)
    messagerie.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    from web import api

    api.init_app(app)
    # The first diagram code of the server's life need not wait for a sandbox process to start.
    sandbox_client.warm()
    for blueprint in (
        home_bp,
        auth.bp,
        demandes_bp,
        instruction_bp,
        pieces_bp,
        messagerie.bp,
        experts.bp,
        expert_pages.bp,
        admin_bp,
        absences_bp,
        compte_bp,
        studio_bp,
        registre_bp,
        statistiques_bp,
        seances_bp,
        health.bp,
    ):
        app.register_blueprint(blueprint)
    return app
