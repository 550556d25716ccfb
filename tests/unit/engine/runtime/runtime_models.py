"""Compact BPMN documents for the runtime's scenario tests.

Elements are written in the default BPMN namespace (``<userTask id="qc"/>``);
``flows("start -> a -> b", "a -> c: total > 10")`` writes the sequence flows
(an arrow chain, with an optional FEEL condition after a colon, ``default``
marking... see ``flow``).
"""

from __future__ import annotations

import itertools

NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:conveyor="http://conveyor.dev/schema/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)

_ids = itertools.count(1)


def document(body: str, *, roots: str = "", process_id: str = "p", more: str = "") -> str:
    """``body`` as the process ``process_id``; ``roots`` (messages, errors...) and ``more``
    (other processes) beside it."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions {NAMESPACES} id="defs" '
        f'targetNamespace="http://example.com/test">\n{roots}\n'
        f'<process id="{process_id}" isExecutable="true">\n{body}\n</process>\n{more}\n'
        "</definitions>\n"
    )


def process(body: str, process_id: str) -> str:
    return f'<process id="{process_id}" isExecutable="true">\n{body}\n</process>\n'


def flow(source: str, target: str, condition: str | None = None, flow_id: str | None = None) -> str:
    fid = flow_id or f"f_{source}_{target}"
    if condition is None:
        return f'<sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">'
        f"<conditionExpression>{_escape(condition)}</conditionExpression></sequenceFlow>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def flows(*chains: str) -> str:
    """Sequence flows from arrow chains: ``"a -> b -> c"``; ``"a -> b: x > 1"`` adds a condition
    to the last arrow. Flow ids are ``f_<source>_<target>``."""
    out = []
    for chain in chains:
        condition = None
        if ":" in chain:
            chain, condition = chain.split(":", 1)
            condition = condition.strip()
        nodes = [n.strip() for n in chain.split("->")]
        for i, (source, target) in enumerate(itertools.pairwise(nodes)):
            last = i == len(nodes) - 2
            out.append(flow(source, target, condition if last else None))
    return "\n".join(out)


def tasks(*ids: str, kind: str = "task") -> str:
    return "\n".join(f'<{kind} id="{i}"/>' for i in ids)


def events(*ids: str, kind: str) -> str:
    return "\n".join(f'<{kind} id="{i}"/>' for i in ids)
