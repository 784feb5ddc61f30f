"""Hostile uploads are refused within bounds: zip bombs, YAML alias bombs, corrupt archives, bad YAML.

The done-when of issue 11: a zip whose headers claim 1,000 bytes but that inflates to a gigabyte,
and a YAML alias bomb, are refused with less than 400 MB of extra memory while another user's
question is answered. Memory is measured as peak RSS in a subprocess (everything, C included)
and with tracemalloc around the end-to-end run through the fake Bot API.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import safeyaml
from store.admin_store import unpack_zip
from store.content import ContentInvalid, _LineLoader, load_content
from tests.bombs import corrupt_zips, lying_zip_bomb, small_zip, yaml_alias_bomb
from tests.conftest import CONTENT, ROOT
from tests.htmlcheck import parse_telegram_html
from tests.test_admin import Live, live_sqlite, valid_content, valid_template  # noqa: F401 - fixtures
from tests.test_admin_telegram import ADMIN, DELEGATE, Bot, bot  # noqa: F401 - fixtures

LIMIT = 400 * 1024 * 1024

MEASURE = """
import json, resource, shutil, sys, tempfile
from pathlib import Path
from store.admin_store import copy_content, unpack_zip
from store.content import ContentInvalid, load_content
from tests.bombs import entry_alias_bomb, lying_zip_bomb, yaml_alias_bomb

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

kind, content = sys.argv[1], Path(sys.argv[2])
with tempfile.TemporaryDirectory() as folder:
    staging = Path(folder)
    copy_content(content, staging)
    bomb = lying_zip_bomb() if kind == "zip" else None
    before = peak()
    if kind == "zip":
        errors = [str(e) for e in unpack_zip(bomb, staging, replace_entries=True, name="bomb.zip")]
    else:
        if kind == "glossary":
            (staging / "glossary.yaml").write_text(yaml_alias_bomb(), encoding="utf-8")
        else:
            (staging / "entries" / "bomb.yaml").write_text(entry_alias_bomb(), encoding="utf-8")
        try:
            load_content(staging)
            errors = []
        except ContentInvalid as exc:
            errors = [str(e) for e in exc.errors]
    print(json.dumps({"extra": peak() - before, "errors": errors}))
