"""Which language a news item is in: scripts first, then the commonest words.

Small and deterministic on purpose: a headline and a summary are short, the six
languages the tags are written for are well separated by these signals, and the
detector must also recognise "some other language" so that rules for Spanish do
not fire on Portuguese. Returns ISO 639-1 codes, or None when unsure.
"""

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from newswatch.classifier import kernel

SUPPORTED = frozenset({"en", "fr", "de", "es", "uk", "ru"})
SAMPLE_CHARS = 400  # the lower-cased text read, at most

# Words, with their apostrophes ("ukraine's" stays one word, not "ukraine" and a Czech "s").
_WORD = re.compile(r"[\w'’]+")
_UK_LETTERS = frozenset("ієїґ")
_RU_LETTERS = frozenset("ыэъё")
# The commonest short words of each Latin-script language; the other languages are here
# so that their text is recognised as theirs rather than scored as a near neighbour.
_STOPWORDS = {
    "en": "the of and to in a is that for on with as was by at from has have are it its be this said "
    "after were will an says over amid against kills killed new officials people government minister "
    "his her their who which not but into more than",
    "fr": "le la les de des du et en un une est dans pour que qui sur au aux par pas avec ce il elle ont été "
    "selon après contre nouveau nouvelle entre sous depuis leur ses son sont morts tués",
    "de": "der die das und ist nicht ein eine zu den mit von im dem des auf für sich auch wurde nach bei hat "
    "sind aus gegen neue neuen wird zwei über vor nach",
    "es": "el la los las de del y en un una que es por con para se al su lo como más según tras fue han sido "
    "ha contra nuevo nueva sus entre desde hasta ante sobre muertos",
    "pt": "o a os as de do da dos das e em um uma que para com por não no na ao se foi são mais pelo pela após "
    "diz mortos contra novo nova entre",
    "it": "il lo la gli le di del della dei e è in un una che per con non si da al alla sono dopo ha su "
    "secondo contro nuovo anche tra stato morti",
    "nl": "de het een en van in is op te dat met voor zijn niet aan er om ook bij door na",
    "pl": "i w na z się nie do że to jest o jak po przez dla od jego już są oraz",
    "sv": "och i att det som en på är av för med till den har de inte om ett efter",
    "tr": "ve bir bu da de için ile olarak çok daha en sonra ama gibi olan",
    "ro": "și în de la cu pe a din care este un o nu se mai au fost după",
    "cs": "a v na se je že s z do to o ve k by jsou po",
}
# Letters that point at one language (or a few); worth one distinctive word each.
_LETTER_HINTS = {"ñ": ("es",), "¿": ("es",), "¡": ("es",), "ß": ("de",), "ä": ("de", "sv"),
                 "ö": ("de", "sv", "tr"), "ü": ("de", "tr"), "ç": ("fr", "pt", "tr"), "è": ("fr", "it"),
                 "ê": ("fr", "pt"), "ã": ("pt",), "õ": ("pt",), "ą": ("pl",), "ł": ("pl",),
                 "ř": ("cs",), "ă": ("ro",), "ș": ("ro",), "ğ": ("tr",), "ı": ("tr",)}  # fmt: skip
_HINT_LETTERS = frozenset(_LETTER_HINTS)
_STOPWORD_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
# A word several languages share ("de", "in", "la") says little: it counts 1/n for each.
_WEIGHTS: dict[str, dict[str, float]] = {}
for _lang, _words in _STOPWORD_SETS.items():
    for _word in _words:
        _WEIGHTS.setdefault(_word, {})[_lang] = 0.0
for _word, _langs in _WEIGHTS.items():
    for _lang in _langs:
        _langs[_lang] = 1.0 / len(_langs)
_CYRILLIC_STOPWORDS = {
    "uk": frozenset(
        [
            "і",
            "та",
            "що",
            "на",
            "не",
            "як",
            "це",
            "до",
            "за",
            "від",
            "з",
            "у",
            "в",
            "про",
            "його",
            "також",
            "після",
            "під",
            "час",
        ]
    ),
    "ru": frozenset(
        [
            "и",
            "что",
            "на",
            "не",
            "как",
            "это",
            "до",
            "за",
            "от",
            "с",
            "у",
            "в",
            "о",
            "его",
            "также",
            "после",
            "под",
            "по",
            "из",
        ]
    ),
}
_SCRIPT_LANGUAGES = {"ARABIC": "ar", "HEBREW": "he", "GREEK": "el", "HANGUL": "ko",
                     "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh", "BENGALI": "bn",
                     "DEVANAGARI": "hi", "THAI": "th", "GEORGIAN": "ka", "ARMENIAN": "hy"}  # fmt: skip


