"""The persisted workflow runtime: deployments, instances, tasks, jobs, messages, incidents.

``workflow_for(runtime)`` gives the one ``Workflow`` of a Conveyor runtime (built
on first use, with the default handler registry and ``CONVEYOR_*`` settings);
tests and benchmarks may build their own ``Workflow(session_factory, ...)``.
See ``docs/runtime.md``.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from conveyor.services.workflow.handlers import HandlerRegistry, default_registry
from conveyor.services.workflow.operations import Started, Workflow
from conveyor.services.workflow.settings import WorkflowSettings


class Runtime(Protocol):
    """What ``workflow_for`` needs of ``conveyor.bootstrap.Runtime`` (services may not import it)."""

    session_factory: sessionmaker[Session]

_lock = threading.Lock()
_ATTRIBUTE = "_conveyor_workflow"


def workflow_for(runtime: Runtime) -> Workflow:
    """The runtime's shared ``Workflow`` (its model cache is shared by every request and worker)."""
    existing: Workflow | None = runtime.__dict__.get(_ATTRIBUTE)
    if existing is not None:
        return existing
    with _lock:
        existing = runtime.__dict__.get(_ATTRIBUTE)
        if existing is None:
            existing = Workflow(runtime.session_factory, settings=WorkflowSettings())
            runtime.__dict__[_ATTRIBUTE] = existing
    return existing


__all__ = ["HandlerRegistry", "Started", "Workflow", "WorkflowSettings", "default_registry", "workflow_for"]
