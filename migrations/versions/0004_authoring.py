"""Trainer authoring: course owners, working copies and published versions, the question
bank, quiz draws, graded items for item analysis, picture sizes and covers.

Existing courses get a working copy equal to what is published, their quiz's current
version becomes the bank, and submitted attempts get their graded items.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:41:00.720825

"""
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _working_copies(bind):
    kursus = sa.table("kursus", sa.column("id"), sa.column("title"), sa.column("summary"),
                      sa.column("audience"), sa.column("jp"), sa.column("minutes"), sa.column("media", sa.JSON),
                      sa.column("status"), sa.column("version"), sa.column("content_hash"),
                      sa.column("updated_at"), sa.column("published_at"))
    competencies = sa.table("kursus_kompetensi", sa.column("kursus_id"), sa.column("code"), sa.column("level"))
    modul = sa.table("modul", sa.column("kursus_id"), sa.column("slug"), sa.column("position"),
                     sa.column("title"), sa.column("body_md"))
    draf = sa.table("kursus_draf", *(sa.column(c) for c in (
        "kursus_id", "title", "summary", "description_md", "audience", "jp", "minutes", "cover", "revision",
        "updated_at")),
        sa.column("competencies", sa.JSON), sa.column("media", sa.JSON), sa.column("media_info", sa.JSON))
    modul_draf = sa.table("modul_draf", *(sa.column(c) for c in (
        "kursus_id", "slug", "position", "title", "body_md", "revision", "updated_at")))
    versi = sa.table("kursus_versi", sa.column("kursus_id"), sa.column("number"), sa.column("published_at"),
                     sa.column("changes", sa.JSON), sa.column("content_hash"))
    now = _now()
    for row in bind.execute(sa.select(kursus)).mappings().all():
        codes = bind.execute(sa.select(competencies.c.code, competencies.c.level)
                             .where(competencies.c.kursus_id == row["id"]).order_by(competencies.c.code)).all()
        # The description was stored as HTML only; the working copy starts without it
        # until the course is next imported or edited.
        bind.execute(draf.insert().values(
            kursus_id=row["id"], title=row["title"], summary=row["summary"] or "", description_md="",
            audience=row["audience"] or "", jp=row["jp"], minutes=row["minutes"], cover="", revision=1, updated_at=now,
            competencies=[{"code": c, "level": lv} for c, lv in codes],
            media=_json(row["media"]) or {}, media_info={}))
        for m in bind.execute(sa.select(modul).where(modul.c.kursus_id == row["id"])).mappings().all():
            bind.execute(modul_draf.insert().values(
                kursus_id=row["id"], slug=m["slug"], position=m["position"], title=m["title"],
                body_md=m["body_md"], revision=1, updated_at=now))
        if row["status"] == "published":
            bind.execute(kursus.update().where(kursus.c.id == row["id"]).values(published_at=row["updated_at"]))
            bind.execute(versi.insert().values(kursus_id=row["id"], number=row["version"],
                                               published_at=row["updated_at"], changes=[],
                                               content_hash=row["content_hash"]))


def _bank_spec(question):
    spec = {k: v for k, v in question.items() if k != "id"}
    if "options" in spec:
        spec["options"] = [{k: v for k, v in o.items() if k != "id"} for o in spec["options"]]
    spec.setdefault("tags", [])
    return spec


