"""The place and actor names the fact extractor knows, loaded from gazetteer.yaml."""

import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import yaml

# A place that names an agreement is not where the news happens: "a violation of the Vienna
# Convention", "the Minsk agreements", "the Normandy format".
_NAMES_A_TEXT = re.compile(
    r"\s+(?:conventions?|agreements?|accords?|protocols?|treat(?:y|ies)|declaration|"
    r"memorandum|format|charter|principles)\b",
    re.IGNORECASE,
)
# Capitalised words as they appear in names ("U.S.", "Rostov-on-Don", "Kyiv's"): every known
# name starts with a capital, so lower-case words are never looked at.
_TOKEN = re.compile(r"(?<![\w'’.-])[^\W\d_a-zа-яёїієґ][\w'’.-]*")


@dataclass(frozen=True, slots=True)
class Name:
    """One surface form and what it refers to."""

    canonical: str
    kind: str  # country, city, region, bloc
    country_code: str | None
    is_adjective: bool = False


class Gazetteer:
    """Finds known names by their first word: a dictionary lookup per word of the text."""

    def __init__(self, names: dict[str, Name]) -> None:
        self.names = names
        self._by_first_word: dict[str, list[str]] = defaultdict(list)
        for form in sorted(
            names, key=len, reverse=True
        ):  # longest first: "Gaza City" before "Gaza"
            self._by_first_word[form.split(" ", 1)[0]].append(form)
        # First words, bare ("Kyiv", not "Kyiv." or "Kyiv's"), lower-cased: one lookup rejects
        # the many capitalised words that start no known name ("The", "President").
        self._bare_firsts = {_stem(w.rstrip(".,")).lower() for w in self._by_first_word}

    def find(self, text: str) -> list[tuple[int, int, Name]]:
        found = []
        end_of_last = 0
        for token in _TOKEN.finditer(text):
            start = token.start()
            word = token.group(0)
            if start < end_of_last or not word[0].isupper():
                continue  # inside a name already found, or not a name: every known name is capitalised
            match = self._match_at(text, start, word)
            if match:
                end_of_last = start + len(match)
                if not _NAMES_A_TEXT.match(text, end_of_last):
                    found.append((start, end_of_last, self.names[match]))
        return found

    def _match_at(self, text: str, start: int, word: str) -> str | None:
        if _stem(word.rstrip(".,").replace("’", "'")).lower() not in self._bare_firsts:
            return None
        # A token may carry what follows a name: "Kyiv." ends a sentence, "Russia’s" is possessive.
        shouting = word.isupper() and len(word) > 3  # "UKRAINE" in an all-caps headline
        candidates: tuple[str, ...] = (word, word.rstrip(".,"), word.replace("’", "'"), _stem(word))
        if shouting:
            candidates += (word.title(), _stem(word).title())
        for first in dict.fromkeys(candidates):
            for form in self._by_first_word.get(first, ()):
                end = start + len(form)
                seen = text[start:end].replace("’", "'")
                if seen == form or (shouting and seen.lower() == form.lower()):
                    after = text[end : end + 1]
                    if not (after.isalnum() or after == "_"):
                        return form
        return None

    @classmethod
    def load_default(cls) -> "Gazetteer":
        text = (resources.files("newswatch.classifier") / "gazetteer.yaml").read_text("utf-8")
        return cls.from_yaml(text)

    @classmethod
    def from_yaml(cls, text: str) -> "Gazetteer":
        doc = yaml.safe_load(text)
        names: dict[str, Name] = {}
        for code, forms in doc.get("countries", {}).items():
            _check_code(code, f"countries: {forms}")
            canonical = forms["names"][0]
            for form in forms["names"]:
                names[form] = Name(canonical, "country", code)
            for form in forms.get("adjectives") or []:
                names[form] = Name(canonical, "country", code, is_adjective=True)
        for kind, section in (("city", "cities"), ("region", "regions")):
            for form, code in (doc.get(section) or {}).items():
                if code is not None:
                    _check_code(code, f"{section}: {form}")
                names[form] = Name(form, kind, code)
        for bloc, forms in (doc.get("blocs") or {}).items():
            for form in forms:
                names[form] = Name(bloc, "bloc", None)
        return cls(names)


def _stem(word: str) -> str:
    for suffix in ("'s", "’s", "."):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _check_code(code: object, where: str) -> None:
    # YAML reads a bare NO (Norway) as false: quote such codes in gazetteer.yaml.
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)):
        raise ValueError(f"gazetteer: {where}: country code {code!r} is not ISO 3166-1 alpha-2")
