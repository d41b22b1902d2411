"""The migrations are the only way the schema changes: they must build exactly the models'
schema, and go down and up again cleanly. Runs on PostgreSQL when TEST_DATABASE_URL is set."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from lms import create_app
from lms.extensions import db


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = "lms_migrations_test"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_the_models_schema_and_go_down_and_up(scratch_url, tmp_path):
    import flask_migrate

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=scratch_url, STORAGE_LOCAL_ROOT=str(tmp_path))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations differ: {diff}"

        flask_migrate.downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        flask_migrate.upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()


def test_no_migration_creates_demo_accounts(app, ctx):
    from sqlalchemy import func, select

    from lms.accounts.models import User

    assert db.session.scalar(select(func.count(User.id))) == 0
