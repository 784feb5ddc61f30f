"""What a question asks for: one attribute (when, where, theme, who, how many …), a time relative to
the bot's clock (next, last, still, already), a year or month it narrows to, and the words left
that name the thing asked about. English and Chinese patterns, on folded text.

Pure functions of the text; the answer module looks the thing up and builds the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from store.normalize import fold


class Ask(StrEnum):
    """The attribute a question asks for."""

    WHEN = "when"
    WHERE = "where"
    THEME = "theme"
    WHO = "who"
    COUNT = "count"  # how many resolutions / member States / participants …
    AMOUNT = "amount"  # how much money, what share, by how much
    OFTEN = "often"  # how often
    OUTCOME = "outcome"  # what it decided / adopted / established / asked for
    WHICH = "which"  # which resolution did …: the answer is an entry
    WHAT = "what"  # what is it


class Time(StrEnum):
    """A question about time on the bot's clock."""

    NEXT = "next"
    LAST = "last"
    STILL = "still"  # still / currently / 现任: what holds now
    ALREADY = "already"  # already / yet: has it taken place


@dataclass(frozen=True)
class Question:
    ask: Ask
    folded: str
    time: Time | None = None
    #: WHO: the role asked about (president, opened, chair, rapporteur, elected, host, head).
    role: str | None = None
    #: COUNT: Chinese forms of the counted thing (决议, 会员国 …); empty when the words do not say.
    counted: tuple[str, ...] = ()
    #: WHICH: the kind of entry that answers (resolution, decision, session, meeting, document).
    kind: str | None = None
    #: OUTCOME: the forms of the verb asked about (establish: 设立, 建立, establish …), both languages.
    verbs: tuple[str, ...] = ()
    #: WHEN: "until when", "到什么时候": the end of a period is asked, not its start.
    until: bool = False
    year: int | None = None
    month: int | None = None
    #: The question without its frame: the words that name what is asked about.
    topic: str = ""
    #: The spans of the folded text that are frame, not topic (for callers that need them).
    frame: tuple[tuple[int, int], ...] = field(default=(), repr=False)


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Order matters: the first attribute whose pattern matches is the one asked. "Who hosted" asks
# where; "how many times a year" asks how often; "which resolution" asks for an entry.
_ASKS: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    (Ask.OFTEN, _any(r"\bhow (?:often|frequently)\b", r"\bhow many times\b", r"每年.{0,8}(?:几|多少)次",
                     r"多久.{0,6}一次", r"多长时间.{0,6}一次", r"(?:几|多少)年.{0,4}一次", r"频率")),
    (Ask.THEME, _any(r"\btheme\b", r"\bmotto\b", r"\bslogan\b", r"主题")),
    (Ask.WHICH, _any(r"\b(?:which|what) (?:un-habitat |general assembly |assembly |governing council )?"
                     r"(?:resolution|decision|session|meeting|document|report)s?\b",
                     r"(?:哪|哪一|什么)(?:项|个|份|届|次)?(?:决议|决定|会议|文件|报告)")),
    (Ask.WHERE, _any(r"\bwhere\b", r"\bwhich (?:city|country|place|venue|town|state)\b", r"\bwhat (?:city|country|venue|place)\b",
                     r"\bvenue\b", r"\blocation\b", r"\bhost(?:ed|s|ing)?\b", r"\bbased\b",
                     r"在哪", r"哪里", r"何地", r"何处", r"地点", r"哪个(?:城市|国家|地方)", r"哪座城市", r"设在", r"主办", r"东道")),
    (Ask.WHEN, _any(r"\bwhen\b", r"\bwhat (?:date|day|year|month|time)\b", r"\bwhich (?:date|day|year|month)\b",
                    r"\bdates?\b", r"\buntil when\b", r"\bby when\b", r"\bhow long\b",
                    r"什么时候", r"何时", r"哪天", r"哪一天", r"哪1天", r"哪几天", r"哪些天", r"几月", r"几号", r"哪年", r"哪一年", r"日期", r"时间", r"多久", r"何日")),
    (Ask.AMOUNT, _any(r"\bhow much\b", r"\bwhat (?:share|percentage|proportion|fraction|amount)\b",
                      r"\bby how (?:much|many)\b", r"\b(?:income|budget|revenue|funding|expenditure|cost|worth)s?\b",
                      r"多少(?:钱|资金|美元|经费)", r"收入", r"预算", r"金额", r"多大比例", r"百分之", r"比例", r"增长了多少", r"占.{0,12}多少")),
    (Ask.COUNT, _any(r"\bhow many\b", r"\bnumber of\b", r"多少", r"几(?:个|项|名|位|份|届|次|家|座)")),
    (Ask.WHO, _any(r"\bwho\b", r"\bwhom\b", r"\bwhich (?:person|official)\b", r"\bname of the\b",
                   r"谁", r"哪位", r"何人", r"什么人")),
    (Ask.OUTCOME, _any(r"\bwhat (?:did|does|do|will|has|have|was)\b.*\b(?:decide|adopt|establish|set up|create|provide|"
                       r"request|ask|call|urge|approve|launch|agree|do|say|achieve|result)",
                       r"\boutcomes?\b", r"\bresults?\b", r"\bwhat came (?:out )?of\b",
                       r"(?:决定|通过|设立|建立|成立|规定|要求|请|呼吁|核准|启动|做出|作出|取得)了?(?:什么|哪些)", r"成果", r"结果")),
    (Ask.WHAT, _any(r"^(?:what is|what's|what are|what was|what were|tell me about|explain|describe)\b",
                    r"\bcontents? of\b", r"\bcontents?$",
                    r"是什么", r"什么是", r"介绍", r"是指", r"内容$", r"讲(?:了|的是)?什么")),
)

