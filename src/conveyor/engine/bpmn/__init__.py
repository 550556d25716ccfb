"""BPMN 2.0: the immutable spec model, and the parser that reads and validates model files.

``parse_bpmn`` reads one file (Camunda 7, Camunda 8 or plain BPMN with ``conveyor:``
extensions) into a ``Definitions`` and raises ``ModelError`` listing every problem;
``check_bpmn`` returns the same problems without raising.
"""

from conveyor.engine.bpmn.parser import (
    check_bpmn,
    inventory,
    parse_bpmn,
    referenced_decisions,
    referenced_processes,
)

__all__ = ["check_bpmn", "inventory", "parse_bpmn", "referenced_decisions", "referenced_processes"]
