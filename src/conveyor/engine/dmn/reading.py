"""What the DMN readers share: the file's namespace, its problem log and compiler.

DMN 1.1 to 1.5 differ in the namespace of the model elements but, for the
parts we support, not in their names, so one reader serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from conveyor.engine.dmn.expressions import Compiler, dialect_for
from conveyor.engine.dmn.model import ItemDefinition
from conveyor.engine.dmn.problems import ProblemLog, Where
from conveyor.engine.dmn.types import is_known_type

#: model namespace -> DMN version
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
CAMUNDA_NAMESPACE = "http://camunda.org/schema/1.0/dmn"


@dataclass
class Reader:
    namespace: str
    log: ProblemLog
    default_dialect: str = "auto"
    item_definitions: Mapping[str, ItemDefinition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.compiler = Compiler(self.log)

    def is_dmn(self, element: etree._Element, name: str | None = None) -> bool:
        if not isinstance(element.tag, str):
            return False
        qname = etree.QName(element)
        return qname.namespace == self.namespace and (name is None or qname.localname == name)

    def children(self, element: etree._Element, name: str) -> list[etree._Element]:
        return [child for child in element if self.is_dmn(child, name)]

    def child(self, element: etree._Element, name: str) -> etree._Element | None:
        found = self.children(element, name)
        return found[0] if found else None

    def text_of(self, element: etree._Element | None) -> str | None:
        """The ``<text>`` of an expression-like element (``None`` when absent), stripped."""
        if element is None:
            return None
        text = self.child(element, "text")
        if text is None:
            return None
        return (text.text or "").strip()

    def dialect(self, element: etree._Element, where: Where) -> str:
        language = element.get("expressionLanguage")
        dialect = dialect_for(language, self.default_dialect)
        if dialect is None:
            self.log.error(
                where,
                "dmn.expression_language",
                f"expression language {language!r} is not supported",
                "use FEEL (the default); Camunda 7 ${...} JUEL comparisons also work",
            )
            return self.default_dialect
        return dialect

    def check_type(self, type_ref: str | None, where: Where) -> None:
        if type_ref and not is_known_type(type_ref, self.item_definitions):
            self.log.warning(
                where,
                "dmn.unknown_type",
                f"type {type_ref!r} is neither a FEEL type nor an item definition; values are not checked",
                "use number, string, boolean, date, time, dateTime, dayTimeDuration, yearMonthDuration, "
                "context, list, Any, or an itemDefinition of this file",
            )


def href_id(href: str | None) -> str | None:
    """The id in an ``href`` such as ``#dish`` or ``namespace#dish``."""
    if not href:
        return None
    return href.rsplit("#", 1)[-1] or None
