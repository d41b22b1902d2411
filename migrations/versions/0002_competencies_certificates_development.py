"""Competency dictionary, position standards, evidence, levels, development records, certificates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:37:22.245967

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kompetensi',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('nama', sa.String(length=200), nullable=False),
    sa.Column('jenis', sa.String(length=20), nullable=False),
    sa.Column('definisi', sa.Text(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("jenis IN ('manajerial', 'sosial_kultural', 'teknis')", name=op.f('ck_kompetensi_jenis')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_kompetensi'))
    )
    op.create_table('standar_kompetensi',
    sa.Column('jabatan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_standar_kompetensi_level_range')),
    sa.ForeignKeyConstraint(['code'], ['kompetensi.code'], name=op.f('fk_standar_kompetensi_code_kompetensi'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['jabatan_id'], ['jabatan.id'], name=op.f('fk_standar_kompetensi_jabatan_id_jabatan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('jabatan_id', 'code', name=op.f('pk_standar_kompetensi'))
    )
    op.create_table('level_pegawai',
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('level BETWEEN 0 AND 5', name=op.f('ck_level_pegawai_level_range')),
    sa.ForeignKeyConstraint(['code'], ['kompetensi.code'], name=op.f('fk_level_pegawai_code_kompetensi'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_level_pegawai_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pegawai_id', 'code', name=op.f('pk_level_pegawai'))
    )
    op.create_table('pengembangan',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('jenis', sa.String(length=20), nullable=False),
    sa.Column('judul', sa.String(length=200), nullable=False),
    sa.Column('penyelenggara', sa.String(length=200), nullable=False),
    sa.Column('tanggal_mulai', sa.Date(), nullable=False),
    sa.Column('tanggal_selesai', sa.Date(), nullable=False),
    sa.Column('jp', sa.Integer(), nullable=False),
    sa.Column('nomor_sertifikat', sa.String(length=100), nullable=True),
    sa.Column('kompetensi_code', sa.String(length=40), nullable=True),
    sa.Column('kompetensi_level', sa.Integer(), nullable=True),
    sa.Column('file_key', sa.String(length=200), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('file_type', sa.String(length=100), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('catatan_verifikasi', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("jenis IN ('pelatihan', 'seminar', 'workshop', 'kursus', 'coaching', 'mentoring', 'magang', 'belajar_mandiri', 'lainnya')", name=op.f('ck_pengembangan_jenis')),
    sa.CheckConstraint("status IN ('pending', 'verified', 'rejected')", name=op.f('ck_pengembangan_status')),
    sa.CheckConstraint('jp > 0 AND jp <= 200', name=op.f('ck_pengembangan_jp_range')),
    sa.CheckConstraint('kompetensi_level IS NULL OR kompetensi_level BETWEEN 1 AND 5', name=op.f('ck_pengembangan_level_range')),
    sa.CheckConstraint('tanggal_selesai >= tanggal_mulai', name=op.f('ck_pengembangan_dates_in_order')),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_pengembangan_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['pegawai.id'], name=op.f('fk_pengembangan_verified_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pengembangan'))
    )
    with op.batch_alter_table('pengembangan', schema=None) as batch_op:
        batch_op.create_index('ix_pengembangan_pegawai_selesai', ['pegawai_id', 'tanggal_selesai'], unique=False)

    op.create_table('riwayat_level',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('old_level', sa.Integer(), nullable=False),
    sa.Column('new_level', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['code'], ['kompetensi.code'], name=op.f('fk_riwayat_level_code_kompetensi'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_riwayat_level_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_riwayat_level'))
    )
    with op.batch_alter_table('riwayat_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_riwayat_level_at'), ['at'], unique=False)
        batch_op.create_index('ix_riwayat_level_pegawai_code', ['pegawai_id', 'code'], unique=False)

    op.create_table('bukti_kompetensi',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('jenis', sa.String(length=12), nullable=False),
    sa.Column('kursus_id', sa.Integer(), nullable=True),
    sa.Column('completion_id', sa.String(length=36), nullable=True),
    sa.Column('pengembangan_id', sa.String(length=36), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('achieved_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('catatan', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("jenis IN ('kursus', 'pengembangan', 'asesmen')", name=op.f('ck_bukti_kompetensi_jenis')),
    sa.CheckConstraint('level BETWEEN 0 AND 5', name=op.f('ck_bukti_kompetensi_level_range')),
    sa.ForeignKeyConstraint(['code'], ['kompetensi.code'], name=op.f('fk_bukti_kompetensi_code_kompetensi'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completion_id'], ['course_completion.id'], name=op.f('fk_bukti_kompetensi_completion_id_course_completion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_bukti_kompetensi_kursus_id_kursus'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_bukti_kompetensi_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pengembangan_id'], ['pengembangan.id'], name=op.f('fk_bukti_kompetensi_pengembangan_id_pengembangan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['pegawai.id'], name=op.f('fk_bukti_kompetensi_recorded_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bukti_kompetensi')),
    sa.UniqueConstraint('completion_id', 'code', name=op.f('uq_bukti_kompetensi_completion_id_code')),
    sa.UniqueConstraint('pengembangan_id', 'code', name=op.f('uq_bukti_kompetensi_pengembangan_id_code'))
    )
    with op.batch_alter_table('bukti_kompetensi', schema=None) as batch_op:
        batch_op.create_index('ix_bukti_kompetensi_achieved_at', ['achieved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bukti_kompetensi_completion_id'), ['completion_id'], unique=False)
        batch_op.create_index('ix_bukti_kompetensi_pegawai_code', ['pegawai_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_bukti_kompetensi_pengembangan_id'), ['pengembangan_id'], unique=False)

    op.create_table('sertifikat',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('completion_id', sa.String(length=36), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('kursus_id', sa.Integer(), nullable=True),
    sa.Column('nama', sa.String(length=200), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('kursus_title', sa.String(length=200), nullable=False),
    sa.Column('jp', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['completion_id'], ['course_completion.id'], name=op.f('fk_sertifikat_completion_id_course_completion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kursus_id'], ['kursus.id'], name=op.f('fk_sertifikat_kursus_id_kursus'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pegawai_id'], ['pegawai.id'], name=op.f('fk_sertifikat_pegawai_id_pegawai'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['pegawai.id'], name=op.f('fk_sertifikat_revoked_by_id_pegawai'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sertifikat')),
    sa.UniqueConstraint('code', name=op.f('uq_sertifikat_code')),
    sa.UniqueConstraint('completion_id', name=op.f('uq_sertifikat_completion_id'))
    )
    with op.batch_alter_table('sertifikat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sertifikat_pegawai_id'), ['pegawai_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sertifikat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sertifikat_pegawai_id'))

    op.drop_table('sertifikat')
    with op.batch_alter_table('bukti_kompetensi', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bukti_kompetensi_pengembangan_id'))
        batch_op.drop_index('ix_bukti_kompetensi_pegawai_code')
        batch_op.drop_index(batch_op.f('ix_bukti_kompetensi_completion_id'))
        batch_op.drop_index('ix_bukti_kompetensi_achieved_at')

    op.drop_table('bukti_kompetensi')
    with op.batch_alter_table('riwayat_level', schema=None) as batch_op:
        batch_op.drop_index('ix_riwayat_level_pegawai_code')
        batch_op.drop_index(batch_op.f('ix_riwayat_level_at'))

    op.drop_table('riwayat_level')
    with op.batch_alter_table('pengembangan', schema=None) as batch_op:
        batch_op.drop_index('ix_pengembangan_pegawai_selesai')

    op.drop_table('pengembangan')
    op.drop_table('level_pegawai')
    op.drop_table('standar_kompetensi')
    op.drop_table('kompetensi')
