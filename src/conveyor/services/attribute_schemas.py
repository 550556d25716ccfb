"""Product attributes checked against their category's JSON Schema (the ``jsonschema`` library).

Categories carry a JSON Schema (draft 2020-12 unless the schema names
another with ``$schema``); a product's ``attributes`` must satisfy it. Each
problem comes back as ``(path inside the attributes, message)`` so the
configuration document can report ``products[3].attributes.size: 'XXXL' is
not one of ['S', 'M', 'L']``. Schemas are used as data: no ``$ref`` is
fetched from the network (an unknown remote reference is a problem, not a
download).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema import exceptions as schema_errors
from jsonschema import validators
from referencing import Registry

from conveyor.domain.problems import PathPart

_NO_REMOTE = Registry()  # resolves only what a schema defines itself


def _path(parts: Iterable[Any]) -> tuple[PathPart, ...]:
    return tuple(part if isinstance(part, int) else str(part) for part in parts)


def schema_problems(schema: Mapping[str, Any]) -> list[tuple[Sequence[PathPart], str]]:
    """What is wrong with a category's schema itself (empty when it is a valid JSON Schema)."""
    validator = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        validator.check_schema(schema)
    except schema_errors.SchemaError as err:
        return [(_path(err.absolute_path), f"is not a valid JSON Schema: {err.message}")]
    return []


def attribute_problems(
    schema: Mapping[str, Any], attributes: Mapping[str, Any]
) -> list[tuple[Sequence[PathPart], str]]:
    """Every way ``attributes`` break ``schema``, by path inside the attributes, in document order."""
    if schema_problems(schema):
        return []  # reported on the category
    validator_class = validators.validator_for(schema, default=validators.Draft202012Validator)
    validator = validator_class(schema, registry=_NO_REMOTE)
    try:
        errors = sorted(validator.iter_errors(attributes), key=lambda e: [str(p) for p in e.absolute_path])
    except schema_errors.ValidationError as err:  # pragma: no cover - iter_errors yields, never raises
        return [((), err.message)]
    except Exception as err:  # an unresolvable $ref and the like: the schema's fault, said plainly
        return [((), f"cannot be checked against the category's schema: {err}")]
    return [(_path(error.absolute_path), error.message) for error in errors]
