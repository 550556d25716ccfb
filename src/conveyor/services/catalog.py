"""Catalog and network entries one at a time: categories, products, warehouses, channels, carriers.

The API's create/replace/remove go through the same reading and checks as
the configuration document (an entry is validated as a one-entry section
against what is stored), so a product created over HTTP and one applied from
YAML obey exactly the same rules; errors name the entry's own fields
(``price``, ``attributes.size``). Removing deactivates (orders, stock and
the ledger keep referring to the entry); only an unused category is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.domain import errors as domain_errors
from conveyor.domain.config_document import ConfigDocument
from conveyor.domain.problems import format_path
from conveyor.errors import Conflict, ConveyorError, InvalidInput, NotFound
from conveyor.services.configuration import read_document, stored_document
from conveyor.services.unit_of_work import SqlUnitOfWork

KEYS = {"categories": "code", "products": "sku", "warehouses": "code", "channels": "code", "carriers": "code"}
NOUNS = {"categories": "category", "products": "product", "warehouses": "warehouse",
         "channels": "sales channel", "carriers": "carrier"}  # fmt: skip
ERRORS: dict[str, type[ConveyorError]] = {
    "categories": domain_errors.InvalidCatalogEntry,
    "products": domain_errors.InvalidCatalogEntry,
    "warehouses": domain_errors.InvalidWarehouse,
    "channels": domain_errors.InvalidChannel,
    "carriers": domain_errors.InvalidCarrier,
}


def _get(config: SqlConfiguration, section: str, code: str) -> Any:
    getter = {"categories": config.category, "products": config.product, "warehouses": config.warehouse,
              "channels": config.channel, "carriers": config.carrier}[section]  # fmt: skip
    return getter(code)


def _not_found(section: str, code: str) -> NotFound:
    return NotFound(f"There is no {NOUNS[section]} {code!r}; GET /api/v1/{section} lists them")


def list_entries(uow: SqlUnitOfWork, section: str) -> list[Any]:
    with uow:
        return list(getattr(stored_document(SqlConfiguration(uow.session)), section))


def list_products(
    uow: SqlUnitOfWork, *, category: str | None = None, active: bool | None = None
) -> list[Any]:
    with uow:
        return SqlConfiguration(uow.session).products(category=category, active=active)


def get_entry(uow: SqlUnitOfWork, section: str, code: str) -> Any:
    with uow:
        found = _get(SqlConfiguration(uow.session), section, code)
    if found is None:
        raise _not_found(section, code)
    return found


def _read_entry(
    section: str, data: Mapping[str, Any], current: ConfigDocument, known_processes: set[str] | None
) -> Any:
    """One entry read like a one-entry section of the document; problems re-rooted at the entry."""
    try:
        document, _ = read_document({section: [dict(data)]}, current, known_processes)
    except domain_errors.InvalidConfigDocument as err:
        problems = []
        for item in err.errors:
            loc = list(item.get("loc", ()))
            loc = loc[2:] if loc[:2] == [section, 0] else loc
            problems.append({**item, "loc": loc, "path": format_path(loc)})
        listed = "; ".join(f"{p['path']}: {p['msg']}" if p["path"] else p["msg"] for p in problems)
        raise ERRORS[section](f"Invalid {NOUNS[section]}: {listed}", errors=problems) from err
    return getattr(document, section)[0]


def _save(config: SqlConfiguration, section: str, entry: Any) -> None:
    savers: dict[str, Callable[[Any, datetime], None]] = {
        "categories": config.save_category, "products": config.save_product,
        "warehouses": config.save_warehouse, "channels": config.save_channel, "carriers": config.save_carrier,
    }  # fmt: skip
    savers[section](entry, datetime.now(UTC))


def create_entry(uow: SqlUnitOfWork, section: str, data: Mapping[str, Any]) -> Any:
    """Add a new entry; ``Conflict`` if its code is taken."""
    with uow:
        config = SqlConfiguration(uow.session)
        entry = _read_entry(section, data, stored_document(config), config.deployed_process_keys())
        code = getattr(entry, KEYS[section])
        if _get(config, section, code) is not None:
            raise Conflict(
                f"A {NOUNS[section]} {code!r} exists already; PUT /api/v1/{section}/{code} replaces it",
                errors=[{"loc": [KEYS[section]], "msg": "already exists"}],
            )
        _save(config, section, entry)
        uow.commit()
    return entry


def replace_entry(uow: SqlUnitOfWork, section: str, code: str, data: Mapping[str, Any]) -> Any:
    """Replace an existing entry whole (its code cannot change)."""
    key = KEYS[section]
    body = dict(data)
    if body.setdefault(key, code) != code:
        raise InvalidInput(
            f"The {key} in the body ({body[key]!r}) differs from the one in the URL ({code!r})",
            errors=[{"loc": [key], "msg": f"must be {code!r} (codes never change)"}],
        )
    with uow:
        config = SqlConfiguration(uow.session)
        if _get(config, section, code) is None:
            raise _not_found(section, code)
        entry = _read_entry(section, body, stored_document(config), config.deployed_process_keys())
        _save(config, section, entry)
        uow.commit()
    return entry


def remove_entry(uow: SqlUnitOfWork, section: str, code: str) -> None:
    """Deactivate a product, warehouse, channel or carrier; delete a category no product uses."""
    with uow:
        config = SqlConfiguration(uow.session)
        if _get(config, section, code) is None:
            raise _not_found(section, code)
        if section == "categories":
            used = config.products_in_category(code)
            if used:
                raise Conflict(
                    f"The category {code!r} still has {used} product(s); move or remove them first"
                )
            config.delete_category(code)
        else:
            config.deactivate(section, code, datetime.now(UTC))
        uow.commit()
