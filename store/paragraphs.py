"""Split a source document (PDF converted to text) into its numbered paragraphs.

The texts mix page headers, running symbols, footnotes and hard line breaks into the prose. A
paragraph starts at a line ``N. `` where N is the next expected number (so a stray "3. " inside a
footnote does not cut a paragraph), and lettered sub-paragraphs ``(a)`` at a line start are kept
both inside their paragraph and as paragraphs of their own (``13(a)``) so they can be cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARA_START = re.compile(r"^\s*(\d{1,4})\.\s+(.*)$")
SUB_START = re.compile(r"^\s*\(([a-z]{1,3})\)\s*(.*)$")
HEADING = re.compile(r"^\s*([一二三四五六七八九十]+\s*[、.．]|[A-Z]\.\s|[IVX]+\.\s)")
SENTENCE_END = re.compile(r"[。；;：:，,）)」”\]]\s*$")
# Lines that are page furniture, not prose: running symbols, page numbers, language tags, footnotes.
NOISE = re.compile(
    r"""^\s*(
        (HSP|A|E)/[\w./]+\s*$            # running document symbol
      | \d{1,3}\s*$                       # page number
      | [\d\-/ ]+\s*$                     # job numbers like 23-17921
      | (Chinese|Original:.*|Distr\.:.*|General|Arabic|English)\s*$
      | \*{1,3}\s.*                       # footnotes marked with asterisks
      | [¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*.*                # footnotes with superscript markers
    )""",
    re.VERBOSE,
)
FOOTNOTE_MARK = re.compile(r"(?<=[\u4e00-\u9fff》」”）\w])[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One citable paragraph: ``number`` is ``"13"`` or ``"13(a)"``."""

    number: str
    text: str  # cleaned: lines joined, footnote markers and markdown emphasis removed
    raw: str  # as it stands in the source, for display with its original line breaks

    @property
    def parent(self) -> str:
        return self.number.split("(", 1)[0]


def _join(lines: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space otherwise."""
    out = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if out and not (CJK.search(out[-1]) or CJK.search(line[0])):
            out += " "
        out += line
    return out


def clean_text(text: str) -> str:
    """Remove footnote markers and markdown emphasis from paragraph text."""
    text = FOOTNOTE_MARK.sub("", text)
    return text.replace("**", "").strip()


def _untitled_headings(lines: list[str]) -> set[int]:
    """Indexes of short unnumbered title lines: no closing punctuation, and a paragraph follows."""
    found: set[int] = set()
    following = ""
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line:
            continue
        if (
            len(line) <= 40
            and not SENTENCE_END.search(line)
            and PARA_START.match(following)
            and not PARA_START.match(line)
            and not SUB_START.match(line)
        ):
            found.add(index)
        following = line
    return found


def split_paragraphs(text: str) -> list[Paragraph]:
    """Return the numbered paragraphs and lettered sub-paragraphs of a document, in order."""
    paragraphs: list[Paragraph] = []
    expected = 1
    current: tuple[str, list[str], list[str]] | None = None  # number, clean lines, raw lines
    sub: tuple[str, list[str]] | None = None

    def close_sub() -> None:
        nonlocal sub
        if sub is not None and current is not None:
            body = clean_text(_join(sub[1]))
            paragraphs.append(Paragraph(f"{current[0]}({sub[0]})", body, "\n".join(sub[1]).strip()))
        sub = None

    def close() -> None:
        nonlocal current
        close_sub()
        if current is not None:
            number, clean, raw = current
            paragraphs.append(Paragraph(number, clean_text(_join(clean)), "\n".join(raw).strip()))
        current = None

    lines = text.splitlines()
    headings = _untitled_headings(lines)
    for index, line in enumerate(lines):
        start = PARA_START.match(line)
        if start and int(start.group(1)) == expected:
            close()
            current = (start.group(1), [start.group(2)], [line.strip()])
            expected += 1
            continue
        if current is None:
            continue
        if (HEADING.match(line) or index in headings) and not SUB_START.match(line):
            close()
            continue
        if NOISE.match(line):
            continue
        sub_start = SUB_START.match(line)
        if sub_start:
            close_sub()
            sub = (sub_start.group(1), [line.strip()])
        elif sub is not None:
            sub[1].append(line)
        current[1].append(line)
        if line.strip():
            current[2].append(line.rstrip())
    close()
    # Sub-paragraphs were appended before their parent; order by position of the parent.
    order = {p.number: i for i, p in enumerate(paragraphs) if "(" not in p.number}
    return sorted(paragraphs, key=lambda p: (order.get(p.parent, 0), "(" in p.number, p.number))
