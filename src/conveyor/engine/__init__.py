"""The BPMN 2.0 / DMN 1.3 workflow engine and its FEEL interpreter.

Everything here knows nothing of orders, databases or HTTP: it imports only the
standard library, an XML parser (lxml, hardened) and parsing helpers. A parsed
model is an immutable graph of node specs; an instance is plain data (tokens,
scoped variables, the waits it is subscribed to) that the runtime advances one
atomic step at a time and that can be saved and restored between any two steps.
History is a separate append-only stream. Persistence, jobs and workers live in
``conveyor.adapters`` and ``conveyor.services``, which drive this package.
"""

from conveyor.engine.api import Engine, start
from conveyor.engine.runtime import (
    HandlerContext,
    Handlers,
    Instance,
    ModelLibrary,
    Wait,
)

__all__ = ["Engine", "HandlerContext", "Handlers", "Instance", "ModelLibrary", "Wait", "start"]
