"""The REST API: FastAPI routers and pydantic schemas under ``/api/v1``.

``create_app(settings)`` is the application factory. Schemas live next to their
router and never leave this package; routes call services, never SQL.
"""

from conveyor.entrypoints.api.app import create_app

__all__ = ["create_app"]
