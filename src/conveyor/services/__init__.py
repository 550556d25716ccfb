"""Use cases, each run inside one unit of work (``with uow: ... uow.commit()``).

This is where the engine meets the domain: the handler registry binds BPMN
service-task types (``payment.verify``, ``inventory.allocate`` ...) to use cases,
and the message bus turns committed domain events into workflow messages.
"""
