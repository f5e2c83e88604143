"""The API notes the sandbox and the connector cite live in the repository, and every citation of them
names a section they have.

The sandbox follows docs/ontraport-api-notes.md, and docstrings and docs point a reader at the
evidence for a behaviour by section: "section 11", "sections 11 and 12", "§3.5". A section renumbered
or a number mistyped would send the reader to the wrong evidence without anyone noticing. A citation
is a section number in a paragraph (text between blank lines) that names the notes file; in the notes
themselves, every "§N" is one (except "README §N", a source's own section). The notes are cited by
their name in the repository only: the shared sheet they came from (`ontraport-api.md`, outside the
repository) is not there for a reader of a checkout to open.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "docs" / "ontraport-api-notes.md"
NOTES_NAME = re.compile(r"ontraport-api-notes\.md")
OLD_NAME = re.compile(r"ontraport-api\.md")
NUMBER = r"\d+(?:\.\d+)?"
CITATION = re.compile(rf"(?:\bsections?\s+{NUMBER}(?:(?:,\s*|\s+and\s+|\s+or\s+){NUMBER})*|§\s*{NUMBER})")
OWN_SECTION = re.compile(rf"(?<!README )§\s*({NUMBER})")
HEADING = re.compile(rf"^#{{2,3}} ({NUMBER})\.?\s", flags=re.MULTILINE)
CITING_SUFFIXES = {".py", ".md", ".txt", ".yml", ".yaml", ".toml"}


def sections() -> set[str]:
    """The numbered sections of the notes: "1" ... "13" and their "3.1" ... subsections."""
    return set(HEADING.findall(NOTES.read_text(encoding="utf-8")))


def cited(text: str) -> list[str]:
    """The section numbers cited in `text`, a paragraph that names the notes."""
    return [number for match in CITATION.findall(text) for number in re.findall(NUMBER, match)]


def missing_sections(text: str, known: set[str]) -> list[str]:
    """The numbers cited in the paragraphs of `text` that name the notes, and the notes lack."""
    paragraphs = re.split(r"\n\s*\n", text)
    return [
        n
        for paragraph in paragraphs
        if NOTES_NAME.search(paragraph)
        for n in cited(paragraph)
        if n not in known
    ]


def checkout_files() -> list[Path]:
    """The files of a fresh checkout: tracked, or new and not ignored."""
    git = shutil.which("git")
    assert git, "git lists the files of a checkout; it is not on PATH"
    listed = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / name for name in sorted(set(listed.split("\0"))) if name]


def test_every_citation_of_the_api_notes_names_a_section_they_have() -> None:
    known = sections()
    assert {"1", "3.5", "11", "12", "13"} <= known, sorted(known)
    wrong: dict[str, list[str]] = {}
    citing = 0
    for path in checkout_files():
        if (
            path.suffix not in CITING_SUFFIXES
            or path in (NOTES, Path(__file__).resolve())
            or not path.is_file()
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += bool(NOTES_NAME.search(text))
        if missing := missing_sections(text, known):
            wrong[str(path.relative_to(ROOT))] = missing
    assert citing >= 3, "the sandbox's modules and README cite the notes"
    assert wrong == {}, f"citations of sections docs/ontraport-api-notes.md does not have: {wrong}"


def test_nothing_cites_the_notes_by_the_shared_sheets_name() -> None:
    here = Path(__file__).resolve()
    old = [
        str(path.relative_to(ROOT))
        for path in checkout_files()
        if path.suffix in CITING_SUFFIXES
        and path != here
        and path.is_file()
        and OLD_NAME.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert old == [], f"cite docs/ontraport-api-notes.md, not the shared sheet ontraport-api.md: {old}"


def test_the_notes_own_section_references_exist() -> None:
    text = NOTES.read_text(encoding="utf-8")
    own = OWN_SECTION.findall(text)
    assert "12" in own and "13" in own, "section 12 points to the corrections in section 13"
    assert sorted(set(own) - sections()) == []


def test_the_citation_check_sees_a_missing_section() -> None:
    known = {"1", "11", "3.5"}
    text = (
        "Follows `docs/ontraport-api-notes.md` section 11, §3.5 and §14.\n\n"
        "Another paragraph, about section 99 of something else.\n\n"
        "See ontraport-api-notes.md sections 1 and 12.\n\n"
        "The shared sheet ontraport-api.md section 77 is not the notes."
    )
    assert missing_sections(text, known) == ["14", "12"]