"""


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("zip", "entries/bomb.yaml: invalid file: it inflates to more than 2000000 bytes although its zip header says 1000"),
        ("glossary", "glossary.yaml:1: anchors and aliases (&name, *name) are not allowed"),
        ("entry", "entries/bomb.yaml:2: anchors and aliases (&name, *name) are not allowed"),
    ],
)
def test_bombs_are_refused_with_little_memory(kind: str, expected: str) -> None:
    done = subprocess.run([sys.executable, "-c", MEASURE, kind, str(CONTENT)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    measured = json.loads(done.stdout)
    assert measured["errors"] and measured["errors"][0].startswith(expected), measured["errors"]
    assert measured["extra"] < LIMIT, f"{kind}: {measured['extra'] / 2**20:.0f} MB more at peak"


@pytest.mark.parametrize("case", ["bad-deflate", "wrong-crc", "truncated-stream", "truncated-file", "bzip2"])
def test_corrupt_archives_are_an_invalid_file_named_for_the_admin(live_sqlite: Live, case: str) -> None:  # noqa: F811
    member = (live_sqlite.content / "entries" / "sessions.yaml").read_bytes()
    before = live_sqlite.database_state()
    reply = live_sqlite.upload("content.zip", corrupt_zips(member)[case])
    assert "Nothing was changed" in reply and "invalid file" in reply
    assert ("content.zip" in reply) if case == "truncated-file" else ("entries/sessions.yaml" in reply)
    assert live_sqlite.database_state() == before


def test_a_member_twice_in_one_zip_is_refused(live_sqlite: Live) -> None:  # noqa: F811
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("entries/a.yaml", b"entries: []\n")
        archive.writestr("entries/a.yaml", b"entries: []\n")
    assert "in the zip twice" in live_sqlite.upload("content.zip", buffer.getvalue())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("terms:\n  - term: a\n    term: b\n", "glossary.yaml:3: duplicate key 'term' (first at line 2)"),
        ("x: &a {b: 1}\nterms: [*a]\n", "anchors and aliases"),
        ("base: &b {term: x}\nterms:\n  - <<: *b\n", "merge keys (<<) are not allowed"),
        ("terms: " + "[" * 60 + "]" * 60 + "\n", "nested more than 40 levels deep"),
        ("terms:\n" + "  - x\n" * 100_001, "more than 100000 values in one file"),
        ("terms: !!int abc\n", "tags such as !!int are not allowed"),
        ("terms: !!python/object:os.system x\n", "tags such as !!python/object:os.system are not allowed"),
        ("terms: [0b_]\n", "a value could not be read"),
    ],
    ids=["duplicate-key", "alias", "merge-alias", "deep", "many", "tag", "python-tag", "bad-int"],
)
def test_yaml_content_may_not_use_aliases_or_repeat_a_key(tmp_path: Path, text: str, expected: str) -> None:
    from store.admin_store import copy_content

    copy_content(CONTENT, tmp_path)
    (tmp_path / "glossary.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentInvalid) as raised:
        load_content(tmp_path)
    shown = [str(e) for e in raised.value.errors]
    assert any(expected in line for line in shown), shown


def test_a_duplicate_key_in_an_uploaded_file_is_named(live_sqlite: Live) -> None:  # noqa: F811
    original = (live_sqlite.content / "entries" / "sessions.yaml").read_text(encoding="utf-8")
    doubled = original.replace("  - id: HA.2\n", "  - id: HA.2\n    id: HA.2\n", 1)
    reply = live_sqlite.upload("sessions.yaml", doubled.encode())
    assert "duplicate key 'id'" in reply and "entries/sessions.yaml:" in reply and "Nothing was changed" in reply


def test_a_file_that_takes_longer_than_its_time_budget_is_refused() -> None:
    text = "terms:\n" + "  - {term: x, zh: y}\n" * 3000
    with pytest.raises(safeyaml.YamlRefused, match="takes too long"):
        safeyaml.load(text, _LineLoader, time_budget=-1.0)
    assert len(safeyaml.load(text, _LineLoader)["terms"]) == 3000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-&*[]{},!?|>'\"#\n <%@`\t\\")) | st.characters(exclude_categories=("Cs",)), max_size=200))
def test_the_bounded_loader_raises_only_yaml_errors(text: str) -> None:
    try:
        safeyaml.load(text, _LineLoader)
    except yaml.YAMLError:
        pass


@settings(max_examples=int(__import__("os").environ.get("ZIPFUZZ", "150")), deadline=None)
@given(st.data())
def test_damaged_zips_are_refused_never_raised(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    good = small_zip({"entries/a.yaml": b"entries: []\n" * 50, "glossary.yaml": b"terms: []\n"})
    position = data.draw(st.integers(0, len(good) - 1))
    damage = data.draw(st.binary(min_size=1, max_size=8))
    spoiled = good[:position] + damage + good[position + len(damage):]
    if data.draw(st.booleans()):
        spoiled = spoiled[: data.draw(st.integers(0, len(spoiled)))]
    target = tmp_path_factory.mktemp("unpacked")
    problems = unpack_zip(spoiled, target, replace_entries=True, name="spoiled.zip")
    assert all(str(p) for p in problems)


async def test_bombs_sent_to_the_bot_are_refused_while_a_delegate_is_answered(bot: Bot) -> None:  # noqa: F811
    server = bot.server
    zip_bomb, alias_bomb = lying_zip_bomb(), yaml_alias_bomb().encode()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        server.send_document(ADMIN, "f-zip-bomb", "content.zip", "/reload", user_id=ADMIN, data=zip_bomb,
                             language_code="en")
        server.send_document(ADMIN, "f-yaml-bomb", "glossary.yaml", "/reload", user_id=ADMIN, data=alias_bomb,
                             language_code="en")
        server.send_text(DELEGATE, "/session HA.2", user_id=DELEGATE, language_code="en")
        [answer] = await server.wait_for("sendMessage", chat_id=DELEGATE, timeout=30)
        refusals = await server.wait_for("sendMessage", count=2, chat_id=ADMIN, timeout=30)
        extra = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert "Second session of the UN-Habitat Assembly" in parse_telegram_html(answer["text"])[0]
    texts = sorted(parse_telegram_html(m["text"])[0] for m in refusals)
    assert any("entries/bomb.yaml: invalid file: it inflates to more than" in t for t in texts), texts
    assert any("glossary.yaml:1: anchors and aliases" in t for t in texts), texts
    assert all("Nothing was changed" in t for t in texts)
    assert extra < LIMIT, f"{extra / 2**20:.0f} MB more at peak"
    assert server.errors == []
