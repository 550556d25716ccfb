"""The five configuration resources share one shape of routes; this builds them.

``GET /{section}`` and ``GET /{section}/{code}`` for any role;
``POST /{section}`` (create), ``PUT /{section}/{code}`` (replace whole) and
``DELETE /{section}/{code}`` (deactivate; categories: delete when unused)
for managers and admins. Bodies have the same shape as the section's
entries in the configuration document, and are checked by the same rules.

(No ``from __future__ import annotations`` here: FastAPI reads the route
functions' annotations, which refer to the models passed in.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import catalog

ManagerPrincipal = Annotated[Principal, Depends(require_roles(Role.MANAGER))]


def add_entry_routes(
    router: APIRouter,
    *,
    section: str,
    noun: str,
    create_model: type[BaseModel],
    public_model: type[BaseModel],
    list_model: type[BaseModel],
    to_mapping: Callable[[Any], dict[str, Any]],
    list_entries: Callable[..., list[Any]] | None = None,
) -> None:
    """Mount list/get/create/replace/remove for ``section`` on ``router``."""

    def public(entry: Any) -> BaseModel:
        return public_model.model_validate(to_mapping(entry))

    if list_entries is None:

        @router.get("", response_model=list_model, summary=f"List {section}")
        def list_all(_: CurrentPrincipal, runtime: RuntimeDep) -> Any:
            entries = catalog.list_entries(runtime.unit_of_work(), section)
            return list_model(data=[public(e) for e in entries], count=len(entries))

    @router.get("/{code}", response_model=public_model, summary=f"One {noun}")
    def read_one(code: str, _: CurrentPrincipal, runtime: RuntimeDep) -> Any:
        return public(catalog.get_entry(runtime.unit_of_work(), section, code))

    created = status.HTTP_201_CREATED

    @router.post("", response_model=public_model, status_code=created, summary=f"Add a {noun}")
    def create(body: create_model, _: ManagerPrincipal, runtime: RuntimeDep) -> Any:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True, mode="json")  # type: ignore[attr-defined]
        return public(catalog.create_entry(runtime.unit_of_work(), section, data))

    @router.put("/{code}", response_model=public_model, summary=f"Replace a {noun} (the whole entry)")
    def replace(code: str, body: create_model, _: ManagerPrincipal, runtime: RuntimeDep) -> Any:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True, mode="json")  # type: ignore[attr-defined]
        return public(catalog.replace_entry(runtime.unit_of_work(), section, code, data))

    summary = f"Remove a {noun}" + (" (only when unused)" if section == "categories" else " (deactivates it)")

    @router.delete("/{code}", status_code=status.HTTP_204_NO_CONTENT, summary=summary)
    def remove(code: str, _: ManagerPrincipal, runtime: RuntimeDep) -> Response:
        catalog.remove_entry(runtime.unit_of_work(), section, code)
        return Response(status_code=status.HTTP_204_NO_CONTENT)