def _banks(bind):
    kuis = sa.table("kuis", sa.column("id"), sa.column("kursus_id"))
    version = sa.table("kuis_version", *(sa.column(c) for c in (
        "id", "kuis_id", "number", "title", "pass_mark", "max_attempts", "time_limit_minutes",
        "shuffle_questions", "shuffle_options", "feedback")), sa.column("questions", sa.JSON))
    setelan = sa.table("kuis_setelan", *(sa.column(c) for c in (
        "kursus_id", "title", "pass_mark", "max_attempts", "time_limit_minutes", "shuffle_questions",
        "shuffle_options", "feedback", "revision", "updated_at")), sa.column("draw", sa.JSON))
    soal = sa.table("soal", *(sa.column(c) for c in (
        "kursus_id", "key", "position", "type", "revision", "updated_at")),
        sa.column("spec", sa.JSON), sa.column("tags", sa.JSON))
    now = _now()
    for kuis_id, kursus_id in bind.execute(sa.select(kuis.c.id, kuis.c.kursus_id)).all():
        current = bind.execute(sa.select(version).where(version.c.kuis_id == kuis_id)
                               .order_by(version.c.number.desc()).limit(1)).mappings().first()
        if current is None:
            continue
        bind.execute(setelan.insert().values(
            kursus_id=kursus_id, title=current["title"], pass_mark=current["pass_mark"],
            max_attempts=current["max_attempts"], time_limit_minutes=current["time_limit_minutes"],
            shuffle_questions=current["shuffle_questions"], shuffle_options=current["shuffle_options"],
            feedback=current["feedback"], draw=[], revision=1, updated_at=now))
        for position, question in enumerate(_json(current["questions"]), start=1):
            bind.execute(soal.insert().values(
                kursus_id=kursus_id, key=question["id"], position=position, type=question["type"],
                spec=_bank_spec(question), tags=[], revision=1, updated_at=now))


