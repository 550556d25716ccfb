"""The exception register's rules: categories, severities, statuses, SLA, and the free-text classifier.

Everything here is plain Python and driven by configuration (the
``exceptions`` section of the configuration document, defaults in
``processes/default-config.yaml``):

- ``categories``: the codes records are filed under (product_quality, carrier,
  address, payment, stock_accuracy, customer_change, system by default);
- ``types``: per exception type (``return.requested``, ``pick.short`` ...) its
  category, default severity, owner group and SLA hours;
- ``sla_hours``: the SLA per severity for types that do not set their own;
- ``return_reasons``: reason code -> category (a reason code decides the
  category before anything else does);
- ``classifier``: weighted keyword/phrase rules per category plus example
  sentences; free text is classified by the rules (confidence = the winning
  category's share of the total score) and, when no rule fires, by a small
  multinomial naive Bayes model trained on the rules' examples and phrases;
- ``tasks``: the task inbox's escalation (manager group) settings.

``read_exception_settings`` returns the typed settings or raises one
``InvalidConfigDocument`` naming every problem by its path
(``exceptions.types[3].severity: must be one of ...``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from conveyor.domain.config_reading import Entry
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.problems import PathPart, Problems, did_you_mean, raise_problems

Loc = tuple[PathPart, ...]


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ExceptionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


SEVERITIES = tuple(s.value for s in Severity)
STATUSES = tuple(s.value for s in ExceptionStatus)
SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}

#: Which status may follow which (the same status again is a no-op, not a transition).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "resolved", "closed"}),
    "in_progress": frozenset({"open", "resolved", "closed"}),
    "resolved": frozenset({"closed", "open"}),  # reopening a resolved record is allowed
    "closed": frozenset(),
}
DONE_STATUSES = frozenset({"resolved", "closed"})

TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def can_move(current: str, wanted: str) -> bool:
    return wanted == current or wanted in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True, slots=True)
class ExceptionTypeRule:
    type: str
    category: str
    severity: Severity = Severity.MEDIUM
    owner_group: str | None = None
    sla_hours: float | None = None


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """Keyword/phrase weights and example sentences for one category."""

    category: str
    keywords: Mapping[str, float] = field(default_factory=dict)
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskSettings:
    escalation_group: str = "manager"
    escalation_type: str = "task.overdue"
    supervisor_groups: tuple[str, ...] = ("manager",)  # may work on any task whatever its candidates
    default_due_hours: float | None = None  # due date of a task whose model sets none (None: no due date)


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    confidence: float
    method: str  # "rules" | "naive_bayes"
    scores: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the register files a new record under, and why."""

    category: str
    category_source: str  # explicit | reason_code | classifier | type | default
    severity: Severity
    owner_group: str | None
    sla_hours: float
    classification: Classification | None


# --- text: tokens with light stemming -------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ingly", "edly", "ness", "ing", "ies", "ied", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A light stemmer: strips one common English suffix when enough of the word remains."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "aeiouls":
                base = base[:-1]  # stopped -> stop, shipped -> ship
            return base
    return word


def tokens(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(text.lower())]


