"""What the parser carries while it reads one file: the problems found so far and the roots.

Problems are collected, never raised one by one, so a user sees every mistake of a
model in one round. Each problem names the element id, its name, the line and a hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.engine.bpmn import expressions
from conveyor.engine.bpmn.model import ErrorDef, EscalationDef, Evaluable, MessageDef, SignalDef
from conveyor.engine.bpmn.xml import Element, attr, is_bpmn, line, local
from conveyor.engine.errors import ExpressionError, Problem


def _owner(at: Element) -> Element:
    """The BPMN element a problem belongs to: an extension element's problem is its task's."""
    owner: Element | None = at
    while owner is not None and (not is_bpmn(owner) or local(owner) == "extensionElements"):
        owner = owner.getparent()
    return owner if owner is not None else at


@dataclass
class ParseContext:
    file: str | None = None
    problems: list[Problem] = field(default_factory=list)
    messages: dict[str, MessageDef] = field(default_factory=dict)
    signals: dict[str, SignalDef] = field(default_factory=dict)
    errors: dict[str, ErrorDef] = field(default_factory=dict)
    escalations: dict[str, EscalationDef] = field(default_factory=dict)
    #: the file's ``expressionLanguage`` (the default language of its conditions)
    expression_language: str | None = None
    #: True while reading an executable process: unsupported things are errors there.
    executable: bool = True

    # --- problems ---------------------------------------------------------------------------

    def report(
        self,
        severity: str,
        code: str,
        message: str,
        at: Element | None = None,
        *,
        element_id: str | None = None,
        name: str | None = None,
        at_line: int | None = None,
        hint: str | None = None,
    ) -> None:
        if at is not None:
            owner = _owner(at)
            element_id = element_id or attr(owner, "id")
            name = name or attr(owner, "name")
            at_line = at_line or line(at)
        self.problems.append(
            Problem(
                "error" if severity == "error" else "warning",
                code,
                message,
                element_id=element_id,
                element_name=name,
                line=at_line,
                file=self.file,
                hint=hint,
            )
        )

    def error(self, code: str, message: str, at: Element | None = None, **kw: Any) -> None:
        self.report("error", code, message, at, **kw)

    def warning(self, code: str, message: str, at: Element | None = None, **kw: Any) -> None:
        self.report("warning", code, message, at, **kw)

    def run_warning(self, code: str, message: str, at: Element | None = None, **kw: Any) -> None:
        """A warning about how the process would run: pointless (and dropped) in descriptive ones."""
        if self.executable:
            self.report("warning", code, message, at, **kw)

    def strict(self, code: str, message: str, at: Element | None = None, **kw: Any) -> None:
        """An error in an executable process, a warning in a descriptive one."""
        self.report("error" if self.executable else "warning", code, message, at, **kw)

    # --- expressions ------------------------------------------------------------------------

    def expression(self, text: str, at: Element, what: str, *, dialect: str = "auto") -> Evaluable | None:
        """Compile ``text``; on bad syntax report it (naming ``what``) and return ``None``."""
        try:
            compiled = expressions.compile_text(text, dialect=dialect)
        except ExpressionError as err:
            self._bad_expression(err, text, at, what)
            return None
        self._check_names(compiled, at, what)
        return compiled

    def value(self, text: str | None, at: Element, what: str) -> Evaluable | None:
        """An extension value: an expression when it starts with ``=``, ``${`` or ``#{``, else a Const."""
        if text is None:
            return None
        try:
            return expressions.compile_value(text)
        except ExpressionError as err:
            self._bad_expression(err, text, at, what)
            return None

    def condition(self, text: str, at: Element, what: str, language: str | None = None) -> Evaluable | None:
        try:
            compiled = expressions.compile_condition(text, language, self.expression_language)
        except ExpressionError as err:
            self._bad_expression(err, text, at, what)
            return None
        self._check_names(compiled, at, what)
        return compiled

    def _check_names(self, compiled: Evaluable, at: Element, what: str) -> None:
        """FEEL reads ``not done`` as one variable named "not done": almost never what is meant."""
        for name in sorted(expressions.names_of(compiled)):
            if name.startswith("not "):
                self.run_warning(
                    "suspicious_name",
                    f"the {what} {compiled.source!r} reads a variable named {name!r}",
                    at,
                    hint=f"FEEL's not is a function: write not({name[4:]})",
                )

    def _bad_expression(self, err: ExpressionError, text: str, at: Element, what: str) -> None:
        detail = err.message if err.source is not None else f"{err.message} in {text!r}"
        self.strict(
            "bad_expression",
            f"the {what} cannot be read: {detail}",
            at,
            hint="conditions and mappings are FEEL (Camunda 8 '=expr' or plain) "
            "or Camunda 7 '${...}' comparisons and boolean logic",
        )
