"""The XPath conditions BPMN tools write, rewritten as FEEL.

XPath 1.0 is the BPMN standard's default expression language, and some modelers
(Signavio, W4, ITP) write conditions in it: ``bpmn:getDataObject('approved')``,
``not(...)``, ``x = 'yes'``. Those few forms are also FEEL once the data access
function becomes the variable's name and single quotes become double quotes, so
instead of a second interpreter we rewrite the text and hand it to FEEL. Anything
FEEL then refuses stays refused. (``==`` is read as ``=``: tools write it although
XPath has no such operator.)
"""

from __future__ import annotations

import re

from conveyor.engine.errors import ExpressionError

_DATA_ACCESS = re.compile(r"""bpmn:getDataObject\(\s*(['"])([A-Za-z_][\w ]*)\1\s*\)""")


def xpath_to_feel(text: str) -> str:
    """Rewrite the XPath subset into FEEL text (raises ``ExpressionError`` on an unclosed string)."""
    source = _DATA_ACCESS.sub(lambda m: m.group(2), text)
    out: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch in "'\"":
            end = source.find(ch, i + 1)
            if end < 0:
                raise ExpressionError("a string is not closed", text, i)
            body = source[i + 1 : end]
            out.append('"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"')
            i = end + 1
        elif source.startswith("==", i):
            out.append("=")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