class Classifier:
    """Keyword/phrase rules first; a naive Bayes model trained on the rules' examples when no rule fires."""

    def __init__(self, rules: Iterable[CategoryRule], *, min_confidence: float = 0.0) -> None:
        self.rules = tuple(rules)
        self.min_confidence = min_confidence
        # phrases by their first word: a text is scanned once, each word looking up only its phrases
        self._phrases: dict[str, list[tuple[str, list[str], float]]] = {}
        for rule in self.rules:
            for phrase, weight in rule.keywords.items():
                words = tokens(phrase)
                self._phrases.setdefault(words[0], []).append((rule.category, words, weight))
        self._train()

    def _train(self) -> None:
        docs: dict[str, Counter[str]] = {}
        for rule in self.rules:
            counts = docs.setdefault(rule.category, Counter())
            for example in rule.examples:
                counts.update(tokens(example))
            for phrase in rule.keywords:
                counts.update(tokens(phrase))
        self._vocabulary = set().union(*docs.values()) if docs else set()
        total_docs = sum(len(rule.examples) + len(rule.keywords) for rule in self.rules) or 1
        self._priors: dict[str, float] = {}
        self._likelihood: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        size = len(self._vocabulary) or 1
        for rule in self.rules:
            counts = docs[rule.category]
            total = sum(counts.values())
            n_docs = len(rule.examples) + len(rule.keywords)
            self._priors[rule.category] = math.log(max(n_docs, 1) / total_docs)
            self._likelihood[rule.category] = {
                w: math.log((c + 1) / (total + size)) for w, c in counts.items()
            }
            self._unseen[rule.category] = math.log(1 / (total + size))

    def by_rules(self, text: str) -> Classification | None:
        words = tokens(text)
        scores: dict[str, float] = {}
        for index, word in enumerate(words):
            for category, phrase, weight in self._phrases.get(word, ()):
                if words[index : index + len(phrase)] == phrase:
                    scores[category] = scores.get(category, 0.0) + weight
        total = sum(scores.values())
        if total <= 0:
            return None
        best = max(sorted(scores), key=lambda c: scores[c])
        return Classification(best, round(scores[best] / total, 4), "rules", scores)

    def by_naive_bayes(self, text: str) -> Classification | None:
        words = [w for w in tokens(text) if w in self._vocabulary]
        if not words or not self._likelihood:
            return None
        logs = {
            category: self._priors[category]
            + sum(self._likelihood[category].get(w, self._unseen[category]) for w in words)
            for category in self._likelihood
        }
        top = max(logs.values())
        weights = {c: math.exp(v - top) for c, v in logs.items()}
        total = sum(weights.values())
        best = max(sorted(weights), key=lambda c: weights[c])
        posterior = {c: round(w / total, 4) for c, w in weights.items()}
        return Classification(best, posterior[best], "naive_bayes", posterior)

    def classify(self, text: str | None) -> Classification | None:
        """The category of ``text`` with its confidence, or None when nothing recognisable is in it."""
        if not text or not text.strip():
            return None
        return self.by_rules(text) or self.by_naive_bayes(text)

    def confident(self, text: str | None) -> Classification | None:
        """``classify`` when its confidence reaches ``min_confidence``."""
        result = self.classify(text)
        return result if result is not None and result.confidence >= self.min_confidence else None


# --- settings ---------------------------------------------------------------------------

SECTION_FIELDS = frozenset(
    {"categories", "default_category", "default_severity", "default_owner_group", "sla_hours", "types",
     "return_reasons", "classifier", "tasks"}
)  # fmt: skip
CATEGORY_FIELDS = frozenset({"code", "name"})
TYPE_FIELDS = frozenset({"type", "category", "severity", "owner_group", "sla_hours"})
REASON_FIELDS = frozenset({"code", "category", "name"})
CLASSIFIER_FIELDS = frozenset({"min_confidence", "rules"})
RULE_FIELDS = frozenset({"category", "keywords", "examples"})
TASK_FIELDS = frozenset({"escalation_group", "escalation_type", "supervisor_groups", "default_due_hours"})


@dataclass(frozen=True, slots=True)
class ExceptionSettings:
    categories: Mapping[str, str]  # code -> name
    types: Mapping[str, ExceptionTypeRule]
    sla_hours: Mapping[Severity, float]
    return_reasons: Mapping[str, str]  # reason code -> category
    rules: tuple[CategoryRule, ...] = ()
    min_confidence: float = 0.3
    default_category: str = "system"
    default_severity: Severity = Severity.MEDIUM
    default_owner_group: str | None = "support"
    tasks: TaskSettings = TaskSettings()

    def classifier(self) -> Classifier:
        return Classifier(self.rules, min_confidence=self.min_confidence)

    def resolve(
        self,
        type: str,
        *,
        category: str | None = None,
        severity: str | None = None,
        reason_code: str | None = None,
        text: str | None = None,
        classifier: Classifier | None = None,
    ) -> Resolved:
        """Category, severity, owner group and SLA for a new record of ``type``."""
        rule = self.types.get(type)
        classification = (classifier or self.classifier()).classify(text) if text else None
        chosen: tuple[str, str]
        if category is not None:
            chosen = (category, "explicit")
        elif reason_code is not None and reason_code in self.return_reasons:
            chosen = (self.return_reasons[reason_code], "reason_code")
        elif classification is not None and classification.confidence >= self.min_confidence:
            chosen = (classification.category, "classifier")
        elif rule is not None:
            chosen = (rule.category, "type")
        else:
            chosen = (self.default_category, "default")
        level = (
            Severity(severity) if severity is not None else (rule.severity if rule else self.default_severity)
        )
        sla = rule.sla_hours if rule is not None and rule.sla_hours is not None else self.sla_hours[level]
        owner = rule.owner_group if rule is not None and rule.owner_group else self.default_owner_group
        return Resolved(chosen[0], chosen[1], level, owner, sla, classification)


