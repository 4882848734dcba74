"""The gettext catalogs: the template is current, every catalog is complete, and its
placeholders match the English ones (Babel's own checkers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.languages import catalogs as i18n
from dialogs import prompts

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
CATALOGS = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def _ids(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_template_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(LOCALES / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _ids(fresh) == _ids(LOCALES / "messages.pot"), (
        "locales/messages.pot is stale: run `make catalogs` (see docs/TRANSLATING.md)"
    )


def test_every_prompt_is_in_the_template() -> None:
    template = _ids(LOCALES / "messages.pot")
    constants = {v for k, v in vars(prompts).items() if k.isupper() and isinstance(v, str)}
    assert constants and constants <= template


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_catalog_is_complete_and_its_placeholders_match(path: Path) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    template = _ids(LOCALES / "messages.pot")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert template - translated == set(), f"{path.parts[-3]} misses translations"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_catalog_says_whether_a_medical_translator_reviewed_it(path: Path) -> None:
    header = path.read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "Review status:" in header


def test_a_broken_placeholder_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    from babel.support import NullTranslations

    from dialogs.turn import Say

    class Broken(NullTranslations):
        def gettext(self, message: str) -> str:
            return "Hola %(nombre)s"

    monkeypatch.setattr(i18n, "translations", lambda language: Broken())
    text = i18n.render(
        Say(prompts.PASSED_ON.replace(".", " %(first_name)s."), {"first_name": "Ana"}), "es"
    )
    assert "Ana" in text and "%(" not in text


def test_vocabularies_have_the_keywords_every_language_needs() -> None:
    for language, vocab in i18n.all_vocabularies().items():
        assert vocab.yes and vocab.no and vocab.opt_out and vocab.help, language
        assert vocab.language_names, language