_TIMES: tuple[tuple[Time, re.Pattern[str]], ...] = (
    (Time.NEXT, _any(r"\bnext\b", r"\bupcoming\b", r"\bforthcoming\b", r"\bcoming\b", r"\bfuture\b",
                     r"下次", r"下[一1]次", r"下[一1]届", r"下届", r"即将", r"下[一1]个", r"接下来", r"将要", r"今后")),
    (Time.LAST, _any(r"\blast\b", r"\bprevious\b", r"\bmost recent\b", r"\blatest\b", r"\brecent\b",
                     r"上次", r"上[一1]次", r"上[一1]届", r"上届", r"最近[一1]次", r"最近", r"前[一1]次", r"最新")),
    (Time.STILL, _any(r"\bstill\b", r"\bcurrent(?:ly)?\b", r"\bnow\b", r"\bpresent\b", r"\btoday\b", r"\bincumbent\b",
                      r"仍然", r"仍", r"还在", r"现任", r"目前", r"现在", r"当前")),
    (Time.ALREADY, _any(r"\balready\b", r"\byet\b", r"\bhas .{1,60} (?:taken place|happened|been held|ended|started|begun)\b",
                        r"已经", r"是否已", r"举行了吗", r"结束了吗", r"开始了吗")),
)

_OFFICERS = _any(r"\b(?:vice-)?presidents?\b", r"\brapporteurs?\b", r"\bchairs?\b", r"副主席", r"报告员")

_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("host", _any(r"\bhost(?:ed|s|ing)?\b", r"主办", r"东道")),
    ("opened", _any(r"\bopen(?:ed|s)?\b", r"开幕")),
    ("vice-president", _any(r"\bvice-?presidents?\b", r"副主席")),
    ("president", _any(r"\bpresidents?\b", r"\bpresided?\b", r"主席(?!团)")),
    ("chair", _any(r"\bchair(?:ed|ed by|man|person|woman)?\b", r"\bchaired\b", r"主持")),
    ("rapporteur", _any(r"\brapporteur\b", r"报告员")),
    ("head", _any(r"\bexecutive director\b", r"\bhead of\b", r"\bleads?\b", r"执行主任", r"负责人", r"领导")),
    ("elected", _any(r"\belected\b", r"当选", r"选举", r"选出")),
)