_LATIN = re.compile(r"[a-z\u00c0-\u024f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Any letter outside Latin: Greek to CJK, skipping the punctuation and symbol blocks (2000-2BFF).
_OTHER_SCRIPTS = re.compile(r"[\u0370-\u1fff\u2c00-\ufaff]")


def detect_language(text: str) -> str | None:
    return detect_lowered(text.lower()[:SAMPLE_CHARS])


def detect_lowered(sample: str) -> str | None:
    """``detect_language`` of a text already lower-cased and cut to ``SAMPLE_CHARS``: by
    the C kernel where it is built (``kernel.python_reference()`` switches, so it is asked
    each time), else by ``detect_reference``."""
    if not kernel.available():
        return detect_reference(sample)
    found = _detector().detect(sample)
    return _by_initials(sample, found) if isinstance(found, list) else found


@cache
def _detector() -> Any:
    """The C kernel's detector of these tables (``_language.c``)."""
    return kernel.native_detector(
        languages=tuple(_LANGUAGES),
        stopwords={w: [_LANGUAGES.index(lang) for lang in langs] for w, langs in _WEIGHTS.items()},
        hints=[
            (c, [_LANGUAGES.index(lang) for lang in langs]) for c, langs in _LETTER_HINTS.items()
        ],
        uk_words=_CYRILLIC_STOPWORDS["uk"],
        ru_words=_CYRILLIC_STOPWORDS["ru"],
        uk_letters="".join(sorted(_UK_LETTERS)),
        ru_letters="".join(sorted(_RU_LETTERS)),
        unit=_UNIT,
    )


def detect_reference(sample: str) -> str | None:
    """``detect_lowered`` in Python: what the C kernel must agree with."""
    words = _ascii_words(sample)
    if words is not None:  # ASCII and typographic marks only: the Latin script
        return _latin(words[:40]) if words else None
    words = _WORD.findall(sample)[:40]  # plenty to decide; scoring is the costly part
    if not words:
        return None
    script = _dominant_script(sample, words)
    if script == "CYRILLIC":
        return _cyrillic(words)
    if script == "LATIN":
        return _latin(words)
    return _SCRIPT_LANGUAGES.get(script or "")


# ASCII text, most English news once its typographic quotes and dashes (never part of a
# word) are spaces, is cut into the same words by str.translate and str.split, in C and
# several times faster than the regular expression. "’" is a word character: it travels
# as "\x01" (absent from the text, checked) and is put back.
_ASCII_WORDS = str.maketrans(
    {c: c if c.isalnum() or c in "_'\x01" else " " for c in map(chr, range(128))}
)
_SEPARATORS = ("‘", "“", "”", "–", "—")


def _ascii_words(sample: str) -> list[str] | None:
    """``_WORD.findall(sample)`` when the sample is ASCII but for typographic marks, else None."""
    if "\x01" in sample:
        return None
    plain = sample.replace("’", "\x01")
    for mark in _SEPARATORS:
        plain = plain.replace(mark, " ")
    if not plain.isascii():
        return None
    return plain.translate(_ASCII_WORDS).replace("\x01", "’").split()


def _dominant_script(sample: str, words: list[str]) -> str | None:
    # The two scripts of nearly all our news are counted with one regex each; the rest,
    # rarer, by the Unicode name of each word's first letter.
    if not _OTHER_SCRIPTS.search(sample):
        return "LATIN"  # letters, digits and typographic punctuation only: the common case
    latin, cyrillic = len(_LATIN.findall(sample)), len(_CYRILLIC.findall(sample))
    letters = sum(len(w) for w in words if not w.isdigit())
    if max(latin, cyrillic) * 2 >= letters:
        return "LATIN" if latin >= cyrillic else "CYRILLIC"
    return _script_of_initials([word[0] for word in words[:60]])


def _script_of_initials(initials: list[str]) -> str | None:
    """The commonest script among the words' first letters, by their Unicode names."""
    counts: dict[str, int] = {}
    for letter in initials:
        script = _script_of(letter)
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


@lru_cache(maxsize=4096)  # letters seen as initials: a few hundred scripts' worth
def _script_of(letter: str) -> str:
    return unicodedata.name(letter, "").split(" ", 1)[0]


def _by_initials(sample: str, initials: list[str]) -> str | None:
    """The language of a sample the C kernel found in neither Latin nor Cyrillic letters;
    where its words' initials are Latin or Cyrillic after all (mixed scripts, rare), Python
    decides the whole sample."""
    script = _script_of_initials(initials)
    if script in ("LATIN", "CYRILLIC"):
        return detect_reference(sample)
    return _SCRIPT_LANGUAGES.get(script or "")


def _cyrillic(words: list[str]) -> str | None:
    letters = set("".join(words))
    uk = len(letters & _UK_LETTERS) * 2 + sum(w in _CYRILLIC_STOPWORDS["uk"] for w in words)
    ru = len(letters & _RU_LETTERS) * 2 + sum(w in _CYRILLIC_STOPWORDS["ru"] for w in words)
    if uk == ru:
        return None
    return "uk" if uk > ru else "ru"


def _latin(words: list[str]) -> str | None:
    """The Latin-script language: exact whole-number scores (see ``_PACKED``) decide at
    once; only a tie where the floating-point scores could fall either way is left to them."""
    packed = sum(filter(None, map(_PACKED.get, words)))
    letters = "".join(words)
    if not letters.isascii() and not _HINT_LETTERS.isdisjoint(letters):  # no hint is ASCII
        packed += sum(_PACKED_HINTS[letter] for letter in _LETTER_HINTS if letter in letters)
    scores = [(packed >> (_FIELD_BITS * i)) & _FIELD_MASK for i in range(len(_LANGUAGES))]
    top = max(scores)
    if top < _UNIT:
        return None
    best = scores.index(top)
    second = max(score for i, score in enumerate(scores) if i != best)
    if top == _UNIT or second == top or 2 * top == 3 * second:
        return _latin_floats(words)  # on a boundary: the float sums' rounding decides
    # One distinctive word, clearly ahead of the next language, is a decision for a headline.
    return _LANGUAGES[best] if 2 * top > 3 * second else None


def _latin_floats(words: list[str]) -> str | None:
    scores = dict.fromkeys(_STOPWORD_SETS, 0.0)
    # Only stopwords score (few of the words): the same additions in the same order as a
    # loop over every word, so the same floating-point sums.
    for weights in filter(None, map(_WEIGHTS.get, words)):
        for lang, weight in weights.items():
            scores[lang] += weight
    letters = "".join(words)
    if not _HINT_LETTERS.isdisjoint(letters):
        for letter, langs in _LETTER_HINTS.items():
            if letter in letters:
                for lang in langs:
                    scores[lang] += 1.0 / len(langs)
    # The first language with the top score (as a stable sort would rank it), then the next.
    best = max(scores, key=scores.__getitem__)
    top = scores[best]
    if top < 1.0:
        return None
    second = max(score for lang, score in scores.items() if lang != best)
    # One distinctive word, clearly ahead of the next language, is a decision for a headline.
    if top >= 1.5 * second:
        return best
    return None


# The same scores as whole multiples of 1/27720 (every 1/n up to 1/12 is one), all the
# languages' packed into one integer, a field each: a word's scores are added to all of
# them by one integer addition, in C. Exact, where the float sums round; they agree
# except on a boundary (a tie, or a score exactly at a bar), which the floats decide.
_UNIT = 27720
_FIELD_BITS = 24  # 40 words and 19 hints of at most one unit each stay far below 2**24
_FIELD_MASK = (1 << _FIELD_BITS) - 1
_LANGUAGES = list(_STOPWORD_SETS)


def _pack(langs: list[str]) -> int:
    share = _UNIT // len(langs)
    return sum(share << (_FIELD_BITS * _LANGUAGES.index(lang)) for lang in langs)


_PACKED = {word: _pack(list(langs)) for word, langs in _WEIGHTS.items()}
_PACKED_HINTS = {letter: _pack(list(langs)) for letter, langs in _LETTER_HINTS.items()}
