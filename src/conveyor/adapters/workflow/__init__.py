"""The workflow runtime's storage: SQL for definitions, instances, jobs, tasks and history.

Each module takes an open SQLAlchemy ``Session`` (the unit of work's) and
speaks in rows and plain values; the services in ``conveyor.services.workflow``
decide what to write.
"""
