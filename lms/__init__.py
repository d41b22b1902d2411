"""The LMS application factory."""

from __future__ import annotations

import logging
import os

from flask import Flask

from config import Config, ProductionConfig, config_from_env


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    config = config or config_from_env()
    if config is ProductionConfig:
        ProductionConfig.check()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config)
    if config is ProductionConfig:
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUST_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from lms.core import i18n, web
    from lms.core.errors import register_error_handlers
    from lms.extensions import babel, csrf, db, login_manager, migrate
    from lms.storage import init_storage

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    init_storage(app)

    from lms.accounts.services import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    _register_models()
    _register_blueprints(app)
    _register_template_helpers(app)
    register_error_handlers(app)
    web.init_web(app)

    from lms import cli

    cli.init_app(app)
    return app


def _register_models() -> None:
    # Imported for their side effects: the tables, and the listeners of each domain.
    from lms.accounts import models as _accounts  # noqa: F401
    from lms.catalog import importer
    from lms.catalog import models as _catalog  # noqa: F401
    from lms.certificates import models as _certificates  # noqa: F401
    from lms.certificates import services as _certificate_services  # noqa: F401
    from lms.competencies import models as _competencies  # noqa: F401
    from lms.competencies import services as competency_services
    from lms.org import models as _org  # noqa: F401
    from lms.progress import models as _progress  # noqa: F401
    from lms.progress import services as _progress_services  # noqa: F401
    from lms.quizzes import models as _quizzes  # noqa: F401
    from lms.quizzes.importer import KuisPart

    importer.register_part(KuisPart())
    importer.register_competency_codes(competency_services.known_codes)


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.routes import bp as accounts
    from lms.catalog.routes import bp as catalog
    from lms.certificates.routes import bp as certificates
    from lms.competencies.routes import bp as competencies
    from lms.core.routes import bp as core
    from lms.progress.routes import bp as progress
    from lms.reports.routes import bp as reports

    for blueprint in (core, accounts, catalog, progress, competencies, certificates, reports):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale

    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        format_decimal=format_decimal,
    )

    @app.context_processor
    def layout_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
