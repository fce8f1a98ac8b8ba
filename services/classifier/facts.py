"""Structured facts from an item's text: places, actors, casualties, money, weapons, date.

Pure and rule-based: every fact comes from a pattern you can read here, so an
analyst can tell why an alert says "23 killed".
"""

import re
from datetime import date
from typing import Literal

from newswatch.classifier.gazetteer import Gazetteer, Name
from newswatch.classifier.prefilter import LiteralIndex, may_match, required_literals
from newswatch.classifier.text import sentences
from newswatch.shared.contracts import Actor, Casualty, Evidence, Facts, MoneyAmount, Place
from newswatch.shared.contracts.classified import Qualifier

_QUALIFIERS: dict[str, Qualifier] = {
    "at least": "at_least", "no fewer than": "at_least", "more than": "more_than",
    "over": "more_than", "upwards of": "more_than", "about": "about", "around": "about",
    "nearly": "about", "almost": "about", "approximately": "about", "some": "about",
    "roughly": "about", "up to": "up_to",
}  # fmt: skip
_QUAL_WORDS = r"at least|no fewer than|more than|over|upwards of|about|around|nearly|almost|approximately|some|roughly|up to"
# Patterns start at the number (or currency sign), which the regex engine finds fast; the
# qualifier in front ("at least 23") is read afterwards from the text just before it.
_QUAL_BEFORE = re.compile(rf"\b({_QUAL_WORDS})\s*$", re.IGNORECASE)
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "a hundred": 100, "dozens of": 24,
}  # fmt: skip
_NUM = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+|" + "|".join(_WORD_NUMBERS) + r")"
_KILLED = r"killed|dead|died|deaths|lives|fatalities"
_INJURED = r"injured|wounded|hurt|injuries"
_CASUALTY_AFTER = re.compile(
    rf"\b{_NUM}\s+(?:[a-z-]+\s+){{0,3}}?(?:were\s+|have been\s+|had been\s+)?(?P<v>{_KILLED}|{_INJURED})\b",
    re.IGNORECASE,
)
_CASUALTY_BEFORE = re.compile(
    rf"\b(?P<v>kill(?:ed|ing|s)|wound(?:ed|ing|s)|injur(?:ed|ing|es))\s+(?:(?P<q>{_QUAL_WORDS})\s+)?{_NUM}\b(?!\s*(?:%|per ?cent|million|billion))",
    re.IGNORECASE,
)
_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₴": "UAH",
    "₽": "RUB",
}
_CURRENCY_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "ruble": "RUB", "rubles": "RUB",
    "rouble": "RUB", "roubles": "RUB", "hryvnia": "UAH", "hryvnias": "UAH", "yuan": "CNY",
    "yen": "JPY",
}  # fmt: skip
_MULTIPLIERS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
                "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12}  # fmt: skip
_AMOUNT = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_MULT = r"(?:\s*(?P<m>thousand|million|billion|trillion|mln|mn|bn|tn|k|m|b)\b)?"
_MONEY_SYMBOL = re.compile(rf"(?P<c>US\$|\$|€|£|¥|₴|₽)\s?{_AMOUNT}{_MULT}", re.IGNORECASE)
_MONEY_WORD = re.compile(
    rf"\b{_AMOUNT}{_MULT}\s+(?:(?:US|U\.S\.)\s+)?(?P<c>dollars?|euros?|pounds?|roubles?|rubles?|hryvnias?|yuan|yen|USD|EUR|GBP)\b",
    re.IGNORECASE,
)
_WEAPONS = [
    ("ballistic missile", r"ballistic missiles?"), ("cruise missile", r"cruise missiles?"),
    ("hypersonic missile", r"hypersonic missiles?"), ("glide bomb", r"glide bombs?"),
    ("drone", r"drones?|shaheds?|uavs?|unmanned aerial vehicles?"),
    ("missile", r"missiles?"), ("rocket", r"rockets?"), ("artillery", r"artillery|howitzers?|shelling"),
    ("mortar", r"mortars?"), ("multiple rocket launcher", r"himars|mlrs|multiple rocket launchers?"),
    ("bomb", r"bombs?"), ("air defence system", r"air defen[cs]e systems?|patriot systems?"),
    ("tank", r"tanks?"), ("fighter jet", r"fighter jets?|f-16s?|f-35s?|warplanes?"),
]  # fmt: skip
_WEAPON_PATTERNS = [
    (name, re.compile(rf"\b(?:{p})\b", re.IGNORECASE), required_literals(p)) for name, p in _WEAPONS
]
# Words without which an extractor cannot find anything: one Aho-Corasick pass over the
# lower-cased text tells which are present, so most extractors never run their regexes.
_CASUALTY_MARKS = frozenset(
    {"kill", "dead", "died", "death", "injur", "wound", "hurt", "lives", "fatalit"}
)
_MONEY_MARKS = frozenset({"$", "€", "£", "¥", "₴", "₽", "dollar", "euro", "pound", "roubl", "rubl",
                          "hryvn", "yuan", "yen", "usd", "eur", "gbp"})  # fmt: skip
