"""The LMS application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from config import Config, ProductionConfig, config_from_env


def create_app(config: type[Config] | None = None, *, instance_path: str | None = None, **overrides) -> Flask:
    config = config or config_from_env()
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(config)
    app.config.update(overrides)
    if config is ProductionConfig:
        ProductionConfig.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(
            Path(app.instance_path), production=config is ProductionConfig
        )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config)
    if app.config["TRUST_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from lms.core import i18n, web
    from lms.core.db import init_transactions
    from lms.core.errors import register_error_handlers
    from lms.extensions import babel, csrf, db, login_manager, migrate
    from lms.storage import init_storage

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    init_storage(app)

    from lms.accounts.services import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    _register_models()
    # Before the routes are added: every <int:...> in them must fit an SQL integer.
    app.url_map.converters["int"] = web.BoundedInt
    _register_blueprints(app)
    _register_template_helpers(app)
    register_error_handlers(app)
    web.init_web(app)
    init_transactions(app)  # registered last, so it runs first: headers see its final answer

    from lms import cli

    cli.init_app(app)
    return app


def _instance_secret(instance: Path, *, production: bool) -> str:
    """A random key made once and kept in instance/secret_key, so nothing is ever signed
    with a published default. Several workers may start at once: the first to link its
    file wins and everyone reads that one."""
    path = instance / "secret_key"
    if not path.exists():
        draft = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if production:
        logging.getLogger(__name__).warning(
            "SECRET_KEY is not set: using %s. Every host behind one address needs the same key.", path
        )
    return path.read_text().strip()


def _engine_options(config) -> dict:
    """Timeouts, so a database that does not answer gives a 503 instead of hung workers."""
    options: dict = {"pool_pre_ping": True, **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        options.setdefault("pool_timeout", config["DATABASE_CONNECT_TIMEOUT"] * 2)
        options.setdefault(
            "connect_args",
            {
                "connect_timeout": config["DATABASE_CONNECT_TIMEOUT"],
                "options": f"-c statement_timeout={config['DATABASE_STATEMENT_TIMEOUT_MS']}",
            },
        )
    elif url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": config["DATABASE_CONNECT_TIMEOUT"]})
    return options


def _register_models() -> None:
    # Imported for their side effects: the tables, and the listeners of each domain.
    from lms.accounts import models as _accounts  # noqa: F401
    from lms.authoring import services as authoring
    from lms.catalog import importer
    from lms.catalog import models as _catalog  # noqa: F401
    from lms.certificates import models as _certificates  # noqa: F401
    from lms.certificates import services as _certificate_services  # noqa: F401
    from lms.competencies import models as _competencies  # noqa: F401
    from lms.competencies import services as competency_services
    from lms.core import audit as _audit  # noqa: F401
    from lms.notifications import models as _notifications  # noqa: F401
    from lms.notifications import services as _notification_services  # noqa: F401
    from lms.org import models as _org  # noqa: F401
    from lms.progress import models as _progress  # noqa: F401
    from lms.progress import services as _progress_services  # noqa: F401
    from lms.quizzes import models as _quizzes  # noqa: F401
    from lms.quizzes.part import QuizPart

    importer.register_part(QuizPart())
    importer.register_competency_codes(competency_services.known_codes)
    authoring.register_dictionary(competency_services.dictionary_choices)


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.routes import bp as accounts
    from lms.api.routes import bp as api
    from lms.authoring.routes import bp as authoring
    from lms.catalog.routes import bp as catalog
    from lms.certificates.routes import bp as certificates
    from lms.competencies.routes import bp as competencies
    from lms.core.routes import bp as core
    from lms.notifications.routes import bp as notifications
    from lms.org.routes import bp as org
    from lms.progress.routes import bp as progress
    from lms.progress.rule_routes import bp as rules
    from lms.reports.routes import bp as reports

    for blueprint in (
        core,
        accounts,
        org,
        catalog,
        authoring,
        progress,
        rules,
        competencies,
        certificates,
        notifications,
        reports,
        api,
    ):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale

    from lms.core.i18n import format_clock, format_moment

    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        format_decimal=format_decimal,
        format_clock=format_clock,
        format_moment=format_moment,
    )

    @app.context_processor
    def layout_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