def due_at(created: datetime, sla_hours: float) -> datetime:
    return created + timedelta(hours=sla_hours)


def _number(entry: Entry, key: str, *, minimum: float, maximum: float | None = None) -> float | None:
    value = entry.data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        entry.add(key, f"must be a number, got {value!r}")
        return None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        entry.add(key, f"must be at least {minimum}{upper}, got {value}")
        return None
    return float(value)


def _severity(entry: Entry, key: str, default: Severity) -> Severity:
    raw = entry.data.get(key)
    if raw is None:
        return default
    if raw not in SEVERITIES:
        entry.add(key, f"must be one of {list(SEVERITIES)}, got {raw!r}{did_you_mean(str(raw), SEVERITIES)}")
        return default
    return Severity(raw)


def _category_ref(entry: Entry, key: str, known: set[str], *, required: bool = True) -> str:
    code = entry.text(key, required=required)
    if code and code not in known:
        entry.add(key, f"unknown category {code!r}{did_you_mean(code, known)}")
    return code


def read_exception_settings(data: Any, loc: Loc = ("exceptions",)) -> ExceptionSettings:
    """The typed settings, or ``InvalidConfigDocument`` listing every problem with its path."""
    problems = Problems()
    settings = collect_exception_settings(data, loc, problems)
    if problems or settings is None:
        raise_problems(InvalidConfigDocument, f"The exceptions configuration has {len(problems)} problem(s)",
                       problems.items)  # fmt: skip
    return settings


