"""Tag definitions as data: loading and validating the YAML an operator edits.

A tag file looks like::

    tag: strike
    description: A military kinetic attack carried out, or reported as carried out.
    threshold: 0.5            # confidence needed to emit the tag (default 0.5)
    rules:
      - id: air_strike
        weight: 0.9           # how sure one match makes us, 0..1
        any: ['\\bair ?strikes?\\b', '\\bairstrikes?\\b']
        context: ['\\bkill', '\\bhit']   # optional: also needed in the same sentence
        languages: [en]       # optional: only for items in these languages
    vetoes:
      - id: labour
        any: ['\\b(labou?r|hunger|general) strikes?\\b']
        near: 40              # optional: only within 40 characters of the match

Patterns are Python regular expressions, matched case-insensitively. A veto
cancels a rule's match in the same sentence (or within ``near`` characters).
"""

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from newswatch.classifier.prefilter import LiteralIndex, Requirement, required_literals
from newswatch.shared.errors import ConfigError
from newswatch.shared.topics import TAG_NAME

DEFAULT_THRESHOLD = 0.5


class TagFileError(ConfigError):
    """A tag file is invalid; the message names the file, the line and the problem."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    weight: float
    pattern: re.Pattern[str]
    context: re.Pattern[str] | None = None
    languages: frozenset[str] = frozenset()
    # The patterns of ``any`` one by one: each runs only where its own literals occur.
    parts: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    # Substrings a match cannot do without (see prefilter.py); None: always run the regex.
    literals: Requirement = field(init=False, compare=False)
    context_literals: Requirement = field(init=False, compare=False)
    part_literals: tuple[Requirement, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "literals", required_literals(self.pattern.pattern))
        context = required_literals(self.context.pattern) if self.context else None
        object.__setattr__(self, "context_literals", context)
        parts = tuple(required_literals(p.pattern) for p in self.parts)
        object.__setattr__(self, "part_literals", parts)

    def applies_to(self, language: str | None) -> bool:
        return not self.languages or language is None or language in self.languages


@dataclass(frozen=True, slots=True)
class Veto:
    id: str
    pattern: re.Pattern[str]
    near: int | None = None
    languages: frozenset[str] = frozenset()
    literals: Requirement = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "literals", required_literals(self.pattern.pattern))

    def applies_to(self, language: str | None) -> bool:
        return not self.languages or language is None or language in self.languages


@dataclass(frozen=True, slots=True)
class TagDefinition:
    tag: str
    description: str
    threshold: float
    rules: tuple[Rule, ...]
    vetoes: tuple[Veto, ...] = field(default=())
    # Literals one of which any rule needs: a field without them cannot carry the tag,
    # so most items are dismissed with a few substring tests. None: no such gate.
    literals: Requirement = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needs = [r.literals for r in self.rules]
        gate = None if any(n is None for n in needs) else frozenset().union(*needs)  # type: ignore[arg-type]
        object.__setattr__(self, "literals", gate)

    def vetoed(self, text: str, language: str | None) -> bool:
        """Does any of this tag's vetoes occur in the text (its distance ignored)? Vetoes
        name what the tag's words mean when no event is reported (a labour strike, a club's
        protest, a sanctions threat): the model needs to be surer to tag such an item alone."""
        lowered = text.lower()  # a veto's regex runs only where one of its literals is
        return any(
            v.applies_to(language)
            and (v.literals is None or any(w in lowered for w in v.literals))
            and v.pattern.search(text)
            for v in self.vetoes
        )


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The tags a classifier applies, with the literals any of them needs, computed once."""

    definitions: tuple[TagDefinition, ...]
    literals: Requirement = field(init=False, repr=False, compare=False)
    index: LiteralIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needs = [d.literals for d in self.definitions]
        gate = None if any(n is None for n in needs) else frozenset().union(*needs)  # type: ignore[arg-type]
        object.__setattr__(self, "literals", gate)
        every = [
            req
            for d in self.definitions
            for req in (
                *(r.literals for r in d.rules),
                *(r.context_literals for r in d.rules),
                *(v.literals for v in d.vetoes),
            )
            if req is not None
        ]
        object.__setattr__(self, "index", LiteralIndex(lit for req in every for lit in req))


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_tag_file(text: str, source: str) -> TagDefinition:
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise TagFileError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise TagFileError(f"{source}: line 1: expected a mapping with 'tag' and 'rules'")
    where = _Where(source)
    tag = doc.get("tag")
    if not isinstance(tag, str) or not TAG_NAME.match(tag):
        raise where.error(doc, f"'tag' must be a name matching {TAG_NAME.pattern}, got {tag!r}")
    _refuse_unknown(doc, {"tag", "description", "threshold", "rules", "vetoes"}, where)
    threshold = _fraction(doc, "threshold", DEFAULT_THRESHOLD, where)
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise where.error(doc, "'rules' must be a non-empty list")
    rules = tuple(_rule(r, where) for r in raw_rules)
    vetoes = tuple(_veto(v, where) for v in doc.get("vetoes") or [])
    _refuse_repeated_ids([r.id for r in rules] + [v.id for v in vetoes], doc, where)
    return TagDefinition(tag, str(doc.get("description", "")), threshold, rules, vetoes)


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, node: object, message: str) -> TagFileError:
        line = node.get("__line__", "?") if isinstance(node, dict) else "?"
        return TagFileError(f"{self.source}: line {line}: {message}")