_DATE_MARKS = frozenset({"on "})
_MARKS = LiteralIndex(
    [
        *_CASUALTY_MARKS,
        *_MONEY_MARKS,
        *_DATE_MARKS,
        *(lit for _, _, literals in _WEAPON_PATTERNS if literals for lit in literals),
    ]
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_DATE = re.compile(
    r"\bon\s+(?:(?P<m1>"
    + "|".join(_MONTHS)
    + r")\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m2>"
    + "|".join(_MONTHS)
    + r"))(?:,?\s+(?P<y>(?:19|20)\d{2}))?\b",
    re.IGNORECASE,
)
_PERSON = re.compile(
    r"\b(?P<title>envoy|ambassador|chargé d'affaires|minister|president|prime minister|spokesperson|"
    r"spokesman|spokeswoman|secretary|chancellor|chief|commander|general)\b(?:[^,.;]{0,40}?,)?\s+"
    r"(?P<name>[A-Z][a-zà-ÿ'-]+(?:\s+[A-Z][a-zà-ÿ'-]+){1,2})"
)
# Which role an actor plays, by tag and by whether it is named before or after the
# text that triggered the tag: "Russia struck Kyiv", "the EU summoned Russia's envoy".
_ROLES = {
    "strike": ("attacker", "target"),
    "diplomatic_protest": ("summoning", "summoned"),
    "sanctions": ("sanctioning", "sanctioned"),
    "arms_approval": ("approving", "recipient"),
}


class FactExtractor:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer

    def extract(
        self, title: str, summary: str, evidence: list[Evidence], published: date | None = None
    ) -> Facts:
        text = f"{title}\n{summary}"
        present = _MARKS.present(text.lower())
        names = self._gazetteer.find(text)  # once: places and actors both read them
        return Facts(
            places=_places(names),
            # Roles come from the triggers, so actors are worth finding on tagged items only.
            actors=_actors(title, summary, evidence, names) if evidence else [],
            casualties=_casualties(text) if may_match(_CASUALTY_MARKS, present) else [],
            money=_money(text) if may_match(_MONEY_MARKS, present) else [],
            weapons=_weapons(text, present),
            event_date=_event_date(text, published) if may_match(_DATE_MARKS, present) else None,
        )


Found = list[tuple[int, int, Name]]  # (start, end, name) in f"{title}\n{summary}"


def _places(names: Found) -> list[Place]:
    places: dict[str, Place] = {}
    for _, _, name in names:
        if name.kind == "bloc" or name.is_adjective:
            continue
        places.setdefault(
            name.canonical,
            Place(name=name.canonical, country_code=name.country_code, kind=name.kind),  # type: ignore[arg-type]
        )
    return list(places.values())


def _actors(title: str, summary: str, evidence: list[Evidence], names: Found) -> list[Actor]:
    actors: dict[tuple[str, str | None], Actor] = {}
    # Each field's names, at offsets within the field (the summary starts after the title
    # and a line break).
    by_field = {
        "title": [(s, e, n) for s, e, n in names if e <= len(title)],
        "summary": [
            (s - len(title) - 1, e - len(title) - 1, n) for s, e, n in names if s > len(title)
        ],
    }
    for field_name, text in (("title", title), ("summary", summary)):
        triggers = [e for e in evidence if e.field == field_name]
        in_field = by_field[field_name]
        for offset, sentence in sentences(text):
            end = offset + len(sentence)
            # The sentence's first trigger is its main event; later ones ("... to protest")
            # usually restate it.
            main = min(
                (e for e in triggers if offset <= e.start < end),
                key=lambda e: e.start,
                default=None,
            )
            for start, name_end, name in in_field:
                if offset <= start and name_end <= end and name.kind in {"country", "bloc"}:
                    role = _role_at(start, main, text)
                    _add_actor(
                        actors,
                        Actor(
                            name=name.canonical,
                            kind="bloc" if name.kind == "bloc" else "state",
                            role=role,
                            country_code=name.country_code,
                        ),
                    )
            for match in _PERSON.finditer(sentence):
                role = _role_at(offset + match.start("name"), main, text)
                _add_actor(actors, Actor(name=match.group("name"), kind="person", role=role))
    with_role = {name for name, role in actors if role}
    return [a for (name, role), a in actors.items() if role or name not in with_role]


# Words that open a clause of its own after the trigger's: what follows them is the reason or
# the background ("EU summons Russia's envoy over damage to its Kyiv delegation"), not the
# trigger's object, so the EU named there is not also summoned.
_CLAUSE_OPENER = re.compile(
    r"\b(?:after|over|following|because|amid|as|when|while|before|since|which|who|where|"
    r"après|nach|nachdem|wegen|tras|después|после|після|из-за|через)\b",
    re.IGNORECASE,
)


def _role_at(position: int, trigger: Evidence | None, text: str) -> str | None:
    """The role of a name at ``position`` of ``text`` (the field the trigger is in)."""
    if trigger is None:
        return None
    roles = _ROLES.get(trigger.rule.split("/", 1)[0])
    if roles is None:
        return None
    # At or before the trigger is its subject: "Russian forces struck ..." starts with the attacker.
    if position <= trigger.start:
        return roles[0]
    if _CLAUSE_OPENER.search(text, trigger.end, position):
        return None
    return roles[1]


def _add_actor(actors: dict[tuple[str, str | None], Actor], actor: Actor) -> None:
    actors.setdefault((actor.name, actor.role), actor)


def _qualifier_word(text: str, match: re.Match[str]) -> str:
    inside = match.groupdict().get("q")
    if inside:
        return inside.lower()
    before = _QUAL_BEFORE.search(text, max(0, match.start() - 24), match.start())
    return before.group(1).lower() if before else ""


def _qualifier(text: str, match: re.Match[str]) -> Qualifier:
    return _QUALIFIERS.get(_qualifier_word(text, match), "exact")


def _number(raw: str) -> int:
    raw = raw.lower()
    return _WORD_NUMBERS[raw] if raw in _WORD_NUMBERS else int(raw.replace(",", ""))


def _casualties(text: str) -> list[Casualty]:
    found: dict[tuple[str, int], Casualty] = {}
    for pattern in (_CASUALTY_AFTER, _CASUALTY_BEFORE):
        for m in pattern.finditer(text):
            verb = m.group("v").lower()
            kind: Literal["killed", "injured"] = (
                "injured" if re.match(r"injur|wound|hurt", verb) else "killed"
            )
            count = _number(m.group("n"))
            if 1900 <= count <= 2100 and not _qualifier_word(text, m):
                continue  # a year next to "died" is not a death toll
            qualifier = _qualifier(text, m)
            known = found.get((kind, count))
            # Headlines round ("kills five"); the body's "at least five" is the careful reading.
            if known is None or (known.qualifier == "exact" and qualifier != "exact"):
                found[(kind, count)] = Casualty(
                    kind=kind, count=count, qualifier=qualifier, text=m.group(0).strip()
                )
    return list(found.values())


def _money(text: str) -> list[MoneyAmount]:
    found: dict[tuple[float, str], MoneyAmount] = {}
    for pattern, table in ((_MONEY_SYMBOL, _CURRENCY_SYMBOLS), (_MONEY_WORD, _CURRENCY_WORDS)):
        for m in pattern.finditer(text):
            currency = table.get(m.group("c").lower())
            if currency is None:
                continue
            value = float(m.group("n").replace(",", "")) * _MULTIPLIERS.get(
                (m.group("m") or "").lower(), 1
            )
            qualifier = _qualifier(text, m)
            found.setdefault(
                (value, currency),
                MoneyAmount(
                    value=value, currency=currency, qualifier=qualifier, text=m.group(0).strip()
                ),
            )
    return list(found.values())


def _weapons(text: str, present: frozenset[str]) -> list[str]:
    found: list[str] = []
    covered: list[tuple[int, int]] = []
    for name, pattern, literals in _WEAPON_PATTERNS:
        if not may_match(literals, present):
            continue
        for m in pattern.finditer(text):
            # "cruise missile" should not also count as a plain "missile".
            if any(s <= m.start() < e for s, e in covered):
                continue
            covered.append(m.span())
            if name not in found:
                found.append(name)
    return found


def _event_date(text: str, published: date | None) -> date | None:
    m = _DATE.search(text)
    if not m:
        return None
    month = _MONTHS[(m.group("m1") or m.group("m2")).lower()]
    day = int(m.group("d1") or m.group("d2"))
    year = int(m.group("y")) if m.group("y") else (published.year if published else None)
    if year is None:
        return None
    if not m.group("y") and published and (month, day) > (published.month, published.day):
        year -= 1  # "on December 30" read in January is last year's
    try:
        return date(year, month, day)
    except ValueError:
        return None
