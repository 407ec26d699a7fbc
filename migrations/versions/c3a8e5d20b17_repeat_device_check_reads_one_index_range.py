"""repeat-device check reads one index range

The check "did this device give a counted rating at this point since …" ran on
ix_ratings_point_created and read every rating of the point in the window; with created_at as
the third column of the device index, the databases' planners take that index and read only the
device's own ratings at the point.

Revision ID: c3a8e5d20b17
Revises: 74cc70bfbb70
Create Date: 2026-12-05 08:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3a8e5d20b17'
down_revision = '74cc70bfbb70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_device_point_created', ['device_hash', 'service_point_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_ratings_device_point')


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_device_point', ['device_hash', 'service_point_id'], unique=False)
        batch_op.drop_index('ix_ratings_device_point_created')
