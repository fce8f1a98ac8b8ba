"""Every relative link in the README and under docs/ leads somewhere.

A link's file must exist; a link to a heading of a Markdown page (`page.md#anchor`) must
name a heading that page has, as GitHub makes anchors of headings. Links beyond the
repository may only point into ../shared/, beside the clone, and are checked where it is.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(markdown: str) -> str:
    """The text outside fenced code blocks, where `](` and `#` mean nothing."""
    return FENCE.sub("", markdown)


def links(markdown: str) -> list[str]:
    return [t for t in LINK.findall(prose(markdown)) if not re.match(r"[a-zA-Z][\w+.-]*:", t)]


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(prose(markdown)):
        slug = anchor(heading)
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def broken(page: Path) -> list[str]:
    problems = []
    for target in links(page.read_text("utf-8")):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT):
            if not file.is_relative_to(SHARED):
                problems.append(f"{target}: outside the repository and ../shared/")
            elif SHARED.is_dir() and not file.exists():
                problems.append(f"{target}: no such file beside the clone")
            continue
        if not file.exists():
            problems.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file.read_text("utf-8")):
            problems.append(f"{target}: {file.name} has no heading #{fragment}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_an_existing_file(page):
    assert broken(page) == []


def test_every_page_under_docs_is_linked_from_another_page():
    """A page no other page links to is a page nobody finds."""
    linked = {
        (page.parent / target.partition("#")[0]).resolve()
        for page in PAGES
        for target in links(page.read_text("utf-8"))
        if target.partition("#")[0]
    }
    unlinked = [p.relative_to(ROOT) for p in PAGES if p != ROOT / "README.md" and p not in linked]
    assert unlinked == []


def test_the_link_reader_sees_links_and_headings_as_github_does():
    text = (
        "See [a](a.md#officers-feedback), [web](https://x.org/) and ![img](s/p.png).\n"
        "```sh\n# not a heading [x](nowhere.md)\n```\n"
        "## Officers' feedback\n## The classifier: tags, `facts`\n## Officers' feedback\n"
    )
    assert links(text) == ["a.md#officers-feedback", "s/p.png"]
    assert anchors(text) == {
        "officers-feedback",
        "the-classifier-tags-facts",
        "officers-feedback-1",
    }
