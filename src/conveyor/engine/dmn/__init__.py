"""DMN 1.3 decisions: decision tables and literal expressions, with FEEL.

``parse_dmn`` reads and validates a DMN 1.1-1.5 file (hardened XML, every
problem reported at once); ``evaluate_decision`` runs one decision and the
decisions it requires; ``map_decision_result`` shapes a result the way a
Camunda 7 business rule task stores it; ``DecisionLibrary`` holds decisions of
several files by id. See ``docs/dmn.md`` for what is supported.
"""

from conveyor.engine.dmn.evaluation import evaluate_decision
from conveyor.engine.dmn.library import DecisionLibrary
from conveyor.engine.dmn.model import (
    Aggregation,
    Decision,
    DecisionTable,
    DmnDefinitions,
    HitPolicy,
    InputClause,
    InputData,
    ItemDefinition,
    LiteralExpression,
    OutputClause,
    Rule,
)
from conveyor.engine.dmn.parser import check_dmn, parse_dmn
from conveyor.engine.dmn.result import RESULT_MAPPINGS, DecisionResult, MatchedRule, map_decision_result

__all__ = [
    "RESULT_MAPPINGS",
    "Aggregation",
    "Decision",
    "DecisionLibrary",
    "DecisionResult",
    "DecisionTable",
    "DmnDefinitions",
    "HitPolicy",
    "InputClause",
    "InputData",
    "ItemDefinition",
    "LiteralExpression",
    "MatchedRule",
    "OutputClause",
    "Rule",
    "check_dmn",
    "evaluate_decision",
    "map_decision_result",
    "parse_dmn",
]
