"""What the workflow routers share: the runtime's ``Workflow``, role sets, reading a session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from conveyor.domain.auth import Role
from conveyor.entrypoints.api.security import RuntimeDep
from conveyor.services.workflow import Workflow, workflow_for

#: who may deploy and migrate models, and handle incidents
MODELLERS = (Role.MANAGER,)
#: who may start instances and send messages or signals
STARTERS = (Role.MANAGER, Role.INTEGRATION)
#: who may complete any user task whatever its candidate groups
TASK_SUPERVISORS = (Role.ADMIN, Role.MANAGER)


async def get_workflow(runtime: RuntimeDep) -> Workflow:
    return workflow_for(runtime)


def read_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.session_factory() as session:
        yield session


WorkflowDep = Annotated[Workflow, Depends(get_workflow)]
ReadSession = Annotated[Session, Depends(read_session)]
