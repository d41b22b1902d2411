"""Remote offices offline: attempts taken offline under a signed token (one attempt per
token, and when the server received it), and the learner's data-saver setting.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline_token', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_attempt_offline_token'), ['offline_token'])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('save_data', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('save_data')

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attempt_offline_token'), type_='unique')
        batch_op.drop_column('received_at')
        batch_op.drop_column('offline_token')