def _refuse_unknown(node: dict[str, Any], allowed: set[str], where: _Where) -> None:
    unknown = sorted(k for k in node if k != "__line__" and k not in allowed)
    if unknown:
        raise where.error(node, f"unknown key(s) {', '.join(unknown)}; allowed: {sorted(allowed)}")


def _fraction(node: dict[str, Any], key: str, default: float, where: _Where) -> float:
    value = node.get(key, default)
    if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise where.error(node, f"'{key}' must be a number from 0 to 1, got {value!r}")
    return float(value)


def _compile(
    node: dict[str, Any], key: str, where: _Where, required: bool = True
) -> re.Pattern[str] | None:
    patterns = node.get(key)
    if patterns is None and not required:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) for p in patterns)
    ):
        raise where.error(node, f"'{key}' must be a pattern or a non-empty list of patterns")
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise where.error(node, f"bad pattern in '{key}': {p!r}: {exc}") from exc
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _languages(node: dict[str, Any], where: _Where) -> frozenset[str]:
    langs = node.get("languages") or []
    if not isinstance(langs, list) or not all(isinstance(x, str) and len(x) == 2 for x in langs):
        raise where.error(node, "'languages' must be a list of two-letter codes")
    return frozenset(x.lower() for x in langs)


def _ident(node: dict[str, Any], where: _Where) -> str:
    ident = node.get("id")
    if not isinstance(ident, str) or not re.match(r"^[a-z0-9_]+$", ident):
        raise where.error(node, f"'id' must be a lower-case name, got {ident!r}")
    return ident


def _rule(node: object, where: _Where) -> Rule:
    if not isinstance(node, dict):
        raise where.error(node, "each rule must be a mapping")
    _refuse_unknown(node, {"id", "weight", "any", "context", "languages"}, where)
    pattern = _compile(node, "any", where)
    assert pattern is not None
    patterns = [node["any"]] if isinstance(node["any"], str) else node["any"]
    return Rule(
        id=_ident(node, where),
        weight=_fraction(node, "weight", 0.8, where),
        pattern=pattern,
        context=_compile(node, "context", where, required=False),
        languages=_languages(node, where),
        parts=tuple(re.compile(p, re.IGNORECASE) for p in patterns),
    )


def _veto(node: object, where: _Where) -> Veto:
    if not isinstance(node, dict):
        raise where.error(node, "each veto must be a mapping")
    _refuse_unknown(node, {"id", "any", "near", "languages"}, where)
    near = node.get("near")
    if near is not None and (not isinstance(near, int) or near < 0):
        raise where.error(node, f"'near' must be a whole number of characters, got {near!r}")
    pattern = _compile(node, "any", where)
    assert pattern is not None
    return Veto(_ident(node, where), pattern, near, _languages(node, where))


def _refuse_repeated_ids(ids: list[str], node: dict[str, Any], where: _Where) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise where.error(node, f"rule/veto id(s) used twice: {', '.join(repeated)}")


def load_tag_dir(directory: Path) -> list[TagDefinition]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise TagFileError(f"{directory}: no *.yaml tag files found")
    return _unique([parse_tag_file(f.read_text("utf-8"), str(f)) for f in files])


def load_default_tags() -> list[TagDefinition]:
    folder = resources.files("newswatch.classifier") / "tags"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return _unique([parse_tag_file(f.read_text("utf-8"), f"tags/{f.name}") for f in files])


def tag_names(directory: Path | None = None) -> set[str]:
    """The tags a tag folder defines, without compiling any rule: now the shared contract's
    (``newswatch.shared.tags``), kept here for callers of the classifier's API."""
    from newswatch.shared.tags import tag_names as shared_tag_names

    return shared_tag_names(directory)


def _unique(definitions: list[TagDefinition]) -> list[TagDefinition]:
    names = [d.tag for d in definitions]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise TagFileError(f"tag(s) defined in more than one file: {', '.join(repeated)}")
    return definitions
