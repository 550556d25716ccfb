"""The schema as SQLAlchemy Core tables.

``metadata`` carries a naming convention so every index and constraint has a
predictable name on both databases; migrations refer to them by those names.
Later features add their tables here or in sibling modules on the same
``metadata``, together with a new migration in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Integer, MetaData, String, Table

from conveyor.adapters.db.types import UtcDateTime
from conveyor.domain.auth import Role

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    # sha256 hex of the secret; the secret itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    # the task groups the holder belongs to besides its role (a JSON list; migration 0005)
    Column("groups", JSON, nullable=True),
    CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
)

# The workflow runtime's tables join ``metadata`` here, so importing this module gives the whole schema.
from conveyor.adapters.db import catalog_tables as _catalog_tables  # noqa: E402, F401
from conveyor.adapters.db import channel_tables as _channel_tables  # noqa: E402, F401
from conveyor.adapters.db import delivery_tables as _delivery_tables  # noqa: E402, F401
from conveyor.adapters.db import exception_tables as _exception_tables  # noqa: E402, F401
from conveyor.adapters.db import finance_tables as _finance_tables  # noqa: E402, F401
from conveyor.adapters.db import inventory_tables as _inventory_tables  # noqa: E402, F401
from conveyor.adapters.db import order_change_tables as _order_change_tables  # noqa: E402, F401
from conveyor.adapters.db import order_tables as _order_tables  # noqa: E402, F401
from conveyor.adapters.db import outbox_tables as _outbox_tables  # noqa: E402, F401
from conveyor.adapters.db import workflow_tables as _workflow_tables  # noqa: E402, F401
