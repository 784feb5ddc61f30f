"""The question parser and the rule wording: property tests over the ways delegates ask."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.dates import MONTHS_EN
from bot.search.phrasing import describe_rule
from bot.search.question import Ask, Time, parse

NAMES = st.sampled_from(["WUF12", "the second session of the UN-Habitat Assembly", "HA.2", "World Cities Day",
                         "人居大会第二届会议", "世界城市论坛第十二届会议", "resolution 2/7", "the Executive Board"])
ASKED = st.sampled_from([
    ("When was {} held?", Ask.WHEN), ("When is {}?", Ask.WHEN), ("{}什么时候举行", Ask.WHEN), ("{}是哪天", Ask.WHEN),
    ("Where was {} held?", Ask.WHERE), ("Where will {} take place?", Ask.WHERE), ("{}在哪里举行", Ask.WHERE),
    ("What was the theme of {}?", Ask.THEME), ("{}的主题是什么", Ask.THEME),
    ("How many resolutions did {} adopt?", Ask.COUNT), ("{}通过了多少项决议", Ask.COUNT),
    ("Who chaired {}?", Ask.WHO), ("{}主席是谁", Ask.WHO), ("How often does {} meet?", Ask.OFTEN),
    ("What did {} establish?", Ask.OUTCOME), ("{}设立了什么", Ask.OUTCOME), ("What is {}?", Ask.WHAT),
    ("{}的内容", Ask.WHAT), ("{}讲了什么", Ask.WHAT), ("contents of {}", Ask.WHAT), ("{} content", Ask.WHAT),
])


@given(st.text(max_size=200))
def test_any_text_parses_or_is_not_a_question(text: str) -> None:
    question = parse(text)
    assert question is None or question.ask in Ask


@given(NAMES, ASKED)
def test_the_attribute_asked_is_recognised_whatever_is_named(name: str, asked: tuple[str, Ask]) -> None:
    template, ask = asked
    question = parse(template.format(name))
    assert question is not None and question.ask is ask


@given(NAMES, st.sampled_from([("When is the next {}?", Time.NEXT), ("{}下一次会议是什么时候", Time.NEXT),
                               ("When was the last {}?", Time.LAST), ("{}上一次会议是什么时候", Time.LAST),
                               ("Is {} still on?", Time.STILL), ("Has {} already taken place?", Time.ALREADY)]))
def test_time_on_the_clock_is_recognised(name: str, asked: tuple[str, Time]) -> None:
    template, time = asked
    question = parse(template.format(name))
    assert question is not None and question.time is time and question.ask is Ask.WHEN


def test_counted_things_and_years() -> None:
    question = parse("How many Executive Board seats do African States have?")
    assert question is not None and question.counted[0] == "席位"
    question = parse("人居大会第二届会议有多少会员国参加")
    assert question is not None and question.counted[0] == "会员国"
    question = parse("When did the Executive Board meet in May 2024?")
    assert question is not None and (question.year, question.month) == (2024, 5)
    question = parse("When was the Local2030 Coalition launched?")  # 2030 is part of a name
    assert question is not None and question.year is None


@given(st.integers(1, 12), st.integers(1, 28))
def test_a_yearly_day_is_worded_in_both_languages(month: int, day: int) -> None:
    rule = f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"
    assert describe_rule(rule, None, "en") == f"{day} {MONTHS_EN[month - 1]} every year"
    assert describe_rule(rule, None, "zh") == f"每年{month}月{day}日"


def test_a_weekday_rule_and_its_end() -> None:
    rule = "FREQ=YEARLY;BYMONTH=10;BYDAY=+1MO"
    assert describe_rule(rule, "10-31", "en") == "every year from the first Monday of October to 31 October"
    assert describe_rule(rule, None, "zh") == "每年10月的第一个星期一"
    assert describe_rule("FREQ=MONTHLY", None, "en") is None
