"""`newswatch classify`: JSON lines in, one JSON line out per input, in input order.

The evaluation contract: input ``{"id", "title", "summary", "lang"?}``; output
``{"id", "tags", ...}`` with confidences, evidence and facts as extra fields.
A line that cannot be read is answered with ``"tags": []`` and an ``"error"``.
"""

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from newswatch.classifier.classify import Classifier
from newswatch.shared.text import clean_text


def classify_lines(lines: Iterable[str], classifier: Classifier) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("each line must be a JSON object")
        except ValueError as exc:
            yield {"id": None, "tags": [], "error": f"line {number}: {exc}"}
            continue
        title = clean_text(str(record.get("title") or ""))
        summary = clean_text(str(record.get("summary") or ""))
        lang = record.get("lang") if isinstance(record.get("lang"), str) else None
        result = classifier.classify(title, summary, lang)
        yield {
            "id": record.get("id"),
            "tags": [h.tag for h in result.tags],
            "confidence": {h.tag: h.confidence for h in result.tags},
            "evidence": {h.tag: [e.model_dump() for e in h.evidence] for h in result.tags},
            "facts": result.facts.model_dump(mode="json", exclude_defaults=True),
            "lang": result.language,
        }


def run(classifier: Classifier, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    errors = 0
    for answer in classify_lines(stdin, classifier):
        errors += "error" in answer
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    stdout.flush()
    if errors:
        print(f"newswatch classify: {errors} line(s) could not be read", file=sys.stderr)
    return 0
