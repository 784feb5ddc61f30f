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
# Superscript footnote markers, wherever they stand (after 。 and ， too), but not after a Latin
# letter, where ² is a unit (km²). A space that followed the marker goes with it.
FOOTNOTE_MARK = re.compile(r"(?<![A-Za-z])[¹²³⁴⁵⁶⁷⁸⁹⁰]+ ?")
# "[HSP/EB.2023/23](#)": the converter's empty link targets go; the bracketed symbol stays, since
# entries cite the paragraph by terms that include the bracket.
EMPTY_LINK = re.compile(r"(?<=\])\(#\)")
URL = re.compile(r"<?https?://[^\s<>（）()\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+>?")
# A footnote at the foot of a page in texts converted with plain-digit markers: a line holding only
# spaces, then "N text" (no dot, so never a paragraph start). It runs until the prose resumes on a
# line that starts with a space, as the converter writes it.
FOOTNOTE_SEPARATOR = re.compile(r"^[ \t\u3000]+$")
FOOTNOTE_START = re.compile(r"^(\d{1,2})\s+\S")
PROSE_RESUMES = re.compile(r"^[ \t\u3000]+\S")
URL_LINE = re.compile(r"^\s*<?https?://\S+\s*$")
# Plain-digit markers in the prose ("……里程碑。1 随后"): only numbers of footnotes seen in the
# text, only after closing punctuation and before Chinese that is not a counted quantity.
_MEASURE = "个项名次年月日天届份部条段%％万亿千百岁人国家座"

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


def clean_text(text: str, footnotes: frozenset[str] = frozenset()) -> str:
    """Remove footnote markers, empty link targets, URLs and markdown emphasis from paragraph text.

    ``footnotes`` are the numbers of plain-digit footnotes found in the document; their markers
    are removed where they stand after closing punctuation.
    """
    text = FOOTNOTE_MARK.sub("", text)
    text = EMPTY_LINK.sub("", text)
    text = URL.sub("", text)
    if footnotes:
        numbers = "|".join(sorted(footnotes, key=len, reverse=True))
        marker = re.compile(rf"(?<=[。；！？”’）)])({numbers})\s+(?=[\u4e00-\u9fff])(?![{_MEASURE}])")
        text = marker.sub("", text)
    return text.replace("**", "").strip()


def _add_note(notes: list[str], line: str) -> None:
    """A footnote line: ``N text`` starts a note, anything else continues the last one."""
    start = FOOTNOTE_START.match(line)
    text = line.strip()
    if start or not notes:
        notes.append(text[len(start.group(1)) :].strip() if start else text)
    elif notes[-1].endswith("/"):  # a link broken over two lines
        notes[-1] += text
    else:
        notes[-1] = _join([notes[-1], text])


def _with_notes(body: str, notes: list[str]) -> str:
    """The paragraph's text followed by the footnotes met inside it, links left out."""
    cleaned = [URL.sub("", note).strip() for note in notes]
    cleaned = [note for note in cleaned if note and note not in {"。", "."}]
    return " ".join([body, *cleaned]) if cleaned else body


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
    footnotes: set[str] = set()  # numbers of the plain-digit footnotes seen so far
    # Footnote text met inside the current paragraph: moved to its end (the paragraph cites it, and
    # entries cite the paragraph for what the footnote names), not left in the middle of a sentence.
    notes: list[str] = []
    sub_notes: list[str] = []

    def close_sub() -> None:
        nonlocal sub
        if sub is not None and current is not None:
            body = _with_notes(clean_text(_join(sub[1]), frozenset(footnotes)), sub_notes)
            paragraphs.append(Paragraph(f"{current[0]}({sub[0]})", body, "\n".join(sub[1]).strip()))
        sub = None
        sub_notes.clear()

    def close() -> None:
        nonlocal current
        close_sub()
        if current is not None:
            number, clean, raw = current
            body = _with_notes(clean_text(_join(clean), frozenset(footnotes)), notes)
            paragraphs.append(Paragraph(number, body, "\n".join(raw).strip()))
        notes.clear()
        current = None

    lines = text.splitlines()
    headings = _untitled_headings(lines)
    in_footnote = False
    after_separator = False
    for index, line in enumerate(lines):
        start = PARA_START.match(line)
        if start and int(start.group(1)) == expected:
            in_footnote = after_separator = False
            close()
            current = (start.group(1), [start.group(2)], [line.strip()])
            expected += 1
            continue
        footnote = FOOTNOTE_START.match(line)
        if after_separator and footnote and not start:
            in_footnote = True
            footnotes.add(footnote.group(1))
        elif in_footnote and PROSE_RESUMES.match(line):
            in_footnote = False
        elif in_footnote and footnote and not start:
            footnotes.add(footnote.group(1))
        if line.strip():
            after_separator = False
        elif FOOTNOTE_SEPARATOR.match(line):
            after_separator = True
        if current is None:
            continue
        if in_footnote or URL_LINE.match(line):
            if line.strip():
                current[2].append(line.rstrip())
                if in_footnote:
                    _add_note(notes, line)
                    if sub is not None:
                        _add_note(sub_notes, line)
            continue
        if (HEADING.match(line) or index in headings) and not SUB_START.match(line):
            in_footnote = False
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


ASTERISK_NOTE = re.compile(r"^\s*\*{1,3}\s*\S")


def cover_text(text: str) -> str:
    """The title block before paragraph 1, with the asterisk footnotes that belong to its marks.

    A cover page names the meeting, the agenda item and the document's date; its ``*`` notes name
    the agenda document. None of this is a numbered paragraph, yet entries cite it (``cover``).
    """
    lines = text.splitlines()
    block: list[str] = []
    for line in lines:
        start = PARA_START.match(line)
        if start and start.group(1) == "1":
            break
        block.append(line)
    notes = [line for line in lines[len(block):] if ASTERISK_NOTE.match(line)]
    return clean_text(_join(block + notes))