def collect_exception_settings(data: Any, loc: Loc, problems: Problems) -> ExceptionSettings | None:
    """Like ``read_exception_settings`` but adds problems to ``problems`` (None when any)."""
    start = len(problems)
    section = Entry(data, loc, problems, SECTION_FIELDS)

    categories: dict[str, str] = {}
    for index, raw in enumerate(section.items("categories", required=True)):
        if isinstance(raw, str):
            raw = {"code": raw}
        entry = Entry(raw, (*loc, "categories", index), problems, CATEGORY_FIELDS)
        code = entry.text("code")
        if code and not CODE_PATTERN.match(code):
            entry.add("code", f"must be lower-case letters, digits and '_', got {code!r}")
        elif code in categories:
            entry.add("code", f"{code!r} is listed twice")
        elif code:
            categories[code] = entry.text("name", required=False, default=code.replace("_", " ").capitalize())
    known = set(categories)

    default_category = _category_ref(section, "default_category", known, required=False) or "system"
    if "default_category" not in section.data and default_category not in known and known:
        section.add(
            "default_category", f"is required when the categories do not include {default_category!r}"
        )
    default_severity = _severity(section, "default_severity", Severity.MEDIUM)
    default_owner = section.text("default_owner_group", required=False) or None

    sla: dict[Severity, float] = {}
    raw_sla = section.mapping("sla_hours", required=True)
    for key, value in raw_sla.items():
        if key not in SEVERITIES:
            problems.add(
                (*loc, "sla_hours", str(key)), f"unknown severity{did_you_mean(str(key), SEVERITIES)}"
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.add((*loc, "sla_hours", str(key)), f"must be a positive number of hours, got {value!r}")
        else:
            sla[Severity(key)] = float(value)
    for level in Severity:
        if raw_sla and level not in sla and level.value not in raw_sla:
            problems.add((*loc, "sla_hours", level.value), "is required (hours for every severity)")

    types: dict[str, ExceptionTypeRule] = {}
    for index, raw in enumerate(section.items("types")):
        entry = Entry(raw, (*loc, "types", index), problems, TYPE_FIELDS)
        kind = entry.text("type")
        if kind and not TYPE_PATTERN.match(kind):
            entry.add("type", f"must be dotted lower-case words such as 'pick.short', got {kind!r}")
        elif kind in types:
            entry.add("type", f"{kind!r} is listed twice")
        category = _category_ref(entry, "category", known)
        level = _severity(entry, "severity", default_severity)
        owner = entry.text("owner_group", required=False) or None
        hours = _number(entry, "sla_hours", minimum=0.01)
        if entry.clean and kind:
            types[kind] = ExceptionTypeRule(kind, category, level, owner, hours)

    reasons: dict[str, str] = {}
    for index, raw in enumerate(section.items("return_reasons")):
        entry = Entry(raw, (*loc, "return_reasons", index), problems, REASON_FIELDS)
        code = entry.text("code")
        category = _category_ref(entry, "category", known)
        entry.text("name", required=False)
        if code in reasons:
            entry.add("code", f"{code!r} is listed twice")
        elif entry.clean and code:
            reasons[code] = category

    classifier = Entry(
        section.data.get("classifier") or {}, (*loc, "classifier"), problems, CLASSIFIER_FIELDS
    )
    confidence = _number(classifier, "min_confidence", minimum=0.0, maximum=1.0)
    rules: list[CategoryRule] = []
    for index, raw in enumerate(classifier.items("rules")):
        entry = Entry(raw, (*loc, "classifier", "rules", index), problems, RULE_FIELDS)
        category = _category_ref(entry, "category", known)
        weights: dict[str, float] = {}
        raw_keywords = entry.data.get("keywords")
        if isinstance(raw_keywords, list):
            raw_keywords = {str(k): 1 for k in raw_keywords}
        if raw_keywords is not None and not isinstance(raw_keywords, Mapping):
            entry.add("keywords", "must map each keyword or phrase to a weight, or list keywords")
            raw_keywords = {}
        for phrase, weight in (raw_keywords or {}).items():
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                entry.add(("keywords", str(phrase)), f"must be a positive weight, got {weight!r}")
            elif not tokens(str(phrase)):
                entry.add(("keywords", str(phrase)), "has no words in it")
            else:
                weights[str(phrase)] = float(weight)
        examples = [str(e) for e in entry.items("examples") if isinstance(e, str) and e.strip()]
        if not weights and not examples and entry.clean:
            entry.add((), "needs keywords or examples")
        if entry.clean:
            rules.append(CategoryRule(category, weights, tuple(examples)))

    task_entry = Entry(section.data.get("tasks") or {}, (*loc, "tasks"), problems, TASK_FIELDS)
    has_supervisors = "supervisor_groups" in task_entry.data
    supervisors = task_entry.items("supervisor_groups") if has_supervisors else ["manager"]
    for index, group in enumerate(supervisors):
        if not isinstance(group, str) or not group.strip():
            task_entry.add(("supervisor_groups", index), f"must be a group or role name, got {group!r}")
    tasks = TaskSettings(
        task_entry.text("escalation_group", required=False, default="manager") or "manager",
        task_entry.text("escalation_type", required=False, default="task.overdue") or "task.overdue",
        tuple(str(g).strip() for g in supervisors if isinstance(g, str) and g.strip()),
        _number(task_entry, "default_due_hours", minimum=0.01),
    )
    if tasks.escalation_type not in types and "escalation_type" in task_entry.data:
        task_entry.add(
            "escalation_type",
            f"is not one of the configured types{did_you_mean(tasks.escalation_type, types)}",
        )

    if len(problems) > start:
        return None
    return ExceptionSettings(
        categories=categories,
        types=types,
        sla_hours=sla,
        return_reasons=reasons,
        rules=tuple(rules),
        min_confidence=confidence if confidence is not None else 0.3,
        default_category=default_category,
        default_severity=default_severity,
        default_owner_group=default_owner,
        tasks=tasks,
    )
