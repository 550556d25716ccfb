"""The outside world behind narrow interfaces: SQLAlchemy tables, migrations and
repositories, the persisted workflow store, the payment sandbox, carriers,
geocoding, e-mail, webhook delivery and the sales-channel payload mappers.

Adapters depend on the domain (they persist and load its objects); nothing in
the domain or the engine depends on them.
"""
