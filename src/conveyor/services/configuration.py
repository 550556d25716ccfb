"""The configuration document: apply (or dry-run), diff and export, in one transaction.

``apply_configuration`` validates the whole document first with the domain's
parser (every problem with its path: ``products[3].attributes.size: 'XXXL'
is not one of [...]``), checks product attributes against their category's
JSON Schema and category schemas against JSON Schema itself, and only then
writes, all in one unit of work: on any error nothing is applied. A dry run
does the same reading and comparing and writes nothing.

Sections the document leaves out stay untouched. A section it contains is
the complete list: what is missing is removed, meaning deactivated for
products, warehouses, channels and carriers (stock, orders and the ledger
still refer to them) and deleted for categories, which must then be unused.
``export_configuration`` writes the stored configuration in the same shape,
so export followed by apply changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import yaml

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.domain.config_document import (
    ConfigDocument,
    ExistingConfiguration,
    parse_config_document,
)
from conveyor.domain.config_export import document_to_mapping
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.problems import FieldProblem, raise_problems
from conveyor.services import exceptions as register
from conveyor.services import finance_settings, order_changes
from conveyor.services.attribute_schemas import attribute_problems, schema_problems
from conveyor.services.config_changes import SECTIONS, ConfigChanges, SectionChanges, compare
from conveyor.services.unit_of_work import SqlUnitOfWork

DEFAULT_CONFIG_FILE = "default-config.yaml"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _default_text() -> str:
    return resources.files("conveyor.processes").joinpath(DEFAULT_CONFIG_FILE).read_text("utf-8")


def default_configuration() -> Any:
    """The bundled default configuration (``processes/default-config.yaml``) as plain data."""
    return load_document(_default_text(), DEFAULT_CONFIG_FILE)


def load_document(text: str, source: str = "the document") -> Any:
    """YAML (or JSON, which is YAML) text as plain data; a syntax error names the line."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (the C one when built)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise InvalidConfigDocument(
            f"{source} is not valid YAML{where}: {problem}",
            errors=[{"loc": [], "path": "", "msg": f"not valid YAML{where}: {problem}", "type": "yaml"}],
        ) from err


def stored_document(config: SqlConfiguration) -> ConfigDocument:
    """Everything configured, as one document (inactive entries included)."""
    return ConfigDocument(
        categories=tuple(config.categories()),
        products=tuple(config.products()),
        warehouses=tuple(config.warehouses()),
        channels=tuple(config.channels()),
        carriers=tuple(config.carriers()),
    )


def _active_codes(document: ConfigDocument) -> dict[str, set[str]]:
    return {
        "categories": {c.code for c in document.categories},
        "products": {p.sku for p in document.products if p.active},
        "warehouses": {w.code for w in document.warehouses if w.active},
        "channels": {c.code for c in document.channels if c.active},
        "carriers": {c.code for c in document.carriers if c.active},
    }


def read_document(
    data: Any, current: ConfigDocument, known_processes: set[str] | None = None
) -> tuple[ConfigDocument, list[str]]:
    """The validated document and the sections it contains; ``InvalidConfigDocument`` on any problem.

    With ``known_processes`` (the deployed process ids) every channel's ``process`` must be one of them.
    """
    present = [name for name in SECTIONS if isinstance(data, Mapping) and name in data]
    existing = ExistingConfiguration(
        categories={} if "categories" in present else _schemas(current),
        warehouses=() if "warehouses" in present else [w.code for w in current.warehouses],
    )
    problems: list[FieldProblem] = []
    raw_categories = data.get("categories") if isinstance(data, Mapping) else None
    if isinstance(raw_categories, list):
        for index, raw in enumerate(raw_categories):
            schema = raw.get("attribute_schema") if isinstance(raw, Mapping) else None
            if isinstance(schema, Mapping):
                for path, message in schema_problems(schema):
                    problems.append(FieldProblem(("categories", index, "attribute_schema", *path), message))
    try:
        document = parse_config_document(
            data, existing=existing, attribute_validator=attribute_problems, known_processes=known_processes
        )
    except InvalidConfigDocument as err:
        problems += [FieldProblem(tuple(e["loc"]), e["msg"], e.get("type", "invalid")) for e in err.errors]
    if problems:
        raise_problems(InvalidConfigDocument, f"The configuration has {len(problems)} problem(s)", problems)
    return document, present


def _schemas(document: ConfigDocument) -> dict[str, Mapping[str, Any]]:
    return {c.code: c.attribute_schema for c in document.categories}


def _check_removed_categories(
    changes: ConfigChanges, wanted: ConfigDocument, current: ConfigDocument
) -> None:
    """A category can only go when no product, kept or deactivated, still belongs to it."""
    section = changes.sections.get("categories")
    removed = set(section.removed) if section else set()
    kept_products = {p.sku: p for p in current.products} | {p.sku: p for p in wanted.products}
    problems = []
    for code in sorted(removed):
        users = sorted(sku for sku, product in kept_products.items() if product.category == code)
        if users:
            listed = ", ".join(users[:5]) + (" ..." if len(users) > 5 else "")
            message = (f"category {code!r} is missing but products still belong to it ({listed}); "
                       "keep it in the document or move those products")  # fmt: skip
            problems.append(FieldProblem(("categories",), message))
    if problems:
        raise_problems(InvalidConfigDocument, "The configuration cannot be applied", problems)


