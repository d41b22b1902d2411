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


def test_upgrading_rekeys_stored_options_and_carries_attempts_over(scratch_url, tmp_path):
    """Quizzes imported before option ids were random get random ids; every attempt's
    layout and answers follow, so it reads and grades exactly as before."""
    import json

    import flask_migrate

    from lms.quizzes import grading

    questions = [
        {
            "id": "q1",
            "type": "single",
            "points": 1,
            "text": "?",
            "html": "?",
            "feedback": "",
            "options": [
                {"id": "a", "text": "A", "html": "A", "correct": True, "feedback": ""},
                {"id": "b", "text": "B", "html": "B", "correct": False, "feedback": ""},
            ],
        },
        {
            "id": "q2",
            "type": "multiple",
            "points": 1,
            "text": "?",
            "html": "?",
            "feedback": "",
            "options": [
                {"id": "a", "text": "A", "html": "A", "correct": True, "feedback": ""},
                {"id": "b", "text": "B", "html": "B", "correct": True, "feedback": ""},
                {"id": "c", "text": "C", "html": "C", "correct": False, "feedback": ""},
            ],
        },
    ]
    answers = {"q1": "b", "q2": ["a", "b"]}
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=scratch_url, STORAGE_LOCAL_ROOT=str(tmp_path))
    with app.app_context():
        flask_migrate.upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO unit_kerja (id, kode, nama, jenis) VALUES (1, 'U', 'U', 'upt')"))
            conn.execute(
                text(
                    "INSERT INTO pegawai (id, nip, nama, status_asn, unit_id, aktif, created_at) "
                    "VALUES (1, '199203152019032001', 'P', 'PNS', 1, true, '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO kursus (id, slug, title, summary, description_html, audience, jp, minutes, status, "
                    "version, content_hash, media, created_at, updated_at) VALUES (1, 'k', 'K', '', '', '', 1, 0, "
                    "'published', 1, '', '{}', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO kuis (id, kursus_id, created_at) VALUES (1, 1, '2026-01-01')"))
            conn.execute(
                text(
                    "INSERT INTO kuis_version (id, kuis_id, number, title, pass_mark, max_attempts, "
                    "time_limit_minutes, shuffle_questions, shuffle_options, feedback, questions, content_hash, "
                    "created_at) VALUES (1, 1, 1, 'Q', 50, 0, 0, false, true, 'after_pass', :q, 'h', '2026-01-01')"
                ),
                {"q": json.dumps(questions)},
            )
            conn.execute(
                text(
                    "INSERT INTO attempt (id, pegawai_id, kuis_id, kuis_version_id, number, status, started_at, "
                    "layout, answers, late) VALUES ('00000000-0000-4000-8000-000000000001', 1, 1, 1, 1, 'submitted', "
                    "'2026-01-01', :layout, :answers, false)"
                ),
                {
                    "layout": json.dumps(
                        [{"id": "q2", "options": ["c", "a", "b"]}, {"id": "q1", "options": ["b", "a"]}]
                    ),
                    "answers": json.dumps(answers),
                },
            )
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            stored, feedback = conn.execute(text("SELECT questions, feedback FROM kuis_version")).one()
            layout, kept = conn.execute(text("SELECT layout, answers FROM attempt")).one()
        stored, layout, kept = (json.loads(v) if isinstance(v, str) else v for v in (stored, layout, kept))
        assert feedback == "keys"
        new_ids = {q["id"]: [o["id"] for o in q["options"]] for q in stored}
        assert all(len(i) == 8 and i not in "abc" for ids in new_ids.values() for i in ids)
        letters = {qid: dict(zip("abc", ids, strict=False)) for qid, ids in new_ids.items()}
        assert layout == [
            {"id": "q2", "options": [letters["q2"]["c"], letters["q2"]["a"], letters["q2"]["b"]]},
            {"id": "q1", "options": [letters["q1"]["b"], letters["q1"]["a"]]},
        ]
        assert kept == {"q1": letters["q1"]["b"], "q2": [letters["q2"]["a"], letters["q2"]["b"]]}
        assert grading.grade(stored, kept).score == grading.grade(questions, answers).score == 1
        db.session.remove()
        db.engine.dispose()
