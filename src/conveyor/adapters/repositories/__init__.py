"""Repositories: the catalog, configuration and stock tables in and out as domain objects.

Each takes the unit of work's ``Session`` and never commits: the use case in
``conveyor.services`` decides when its transaction ends.
"""