def _graded_items(bind):
    """What item analysis reads, for the attempts submitted before it existed."""
    from lms.quizzes import grading

    version = sa.table("kuis_version", sa.column("id"), sa.column("questions", sa.JSON))
    attempt = sa.table("attempt", sa.column("id"), sa.column("kuis_version_id"), sa.column("status"),
                       sa.column("layout", sa.JSON), sa.column("answers", sa.JSON))
    item = sa.table("attempt_item", *(sa.column(c) for c in (
        "attempt_id", "question_id", "kuis_version_id", "answered", "fraction", "points", "max_points")))
    choice = sa.table("attempt_choice", *(sa.column(c) for c in (
        "attempt_id", "question_id", "option_id", "kuis_version_id")))
    questions_of = {vid: _json(q) for vid, q in bind.execute(sa.select(version.c.id, version.c.questions)).all()}
    rows = bind.execute(sa.select(attempt).where(attempt.c.status == "submitted")).mappings().all()
    for row in rows:
        asked = {entry["id"] for entry in _json(row["layout"]) or []}
        questions = [q for q in questions_of[row["kuis_version_id"]] if q["id"] in asked]
        answers = _json(row["answers"]) or {}
        graded = grading.grade(questions, answers)
        for question in questions:
            result = graded.results[question["id"]]
            bind.execute(item.insert().values(
                attempt_id=row["id"], question_id=question["id"], kuis_version_id=row["kuis_version_id"],
                answered=result.answered, points=float(result.points), max_points=float(result.max_points),
                fraction=float(result.points / result.max_points) if result.max_points else 0.0))
            chosen = grading.clean_answer(question, answers.get(question["id"]))
            if question["type"] in ("single", "multiple", "truefalse") and chosen is not None:
                for option_id in chosen if isinstance(chosen, list) else [chosen]:
                    bind.execute(choice.insert().values(
                        attempt_id=row["id"], question_id=question["id"], option_id=option_id,
                        kuis_version_id=row["kuis_version_id"]))


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('kuis_setelan',
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('shuffle_questions', sa.Boolean(), nullable=False),
    sa.Column('shuffle_options', sa.Boolean(), nullable=False),
    sa.Column('feedback', sa.String(length=20), nullable=False),
    sa.Column('draw', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("feedback IN ('score', 'correctness', 'keys')", name=op.f('ck_kuis_setelan_feedback')),
    sa.CheckConstraint('max_attempts >= 0', name=op.f('ck_kuis_setelan_max_attempts_not_negative')),
    sa.CheckConstraint('pass_mark BETWEEN 0 AND 100', name=op.f('ck_kuis_setelan_pass_mark_range')),
    sa.CheckConstraint('time_limit_minutes >= 0', name=op.f('ck_kuis_setelan_time_limit_not_negative')),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_kuis_setelan_kursus_id_kursus'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kursus_id', name=op.f('pk_kuis_setelan'))
    )
    op.create_table('kursus_draf',
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=400), nullable=False),
    sa.Column('description_md', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('jp', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('cover', sa.String(length=120), nullable=False),
    sa.Column('media', sa.JSON(), nullable=False),
    sa.Column('media_info', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_kursus_draf_kursus_id_kursus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['pegawai.id'], name=op.f('fk_kursus_draf_updated_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('kursus_id', name=op.f('pk_kursus_draf'))
    )
    op.create_table('kursus_pemilik',
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_kursus_pemilik_kursus_id_kursus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_kursus_pemilik_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kursus_id', 'pegawai_id', name=op.f('pk_kursus_pemilik'))
    )
    with op.batch_alter_table('kursus_pemilik', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kursus_pemilik_pegawai_id'), ['pegawai_id'], unique=False)

    op.create_table('kursus_versi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_kursus_versi_kursus_id_kursus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['pegawai.id'], name=op.f('fk_kursus_versi_published_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kursus_versi')),
    sa.UniqueConstraint('kursus_id', 'number', name=op.f('uq_kursus_versi_kursus_id_number'))
    )
    op.create_table('modul_draf',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_modul_draf_kursus_id_kursus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['pegawai.id'], name=op.f('fk_modul_draf_updated_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modul_draf')),
    sa.UniqueConstraint('kursus_id', 'slug', name=op.f('uq_modul_draf_kursus_id_slug'))
    )
    with op.batch_alter_table('modul_draf', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modul_draf_kursus_id'), ['kursus_id'], unique=False)

    op.create_table('soal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kursus_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=12), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_soal_position_positive')),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_soal_kursus_id_kursus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['pegawai.id'], name=op.f('fk_soal_updated_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_soal')),
    sa.UniqueConstraint('kursus_id', 'key', name=op.f('uq_soal_kursus_id_key'))
    )
    with op.batch_alter_table('soal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_soal_kursus_id'), ['kursus_id'], unique=False)

    op.create_table('attempt_choice',
    sa.Column('attempt_id', sa.String(length=36), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('option_id', sa.String(length=40), nullable=False),
    sa.Column('kuis_version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_choice_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kuis_version_id'], ['kuis_version.id'], name=op.f('fk_attempt_choice_kuis_version_id_kuis_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'question_id', 'option_id', name=op.f('pk_attempt_choice'))
    )
    with op.batch_alter_table('attempt_choice', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_choice_version_question', ['kuis_version_id', 'question_id'], unique=False)

    op.create_table('attempt_item',
    sa.Column('attempt_id', sa.String(length=36), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('kuis_version_id', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('max_points', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_item_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kuis_version_id'], ['kuis_version.id'], name=op.f('fk_attempt_item_kuis_version_id_kuis_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'question_id', name=op.f('pk_attempt_item'))
    )
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_item_version_question', ['kuis_version_id', 'question_id'], unique=False)

    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draw', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('kursus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_info', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('cover', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))

    # ### end Alembic commands ###
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_version', ['kuis_version_id'], unique=False)

    bind = op.get_bind()
    _working_copies(bind)
    _banks(bind)
    _graded_items(bind)
    # The defaults were for the rows already there; the models give every new row its values.
    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.alter_column('draw', server_default=None)
    with op.batch_alter_table('kursus', schema=None) as batch_op:
        batch_op.alter_column('media_info', server_default=None)
        batch_op.alter_column('cover', server_default=None)


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_version')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('kursus', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('cover')
        batch_op.drop_column('media_info')

    with op.batch_alter_table('kuis_version', schema=None) as batch_op:
        batch_op.drop_column('draw')

    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_item_version_question')

    op.drop_table('attempt_item')
    with op.batch_alter_table('attempt_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_choice_version_question')

    op.drop_table('attempt_choice')
    with op.batch_alter_table('soal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_soal_kursus_id'))

    op.drop_table('soal')
    with op.batch_alter_table('modul_draf', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_modul_draf_kursus_id'))

    op.drop_table('modul_draf')
    op.drop_table('kursus_versi')
    with op.batch_alter_table('kursus_pemilik', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kursus_pemilik_pegawai_id'))

    op.drop_table('kursus_pemilik')
    op.drop_table('kursus_draf')
    op.drop_table('kuis_setelan')
    # ### end Alembic commands ###
