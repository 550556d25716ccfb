"""Reading a DMN file's XML without letting the file attack the reader.

A DMN file comes from users (uploaded through the API, or passed to the CLI),
so it is parsed with entity expansion, DTD loading and network access turned
off, a size limit, and no "huge tree" mode. A document that declares entities
(the "billion laughs" and external-entity attacks both need them) is refused
outright with a ``ModelError`` rather than parsed with the entities left
unexpanded: no DMN modeler writes a DOCTYPE, so a file that has one is not a
model we should try to understand.
"""

from __future__ import annotations

import re

from lxml import etree

from conveyor.engine.errors import ModelError, Problem

#: Larger files are refused before parsing; real decision models are a few hundred KB.
MAX_SOURCE_BYTES = 10 * 1024 * 1024

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _refuse(code: str, message: str, hint: str, file: str | None, line: int | None = None) -> ModelError:
    return ModelError([Problem("error", code, message, line=line, file=file, hint=hint)], file=file)


def _entities_refused(file: str | None) -> ModelError:
    return _refuse(
        "dmn.xml_entities_refused",
        "the file declares a DOCTYPE with entities or an external DTD; entities are never expanded",
        "remove the <!DOCTYPE ...> declaration: DMN files do not need one",
        file,
        1,
    )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def load_xml(source: bytes | str, *, file: str | None = None) -> etree._Element:
    """Parse ``source`` safely and return the root element, or raise ``ModelError``."""
    # Text is already decoded: its declaration is dropped so its encoding name cannot lie.
    if isinstance(source, str):
        source = _DECLARATION.sub("", source.lstrip("\ufeff"), count=1)
    data = source.encode("utf-8") if isinstance(source, str) else source
    if len(data) > MAX_SOURCE_BYTES:
        raise _refuse(
            "dmn.too_large",
            f"the file is {len(data)} bytes, more than the {MAX_SOURCE_BYTES} bytes allowed",
            "split the decisions into several files",
            file,
        )
    if b"<!ENTITY" in data and b"<!DOCTYPE" in data:
        raise _entities_refused(file)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno if isinstance(err.lineno, int) else None
        raise _refuse(
            "dmn.xml_syntax",
            f"the file is not well-formed XML: {err.msg}",
            "open the file in a DMN modeler or an XML editor and fix the markup at this line",
            file,
            line,
        ) from err
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    has_entities = dtd is not None and list(getattr(dtd, "iterentities", list)())
    if has_entities or getattr(docinfo, "system_url", None) or docinfo.public_id:
        raise _entities_refused(file)
    return root
