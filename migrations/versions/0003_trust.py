"""Server-side sessions and the sign-in delay; unit time zones; when a level was reached;
feedback modes by what they show; option ids that carry no order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:15:00

"""
import json
import secrets
import string

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

FEEDBACK_UP = {"after_submit": "keys", "after_pass": "keys", "never": "score"}
FEEDBACK_DOWN = {"keys": "after_submit", "correctness": "after_submit", "score": "never"}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _rekey_options(bind, new_id):
    """Give every option of every stored quiz version a new id, and carry the attempts'
    layouts and answers over, so past attempts still read and grade the same."""
    versions = sa.table("kuis_version", sa.column("id"), sa.column("questions", sa.JSON))
    attempts = sa.table("attempt", sa.column("id"), sa.column("kuis_version_id"),
                        sa.column("layout", sa.JSON), sa.column("answers", sa.JSON))
    for version_id, raw in bind.execute(sa.select(versions.c.id, versions.c.questions)).all():
        questions = _json(raw)
        mapping = {}
        for question in questions:
            options = question.get("options") or []
            ids = {}
            for index, option in enumerate(options):
                ids[option["id"]] = new_id(index, set(ids.values()))
                option["id"] = ids[option["id"]]
            mapping[question["id"]] = ids
        bind.execute(versions.update().where(versions.c.id == version_id).values(questions=questions))
        rows = bind.execute(sa.select(attempts.c.id, attempts.c.layout, attempts.c.answers)
                            .where(attempts.c.kuis_version_id == version_id)).all()
        for attempt_id, layout, answers in rows:
            layout, answers = _json(layout) or [], _json(answers) or {}
            for item in layout:
                ids = mapping.get(item["id"], {})
                item["options"] = [ids.get(o, o) for o in item.get("options", [])]
            for qid, answer in list(answers.items()):
                ids = mapping.get(qid)
                if not ids:
                    continue
                answers[qid] = [ids.get(a, a) for a in answer] if isinstance(answer, list) else ids.get(answer, answer)
            bind.execute(attempts.update().where(attempts.c.id == attempt_id).values(layout=layout, answers=answers))


def _random_id(index, taken):
    while True:
        candidate = secrets.token_hex(4)
        if candidate not in taken:
            return candidate


def _letter(index, taken):
    return string.ascii_lowercase[index]


def upgrade():
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index('ix_user_session_user_expires', ['user_id', 'expires_at'], unique=False)

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_ip_at')
        batch_op.drop_index('ix_login_failure_nip_at')
    op.drop_table('login_failure')

    with op.batch_alter_table('riwayat_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('achieved_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE riwayat_level SET achieved_at = at")
    with op.batch_alter_table('riwayat_level', schema=None) as batch_op:
        batch_op.alter_column('achieved_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index('ix_riwayat_level_achieved_at', ['achieved_at'], unique=False)

    with op.batch_alter_table('unit_kerja', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zona', sa.String(length=40), nullable=True))

    # Every earlier session ends: the cookie now names a server-side session.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
        batch_op.drop_column('session_version')

    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_kuis_version_feedback'), type_='check')
    for old, new in FEEDBACK_UP.items():
        op.execute(sa.text("UPDATE kuis_version SET feedback = :new WHERE feedback = :old").bindparams(new=new, old=old))
    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.create_check_constraint('feedback', "feedback IN ('score', 'correctness', 'keys')")

    _rekey_options(op.get_bind(), _random_id)


def downgrade():
    _rekey_options(op.get_bind(), _letter)
    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_kuis_version_feedback'), type_='check')
    for new, old in FEEDBACK_DOWN.items():
        op.execute(sa.text("UPDATE kuis_version SET feedback = :old WHERE feedback = :new").bindparams(new=new, old=old))
    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.create_check_constraint('feedback', "feedback IN ('after_submit', 'after_pass', 'never')")

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_column('password_changed_at')

    with op.batch_alter_table('unit_kerja', schema=None) as batch_op:
        batch_op.drop_column('zona')

    with op.batch_alter_table('riwayat_level', schema=None) as batch_op:
        batch_op.drop_index('ix_riwayat_level_achieved_at')
        batch_op.drop_column('achieved_at')

    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nip', sa.String(length=40), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_nip_at', ['nip', 'at'], unique=False)
        batch_op.create_index('ix_login_failure_ip_at', ['ip', 'at'], unique=False)

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index('ix_user_session_user_expires')
    op.drop_table('user_session')
    op.drop_table('login_throttle')