# What is counted: the question's words → the forms the sources use for them (Chinese first).
_COUNTED: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_any(r"\bresolutions?\b", r"决议"), ("决议", "resolution")),
    (_any(r"\bdecisions?\b", r"决定"), ("决定", "decision")),
    (_any(r"\bmember states?\b", r"\bcountries\b", r"\bstates\b", r"会员国", r"国家(?!办事处)"),
     ("会员国", "国家", "member state", "countries", "states")),
    (_any(r"\bparticipants?\b", r"\battendees?\b", r"\bpeople\b", r"\bdelegates?\b", r"\battend(?:ed|ance)?\b",
          r"与会者", r"参会者", r"代表", r"人参加", r"人出席"),
     ("与会者", "参会者", "人", "名", "participant", "attendee", "people", "delegate")),
    (_any(r"\bseats?\b", r"席位", r"席"), ("席位", "席", "seat")),
    (_any(r"\bmembers?\b", r"成员"), ("成员", "成员国", "member")),
    (_any(r"\boffices?\b", r"办事处"), ("办事处", "office")),
    (_any(r"\breviews?\b", r"评估"), ("评估", "审查", "review")),
    (_any(r"\bcities\b", r"城市"), ("城市", "cities")),
    (_any(r"\bmeetings?\b", r"\bsessions?\b", r"会议"), ("会议", "届", "meeting", "session")),
    (_any(r"\bpartners?\b", r"伙伴"), ("伙伴", "partner")),
    (_any(r"\bprojects?\b", r"项目"), ("项目", "project")),
    (_any(r"\bprogrammes?\b", r"\bprograms?\b", r"方案"), ("方案", "项目", "programme")),
    (_any(r"\bgoals?\b", r"目标"), ("目标", "goal")),
    (_any(r"\bstakeholders?\b", r"利益攸关方"), ("利益攸关方", "stakeholder")),
)

# What an outcome question asks a text did: the question's verb → forms the answer may use.
_VERBS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_any(r"\bestablish", r"\bset up\b", r"\bsets up\b", r"\bcreat", r"设立", r"建立", r"成立"),
     ("establish", "set up", "sets up", "creat", "设立", "建立", "成立")),
    (_any(r"\bprovid", r"规定"), ("provid", "规定", "框架")),
    (_any(r"\bdecid", r"决定"), ("decid", "决定")),
    (_any(r"\badopt", r"通过"), ("adopt", "通过")),
    (_any(r"\brequest", r"\bask", r"\bcall", r"\burge", r"请", r"要求", r"呼吁"),
     ("request", "ask", "call", "urge", "请", "要求", "呼吁")),
    (_any(r"\bapprov", r"核准", r"批准"), ("approv", "核准", "批准")),
    (_any(r"\blaunch", r"启动", r"发起"), ("launch", "启动", "发起")),
    (_any(r"\bextend", r"延长"), ("extend", "延长")),
)
_UNTIL = _any(r"\buntil when\b", r"\btill when\b", r"\bhow long\b", r"\buntil\b", r"到什么时候", r"到何时", r"截至何时", r"任期到", r"至何时")

_KINDS = _any(r"\b(resolution|decision|session|meeting|document|report)s?\b", r"(决议|决定|会议|文件|报告)")
_KIND_NAMES = {"决议": "resolution", "决定": "decision", "会议": "session", "文件": "document", "报告": "document",
               "report": "document"}

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTH_EN = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b(?:\s+(\d{4}))?")
_MONTH_ZH = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月")
# A year stands alone or before 年: not inside a name (Local2030, 地方2030联盟) or a symbol.
_YEAR = re.compile(r"(?<![\w/.])((?:19|20)\d\d)(?![\d/])|((?:19|20)\d\d)(?=\s*年)")

# Words that frame a question without naming anything.
_FRAME_EN = re.compile(
    r"\b(?:what|when|where|who|whom|which|how|many|much|often|is|are|was|were|will|would|did|does|do|has|have|had|"
    r"the|a|an|of|for|on|at|to|by|from|its|it|their|there|be|been|being|held|take|takes|taking|place|"
    r"please|tell|me|about|can|you|i|know|want|hold|happen|happened|scheduled|planned|"
    r"in|and|during|this|that|these|those|yet|again|s)\b"
)
_FRAME_ZH = re.compile(
    r"请问|请告诉我|告诉我|一下|是否|是不是|是什么|是谁|是哪|什么|哪里|哪儿|多少|举行|举办|召开|有关|关于"
)
_PARTICLES = "的了吗呢么是有在于将由会和与及"
_PUNCTUATION = re.compile(r"[?？!！。,，、:：;；\"“”'‘’()（）]")


