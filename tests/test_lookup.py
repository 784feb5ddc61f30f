"""Lookups through the answer core, as a delegate types them (no Telegram involved)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Habitat
from bot.kernel.reply import Reply, plain_text
from bot.kernel.router import Asker
from bot.lookup.calendar import year_asked

ZH = Asker(user_id=7, lang="zh")
EN = Asker(user_id=7, lang="en")


def ask(services: Habitat, text: str, who: Asker = ZH) -> list[Reply]:
    return services.router.message(text, who)


def entry_of(replies: list[Reply]) -> str | None:
    return replies[0].meta.get("entry") if replies else None


@pytest.mark.parametrize(
    "typed",
    ["/session HA.2", "/session HA2", "/session ha.2", "/session ＨＡ．２", "/session 人居大会第二届会议",
     "/session 人居大會第二屆會議", "/session second session of the UN-Habitat Assembly", "HA2", "ha.2",
     "联合国人居大会第二届会议", "／session HA.2", "/SESSION HA.2", "/session@habitat_test_bot HA.2"],
)
def test_every_way_of_writing_ha2_reaches_it(services: Habitat, typed: str) -> None:
    assert entry_of(ask(services, typed)) == "HA.2"


def test_ha2_names_its_dates_place_and_sources(services: Habitat) -> None:
    zh = ask(services, "/session HA.2")[0].text
    en = ask(services, "/session HA.2", EN)[0].text
    assert "2023年6月5日至9日" in zh and "内罗毕" in zh and "来源" in zh and "第 6 段" in zh
    assert "5–9 June 2023" in en and "Nairobi" in en and "Sources" in en and "para. 6" in en


@pytest.mark.parametrize("typed", ["/resolution 2/7", "/resolution ２／７", "/resolution 第2/7号决议", "第2/7号决议",
                                   "resolution 2/7", "/resolution 2 / 7", "Resolution 2/7"])
def test_resolution_2_7_is_the_housing_working_group(services: Habitat, typed: str) -> None:
    replies = ask(services, typed, EN)
    assert entry_of(replies) == "res-2/7"
    assert "open-ended intergovernmental expert working group on adequate housing for all" in replies[0].text
    zh = ask(services, typed)[0].text
    assert "人人享有适当住房不限成员名额政府间专家工作组" in zh


def test_resolution_and_decision_2_2_are_different_texts(services: Habitat) -> None:
    resolution = ask(services, "/resolution 2/2")
    decision = ask(services, "/decision 2/2")
    assert entry_of(resolution) == "res-2/2" and entry_of(decision) == "dec-2/2"
    assert plain_text(resolution[0].text) != plain_text(decision[0].text)
    both = ask(services, "2/2")  # no kind given: offer both
    data = {b.data for row in both[0].buttons for b in row}
    assert {"e:res-2/2", "e:dec-2/2"} <= data


@pytest.mark.parametrize("number", ["2/3", "2/4", "2/8"])
def test_counted_but_undescribed_resolutions_say_so(services: Habitat, number: str) -> None:
    zh = ask(services, f"/resolution {number}")[0].text
    en = ask(services, f"/resolution {number}", EN)[0].text
    assert "no summary" in en and "没有" in zh


def test_decision_forms_with_several_numbers(services: Habitat) -> None:
    replies = ask(services, "第 2/1 和 2/2 号决定")
    data = {b.data for row in replies[0].buttons for b in row}
    assert data == {"e:dec-2/1", "e:dec-2/2"}


@pytest.mark.parametrize(
    ("typed", "entry"),
    [("/doc HSP/EB.2023/18", "doc-HSP/EB.2023/18"), ("/doc hsp/eb.2023/18", "doc-HSP/EB.2023/18"),
     ("/doc ＨＳＰ／ＥＢ．２０２３／１８", "doc-HSP/EB.2023/18"), ("/doc HSP/HA.2/7", "doc-HSP/HA.2/7"),
     ("/doc A/77/310", "doc-A/77/310"), ("/session WUF12", "WUF12"), ("/session WUF 12", "WUF12"),
     ("/event World Urban Forum Cairo", "WUF12"), ("/session 第十二届世界城市论坛", "WUF12"),
     ("/event 城市十月", "urban-october"), ("/event Urban October", "urban-october"),
     ("/event 世界人居日", "world-habitat-day"), ("/event World Cities Day", "world-cities-day"),
     ("/session resumed session", "HA.2-resumed"), ("/session 人居大会第二届会议续会", "HA.2-resumed"),
     ("/session HA1", "HA.1"), ("/resolution 73/239", "res-ga-73/239"),
     ("/resolution 大会第73/239号决议", "res-ga-73/239"), ("/resolution A/RES/73/239", "res-ga-73/239")],
)
def test_identifiers_of_every_kind(services: Habitat, typed: str, entry: str) -> None:
    assert entry_of(ask(services, typed)) == entry


def test_a_misspelt_name_finds_the_entry_or_offers_choices(services: Habitat) -> None:
    replies = ask(services, "/event World Citys Day", EN)
    found = entry_of(replies) or {b.data for row in replies[0].buttons for b in row}
    assert found == "world-cities-day" or "e:world-cities-day" in found


def test_unknown_ids_get_not_found_with_suggestions(services: Habitat) -> None:
    replies = ask(services, "/resolution 2/11", EN)
    assert "Nothing found" in replies[0].text
    assert any(b.data and b.data.startswith("e:res-2/") for row in replies[0].buttons for b in row)
    nothing = ask(services, "/doc XYZ/999/zz", EN)[0]
    assert "Nothing found" in nothing.text


def test_commands_without_arguments_explain_their_usage(services: Habitat) -> None:
    for name in ("session", "resolution", "decision", "doc", "event"):
        reply = ask(services, f"/{name}", EN)[0]
        assert f"/{name}" in reply.text and "Usage" in reply.text
        assert reply.buttons, name


def test_unknown_command_points_to_help(services: Habitat) -> None:
    assert "/help" in ask(services, "/frobnicate now", EN)[0].text
    assert "/help" in ask(services, "/frobnicate")[0].text


def test_html_in_input_is_escaped_not_interpreted(services: Habitat) -> None:
    reply = ask(services, "/session <script>alert(1)</script> & <b>", EN)[0]
    assert "<script>" not in reply.text and "&lt;script&gt;" in reply.text


def test_huge_messages_get_a_clear_answer(services: Habitat) -> None:
    reply = ask(services, "贫民窟" * 5000, EN)[0]
    assert "消息太长" in reply.text  # written in Chinese, so answered in Chinese
    reply = ask(services, "slum " * 5000)[0]
    assert "too long" in reply.text
    reply = ask(services, "/session " + "x" * 10000, EN)[0]
    assert "too long" in reply.text


def test_buttons_open_related_entries_and_source_paragraphs(services: Habitat) -> None:
    card = ask(services, "/session HA.2")[0]
    data = [b.data for row in card.buttons for b in row if b.data]
    assert any(d.startswith("e:res-2/") for d in data), data
    paragraph_button = next(d for d in data if d.startswith("p:"))
    paragraph = services.router.callback(paragraph_button, ZH)[0]
    assert "第 " in paragraph.text and "段" in paragraph.text
    resolution = services.router.callback("e:res-2/7", EN)[0]
    assert any(b.data == "e:HA.2" for row in resolution.buttons for b in row)


def test_stale_buttons_get_a_clear_answer(services: Habitat) -> None:
    assert "no longer" in services.router.callback("e:gone-entry", EN)[0].text
    assert "no longer" in services.router.callback("p:NOPE:1", EN)[0].text
    assert "no longer" in services.router.callback("zz:whatever", EN)[0].text


def test_events_say_how_far_away_they_are_on_the_bots_clock(services: Habitat, clock) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    clock.set(dt.datetime(2024, 10, 1, 5, 0, tzinfo=dt.UTC))
    assert "in 34 days" in ask(services, "/session WUF12", EN)[0].text
    clock.set(dt.datetime(2024, 11, 5, 9, 0, tzinfo=dt.UTC))
    assert "under way" in ask(services, "/session WUF12", EN)[0].text
    clock.set(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert "took place" in ask(services, "/session WUF12", EN)[0].text
    assert "已于" in ask(services, "/session WUF12")[0].text


def test_upcoming_lists_the_next_milestones_including_recurring_ones(services: Habitat, clock) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    clock.set(dt.datetime(2024, 9, 1, tzinfo=dt.UTC))
    text = plain_text(services.router.command("upcoming", "", EN)[0].text)
    assert "World Urban Forum" in text or "WUF" in text
    assert "7 October 2024" in text  # World Habitat Day 2024: the first Monday of October
    assert "31 October 2024" in text


def test_language_follows_lang_command(services: Habitat) -> None:
    who = dataclasses.replace(ZH, user_id=99)
    reply = services.router.command("lang", "en", who)[0]
    assert "English" in reply.text
    assert services.askers.asker(99, "zh").lang == "en"
    unknown = services.router.command("lang", "fr", services.askers.asker(99, "zh"))[0]
    assert "“fr”" in unknown.text and "/lang zh" in unknown.text and "/lang en" in unknown.text


@pytest.mark.parametrize(("typed", "expected"), [("help", "/session"), ("帮助", "/session"), ("Hello!", "Habitat Assistant"),
                                                 ("你好", "人居助手"), ("upcoming", "Coming up")])
def test_plain_words_for_commands_work_without_the_slash(services: Habitat, typed: str, expected: str) -> None:
    # Asked by someone whose Telegram is in English: the words' own language decides the reply's.
    assert expected in ask(services, typed, EN)[0].text


def test_deep_links_open_entries_whose_ids_have_dots_and_slashes(services: Habitat) -> None:
    from bot.kernel.callbacks import EntryButton, to_deep_link

    assert entry_of(services.router.command("start", to_deep_link(EntryButton("HA.2")), EN)) == "HA.2"
    assert entry_of(services.router.command("start", to_deep_link(EntryButton("res-2/7")), EN)) == "res-2/7"


@pytest.mark.parametrize(("typed", "entry"), [("/session the first UN-Habitat Assembly", "HA.1"),
                                              ("/session forum Cairo", "WUF12"), ("/event habitat day", "world-habitat-day")])
def test_a_name_given_in_part_finds_the_one_entry_it_fits(services: Habitat, typed: str, entry: str) -> None:
    assert entry_of(ask(services, typed, EN)) == entry


def test_a_part_that_fits_several_entries_offers_them(services: Habitat) -> None:
    reply = ask(services, "/session executive board 2025", EN)[0]
    offered = {b.data for row in reply.buttons for b in row}
    assert {"e:EB.2025-03", "e:EB.2025-11"} <= offered


def test_agenda_lists_items_with_document_buttons(services: Habitat) -> None:
    [agenda] = services.router.command("agenda", "HA.1", EN)
    assert "Agenda of First session" in agenda.text and "Election of officers" in agenda.text
    data = [b.data for row in agenda.buttons for b in row]
    assert "e:doc-HSP/HA/1/1" in data
    [card] = services.router.command("session", "HA.1", EN)
    assert "ag:HA.1" in [b.data for row in card.buttons for b in row]
    [pressed] = services.router.callback("ag:HA.1", EN)
    assert pressed.text == agenda.text
    [none] = services.router.command("agenda", "WUF12", EN)
    assert "no agenda" in none.text


@pytest.mark.parametrize("typed", ["wuf 12", "Wrld Urban Forum", "the first UN-Habitat Assembly", "hbitat assembly",
                                   "executive bord", "xyzzy plugh", "城市十月", "贫民窟改造"])
def test_a_remembered_fuzzy_resolution_is_what_a_fresh_one_gives(services: Habitat, typed: str) -> None:
    catalog = services.content.catalog
    first, again = catalog.resolve(typed), catalog.resolve(typed)
    fresh = dataclasses.replace(catalog)  # the same content, nothing remembered
    assert not fresh._fuzzy_memo  # noqa: SLF001 - a new catalog starts with an empty memo
    assert first == again == fresh.resolve(typed)


@pytest.mark.parametrize(("asked", "year"), [
    ("2026年有哪些活动", 2026), ("2024年的会议", 2024), ("2025 年有什么会议？", 2025),
    ("events in 2024", 2024), ("What meetings are there in 2025?", 2025), ("calendar for 2023", 2023),
])
def test_what_happens_in_a_year_lists_that_years_dated_entries(services: Habitat, asked: str, year: int) -> None:
    [reply] = services.router.message(asked, Asker(user_id=3, lang="en"))
    text = plain_text(reply.text)
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert lines and all(str(year) in line for line in lines)
    assert reply.buttons  # each entry listed opens its card
    if year == 2024:
        assert "Twelfth session of the World Urban Forum" in text or "世界城市论坛第十二届会议" in text


@given(st.text(max_size=80))
def test_any_text_is_a_year_question_or_not(text: str) -> None:
    year = year_asked(text)
    assert year is None or 1900 <= year <= 2099
