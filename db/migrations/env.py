"""Alembic environment: migrations run on a connection handed over by ``db.engine.upgrade``."""

from alembic import context

from db import (
    models_intake,
    models_notify,
    models_privacy,
    models_questions,
    models_registrations,
    models_zalo,
)
from db.models import Base

# importing them adds their tables to Base.metadata
REGISTERED = (
    models_intake,
    models_notify,
    models_privacy,
    models_questions,
    models_registrations,
    models_zalo,
)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` on the command line gets here
    raise SystemExit("run migrations with `hoctap db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
