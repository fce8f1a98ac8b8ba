"""The place and actor names the fact extractor knows, loaded from gazetteer.yaml."""

import re
from dataclasses import dataclass
from importlib import resources

import yaml


@dataclass(frozen=True, slots=True)
class Name:
    """One surface form and what it refers to."""

    canonical: str
    kind: str  # country, city, region, bloc
    country_code: str | None
    is_adjective: bool = False


class Gazetteer:
    def __init__(self, names: dict[str, Name]) -> None:
        self.names = names
        # Longest first so "Gaza City" wins over "Gaza" and "South Sudan" over "Sudan".
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w.])(?:{alternation})(?![\w])")

    def find(self, text: str) -> list[tuple[int, int, Name]]:
        return [(m.start(), m.end(), self.names[m.group(0)]) for m in self.pattern.finditer(text)]

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


def _check_code(code: object, where: str) -> None:
    # YAML reads a bare NO (Norway) as false: quote such codes in gazetteer.yaml.
    if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)):
        raise ValueError(f"gazetteer: {where}: country code {code!r} is not ISO 3166-1 alpha-2")
