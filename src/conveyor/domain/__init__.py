"""The order domain: orders, catalog, inventory, warehouses, allocation, fulfilment,
shipping, returns, finance and the exception register.

Plain Python only (dataclasses, Enums, Decimal, timezone-aware datetimes): no
SQLAlchemy, FastAPI or pydantic, and nothing from the workflow engine. Rules that
a business person would recognise (never oversell, prefer one warehouse, a refund
never exceeds what was captured) are written here and tested without a database.
"""