def _write(config: SqlConfiguration, changes: ConfigChanges, wanted: ConfigDocument, at: datetime) -> None:
    savers = {
        "categories": ("code", config.save_category), "products": ("sku", config.save_product),
        "warehouses": ("code", config.save_warehouse), "channels": ("code", config.save_channel),
        "carriers": ("code", config.save_carrier),
    }  # fmt: skip
    for section, section_changes in changes.sections.items():
        if section not in savers:
            continue  # stored by its own module (exceptions)
        key, save = savers[section]
        touched = set(section_changes.added) | set(section_changes.changed)
        for item in getattr(wanted, section):
            if getattr(item, key) in touched:
                save(item, at)  # type: ignore[operator]
    for section in ("products", "warehouses", "channels", "carriers"):
        if section in changes.sections:
            for code in changes.sections[section].removed:
                config.deactivate(section, code, at)
    if "categories" in changes.sections:
        for code in changes.sections["categories"].removed:
            config.delete_category(code)


def apply_configuration(
    uow: SqlUnitOfWork, data: Any, *, dry_run: bool = False, check_processes: bool = True
) -> ConfigChanges:
    """Apply a parsed YAML/JSON document (or only report what would change when ``dry_run``).

    Once any BPMN process is deployed, a channel must name a deployed one
    (``check_processes=False`` skips that, for the default configuration that
    ``conveyor init`` loads before it deploys the bundled processes).
    """
    with uow:
        config = SqlConfiguration(uow.session)
        current = stored_document(config)
        known = config.deployed_process_keys() if check_processes else None
        wanted, present = read_document(data, current, known)
        changes = compare(current, wanted, present, _active_codes(current))
        changes = _exception_changes(uow, changes, data)
        changes = _finance_changes(uow, changes, data)
        changes = _order_change_changes(uow, changes, data)
        _check_removed_categories(changes, wanted, current)
        if dry_run or changes.is_empty:
            return changes
        _write(config, changes, wanted, datetime.now(UTC))
        if "exceptions" in changes.sections and not changes.sections["exceptions"].is_empty:
            register.save_settings(uow.session, data["exceptions"], datetime.now(UTC))
        for section in finance_settings.SECTIONS:  # finance, returns, carrier_exceptions
            if section in changes.sections and not changes.sections[section].is_empty:
                finance_settings.save_section(uow.session, section, data[section], datetime.now(UTC))
        if "order_changes" in changes.sections and not changes.sections["order_changes"].is_empty:
            order_changes.save_settings(uow.session, data["order_changes"], datetime.now(UTC))
        uow.commit()
    return ConfigChanges(changes.sections, applied=True)


def _exception_changes(uow: SqlUnitOfWork, changes: ConfigChanges, data: Any) -> ConfigChanges:
    """Add the ``exceptions`` section's changes (its top-level keys that differ from what is stored)."""
    if not isinstance(data, Mapping) or data.get("exceptions") is None:
        return changes
    stored = register.stored_settings_document(uow.session) or {}
    wanted = data["exceptions"]
    differing = tuple(sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k)))
    section = SectionChanges(changed={"exceptions": differing}) if differing else SectionChanges()
    return ConfigChanges({**changes.sections, "exceptions": section}, changes.applied)


def _finance_changes(uow: SqlUnitOfWork, changes: ConfigChanges, data: Any) -> ConfigChanges:
    """The ``finance``, ``returns`` and ``carrier_exceptions`` sections' changes (keys that differ)."""
    if not isinstance(data, Mapping):
        return changes
    stored_sections = finance_settings.stored_sections(uow.session)
    sections = dict(changes.sections)
    for name in finance_settings.SECTIONS:
        wanted = data.get(name)
        if not isinstance(wanted, Mapping):
            continue
        stored = stored_sections.get(name) or {}
        differing = tuple(sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k)))
        sections[name] = SectionChanges(changed={name: differing}) if differing else SectionChanges()
    return ConfigChanges(sections, changes.applied)


def _order_change_changes(uow: SqlUnitOfWork, changes: ConfigChanges, data: Any) -> ConfigChanges:
    """The ``order_changes`` section's changes (its keys that differ from what is stored)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("order_changes"), Mapping):
        return changes
    stored = order_changes.stored_settings_document(uow.session) or {}
    wanted = data["order_changes"]
    differing = tuple(sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k)))
    section = SectionChanges(changed={"order_changes": differing}) if differing else SectionChanges()
    return ConfigChanges({**changes.sections, "order_changes": section}, changes.applied)


def load_default_configuration(uow: SqlUnitOfWork) -> ConfigChanges | None:
    """Apply the bundled default configuration to a database that has none yet (``conveyor init``).

    A database with any category, warehouse or channel is left alone (None):
    its configuration belongs to its operators now.
    """
    with uow:
        config = SqlConfiguration(uow.session)
        if config.categories() or config.warehouses() or config.channels():
            return None
    return apply_configuration(uow, default_configuration(), check_processes=False)


def diff_configuration(uow: SqlUnitOfWork, data: Any) -> ConfigChanges:
    """What applying ``data`` would change (the same as a dry run)."""
    return apply_configuration(uow, data, dry_run=True)


def export_configuration(uow: SqlUnitOfWork) -> dict[str, Any]:
    """The stored configuration as a document ``apply_configuration`` reads back unchanged."""
    with uow:
        document = document_to_mapping(stored_document(SqlConfiguration(uow.session)))
        exceptions = register.stored_settings_document(uow.session)
        document |= {"exceptions": dict(exceptions)} if exceptions is not None else {}
        settings = order_changes.stored_settings_document(uow.session)
        document |= {"order_changes": dict(settings)} if settings is not None else {}
        return document | finance_settings.stored_sections(uow.session)
