"""The normaliser: every way of typing an identifier folds to one key."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from store.normalize import BoardSession, chinese_number, compact, fold, parse_board_session, parse_identifier

DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Write 1–999 the way Chinese documents do (十二, 二十五, 一百零五)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else DIGITS[tens]) + "十"
    if ones:
        out += DIGITS[ones]
    return out


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


printable = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@given(printable)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30))
def test_fullwidth_and_halfwidth_fold_alike(text: str) -> None:
    assert fold(to_fullwidth(text)) == fold(text)


identifier_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-_ 人居大会第届议号决定", max_size=40)


@given(identifier_text)
def test_compact_ignores_spacing_case_and_punctuation(text: str) -> None:
    spaced = "  " + text.upper().replace("/", " / ").replace(".", " . ").replace("-", " - ") + " ."
    assert compact(spaced) == compact(text)


@given(st.integers(min_value=1, max_value=999))
def test_chinese_numerals_read_as_numbers(n: int) -> None:
    assert chinese_number(to_chinese(n)) == n


@given(st.integers(min_value=1, max_value=30))
def test_ordinals_fold_to_the_same_key(n: int) -> None:
    assert compact(f"人居大会第{to_chinese(n)}届会议") == compact(f"人居大会第 {n} 届会议")


@given(st.integers(min_value=1, max_value=99), st.integers(min_value=1, max_value=999))
def test_every_written_form_of_a_resolution_number_parses_alike(a: int, b: int) -> None:
    forms = [
        f"{a}/{b}", f"第{a}/{b}号决议", f"第 {a}/{b} 号决议", f"resolution {a}/{b}", f"Resolution  {a} / {b}",
        to_fullwidth(f"{a}/{b}"), f"第{a}／{b}号决议", f"res. {a}/{b}",
    ]
    parsed = [parse_identifier(form) for form in forms]
    assert all(p is not None and p.numbers == (f"{a}/{b}",) for p in parsed), forms
    assert {p.kind for p in parsed if p} <= {None, "resolution"}


def test_traditional_characters_fold_to_simplified() -> None:
    assert fold("人居大會第二屆會議") == fold("人居大会第二届会议")
    assert fold("無家可歸") == "无家可归"


def test_english_ordinals_and_numeric_ordinals() -> None:
    assert fold("Second session") == fold("2nd session") == "2 session"
    assert compact("WUF 12") == compact("wuf-12") == compact("ＷＵＦ１２") == "wuf12"


def test_kinds_and_several_numbers() -> None:
    decision = parse_identifier("第 2/1 和 2/2 号决定")
    assert decision is not None and decision.kind == "decision" and decision.numbers == ("2/1", "2/2")
    ga = parse_identifier("大会第73/239号决议")
    assert ga is not None and ga.body == "general-assembly" and ga.kind == "resolution"


def test_numbers_inside_questions_are_not_identifiers() -> None:
    assert parse_identifier("what did 2/7 decide about housing") is None
    assert parse_identifier("HSP/EB.2023/18") is None
    assert parse_identifier("80% of GDP") is None


def test_ordinary_words_are_not_turned_into_numbers() -> None:
    assert fold("统一的一些问题") == "统一的一些问题"
    assert unicodedata.normalize("NFKC", fold("ＨＡ．２")) == "ha.2"


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
NUMBERED = (
    "EB.{y}.{n}", "EB {y}/{n}", "eb{y}-{n}", "人居署执行局{y}年第{cn}届会议", "执行局 {y} 年第{cn}次会议",
    "人居署执行局 {y} 年第 {n} 届会议", "Executive Board {ord} session {y}",
    "{ord} session of {y} of the UN-Habitat Executive Board", "Executive Board, {ord} session of {y}",
)
BY_MONTH = (
    "EB.{y}-{m:02d}", "Executive Board {month} {y}", "UN-Habitat Executive Board session of {month} {y}",
    "执行局 {y} 年 {m} 月会议", "人居署执行局{y}年{cm}月会议",
)


@given(st.integers(min_value=2000, max_value=2099), st.integers(min_value=1, max_value=9),
       st.sampled_from(NUMBERED), st.booleans())
def test_a_board_session_named_by_year_and_number_reads_as_that_year_and_number(
    year: int, number: int, template: str, wide: bool
) -> None:
    text = template.format(y=year, n=number, cn=to_chinese(number), ord=ORDINALS[number - 1])
    assert parse_board_session(to_fullwidth(text) if wide else text) == BoardSession(year, number=number)


@given(st.integers(min_value=2000, max_value=2099), st.integers(min_value=1, max_value=12),
       st.sampled_from(BY_MONTH))
def test_a_board_session_named_by_its_month_reads_as_that_month(year: int, month: int, template: str) -> None:
    text = template.format(y=year, m=month, cm=to_chinese(month), month=MONTHS[month - 1])
    assert parse_board_session(text) == BoardSession(year, month=month)


@given(st.integers(min_value=2000, max_value=2099), st.sampled_from((
    "What did the Executive Board decide in {y}", "执行局{y}年通过了哪些决定", "EB decision {y}/4",
    "Executive Board {y} budget", "HA.2 {y}",
)))
def test_a_question_about_the_board_is_not_taken_for_a_session_name(year: int, template: str) -> None:
    assert parse_board_session(template.format(y=year)) is None
