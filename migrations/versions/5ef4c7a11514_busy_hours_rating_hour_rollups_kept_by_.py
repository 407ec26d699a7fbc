"""busy hours: rating_hour_rollups, kept by triggers on ratings, backfilled

Revision ID: 5ef4c7a11514
Revises: d1d5a1572edf
Create Date: 2026-12-03 08:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

from citizenvoice.surveys import triggers


# revision identifiers, used by Alembic.
revision = '5ef4c7a11514'
down_revision = 'd1d5a1572edf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating_hour_rollups',
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('hour', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_rating_hour_rollups_service_point_id_service_points')),
    sa.PrimaryKeyConstraint('service_point_id', 'weekday', 'hour', name=op.f('pk_rating_hour_rollups'))
    )
    connection = op.get_bind()
    for statement in triggers.create_statements(connection.dialect.name):
        op.execute(sa.text(statement))
    # Every rating counted so far, in one GROUP BY; from now on the triggers keep count.
    triggers.rebuild(connection)


def downgrade():
    for statement in triggers.drop_statements(op.get_bind().dialect.name):
        op.execute(sa.text(statement))
    op.drop_table('rating_hour_rollups')
