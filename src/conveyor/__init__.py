"""Conveyor: an order management system whose order lifecycle runs as BPMN 2.0 workflows.

See ``docs/architecture.md`` for the layers and how they depend on each other.
"""

__version__ = "0.1.0"