L = TypeVar("L", "Ask", "Time")


def _first(table: tuple[tuple[L, re.Pattern[str]], ...], folded: str, frame: list[tuple[int, int]]) -> L | None:
    """The label of the first pattern found in ``folded``; its span is added to ``frame``."""
    for label, pattern in table:
        found = pattern.search(folded)
        if found:
            frame.append(found.span())
            return label
    return None


def parse(text: str) -> Question | None:
    """The attribute ``text`` asks for, or None when it is not a question about an attribute."""
    folded = fold(text)
    frame: list[tuple[int, int]] = []
    ask = _first(_ASKS, folded, frame)
    time = _first(_TIMES, folded, frame)
    if ask is None and time is not None:
        ask = Ask.WHEN  # "next Executive Board session", "下次执行局会议"
    if ask in (None, Ask.WHERE, Ask.WHICH) and _OFFICERS.search(folded):
        ask = Ask.WHO  # "which countries provided the Vice-Presidents": officers are asked for
    if ask is None:
        return None
    role = None
    if ask in (Ask.WHO, Ask.WHERE):
        for name, pattern in _ROLES:
            found = pattern.search(folded)
            if found:
                role = name
                if name not in ("head",):
                    frame.append(found.span())
                break
    counted: tuple[str, ...] = ()
    if ask is Ask.COUNT:
        counted = _counted(folded, frame[0][1])
    kind = None
    if ask is Ask.WHICH:
        found = _KINDS.search(folded)
        if found:
            word = found.group(1) or found.group(2)
            kind = _KIND_NAMES.get(word, word)
    verbs: tuple[str, ...] = ()
    if ask is Ask.OUTCOME:
        verbs = next((forms for pattern, forms in _VERBS if pattern.search(folded)), ())
    until = ask is Ask.WHEN and bool(_UNTIL.search(folded))
    year, month = _year_month(folded)
    return Question(ask, folded, time, role, counted, kind, verbs, until, year, month, topic(folded, frame), tuple(frame))


def _counted(folded: str, after: int) -> tuple[str, ...]:
    """The counted thing nearest after "how many" / "多少" (else anywhere): "seats" in "how many
    Executive Board seats do African States have", "会员国" in "第二届会议有多少会员国参加"."""
    best: tuple[int, tuple[str, ...]] | None = None
    fallback: tuple[int, tuple[str, ...]] | None = None
    for pattern, forms in _COUNTED:
        for found in pattern.finditer(folded):
            if found.start() >= after and (best is None or found.start() < best[0]):
                best = (found.start(), forms)
            if fallback is None or found.start() < fallback[0]:
                fallback = (found.start(), forms)
    chosen = best or fallback
    return chosen[1] if chosen else ()


def _year_month(folded: str) -> tuple[int | None, int | None]:
    month = None
    year = None
    found = _MONTH_EN.search(folded)
    if found and found.group(1) == "may" and not found.group(2) and not re.search(r"\b(?:in|of|\d{1,2}) may\b", folded):
        found = None  # "may" the verb
    if found:
        month = _MONTHS[found.group(1)]
        year = int(found.group(2)) if found.group(2) else None
    else:
        zh = _MONTH_ZH.search(folded)
        if zh and 1 <= int(zh.group(2)) <= 12:
            month = int(zh.group(2))
            year = int(zh.group(1)) if zh.group(1) else None
    if year is None:
        found = _YEAR.search(folded)
        year = int(found.group(1) or found.group(2)) if found else None
    return year, month


def topic(folded: str, frame: list[tuple[int, int]] | tuple[tuple[int, int], ...] = ()) -> str:
    """The words that name the thing: the question without its frame and question words."""
    kept = "".join(" " if any(a <= i < b for a, b in frame) else c for i, c in enumerate(folded))
    kept = _FRAME_ZH.sub(" ", _FRAME_EN.sub(" ", _PUNCTUATION.sub(" ", kept)))
    chunks = (chunk.strip(_PARTICLES) for chunk in kept.split())
    return " ".join(chunk for chunk in chunks if len(chunk) > 1 or chunk.isascii())
