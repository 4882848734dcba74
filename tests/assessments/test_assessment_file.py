"""The definition file: the default check-in is such a file, and every mistake a pharmacy
can make is refused with the line and the question it is about."""

from __future__ import annotations

import pytest

from dialogs.assessment import Choice, DefinitionError, in_language
from dialogs.assessment_file import DEFAULT_FILE, AssessmentFileError, check_in_for, load
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from tests.assessments.samples import pharmacy_file

HEAD = 'id = "vaccines"\nversion = 1\nlanguages = ["en", "es"]\n'
YES = '[[question]]\nid = "flu"\nkind = "yes_no"\ntext.en = "Flu shot?"\ntext.es = "¿Vacuna?"\n'


def test_the_default_file_is_the_built_in_check_in() -> None:
    assert load(DEFAULT_FILE.read_text(encoding="utf-8")) == DEFAULT_CHECK_IN
    assert check_in_for(None) == DEFAULT_CHECK_IN


def test_a_pharmacy_file_keeps_its_words_choices_conditions_and_flag_rules() -> None:
    definition = load(pharmacy_file())
    assert definition.key == "check_in@2"
    assert [q.id for q in definition.questions][-4:] == [
        "flu_shot",
        "doses_missed",
        "feeling",
        "still_coming",
    ]
    flu = definition.question("flu_shot")
    assert dict(flu.texts)["es"].startswith("¿Desea una vacuna")
    assert flu.prompt == dict(flu.texts)["en"]  # English is the fallback
    doses = definition.question("doses_missed")
    assert (doses.kind, doses.ask_if, doses.flag, doses.flag_limit) == (
        "number",
        ("missed_doses", "yes"),
        "above",
        2,
    )
    assert (doses.minimum, doses.maximum) == (0, 50)
    feeling = definition.question("feeling")
    assert feeling.choices[2] == Choice("worse", (("en", "Worse"), ("es", "Peor")))
    assert (feeling.flag, feeling.flag_answers) == ("answer", ("worse",))


def test_a_stored_file_that_no_longer_loads_gives_the_default_check_in() -> None:
    assert check_in_for('id = "x"\nversion = 1\n') == DEFAULT_CHECK_IN
    assert check_in_for(pharmacy_file()).key == "check_in@2"


def test_texts_fall_back_to_english() -> None:
    texts = (("en", "Flu shot?"), ("es", "¿Vacuna?"))
    assert in_language(texts, ("es-MX", "es")) == "¿Vacuna?"
    assert in_language(texts, ("fr",)) == "Flu shot?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = [", "not valid TOML"),
        ('version = 1\n[[question]]\nid = "a"\n', "line 1: the file needs an id"),
        ('id = "v"\nversion = 0\n', "line 2: version must be a whole number"),
        ('id = "v"\nversion = 1\nlanguages = ["es"]\n' + YES, "line 3: languages must"),
        (HEAD, "the file has no [[question]]"),
        (HEAD + "colour = 1\n" + YES, "line 4: unknown setting 'colour'"),
        (HEAD + YES.replace("yes_no", "scale"), "line 6: question 'flu': unknown kind 'scale'"),
        (HEAD + YES + 'flg_on = "yes"\n', "line 9: question 'flu': unknown setting 'flg_on'"),
        (
            HEAD + YES.replace('text.es = "¿Vacuna?"\n', ""),
            "line 7: question 'flu': its text has no translation for es",
        ),
        (
            HEAD + YES + 'text.fr = "Vaccin ?"\n',
            "question 'flu': its text is written in 'fr', which is not in languages",
        ),
        (HEAD + YES.replace("Flu shot?", "50% off?"), "write %% for a percent sign"),
        (HEAD + YES.replace("Flu shot?", "On %(day)s?"), "may only use %(date)s"),
        (
            HEAD + YES + 'flag_on = "maybe"\nflag_reason = "r"\n',
            "line 9: question 'flu': flag_on 'maybe' names no answer; this question can flag "
            "on 'yes' or 'no'",
        ),
        (HEAD + YES + 'flag_on = "yes"\n', "line 5: question 'flu' flags but gives staff no"),
        (HEAD + YES + "flag_above = 2\n", "flag_above needs a number question"),
        (
            HEAD
            + YES
            + YES.replace('"flu"', '"when"')
            + 'ask_if = { question = "flu", answer = "maybe" }\n',
            "line 10: question 'when' can never be asked: 'flu' never answers 'maybe'",
        ),
        (
            HEAD
            + YES.replace('"flu"', '"when"')
            + 'ask_if = { question = "later", answer = "yes" }\n'
            + YES.replace('"flu"', '"later"'),
            "line 5: question 'when' depends on 'later', which is not asked before it",
        ),
        (HEAD + YES + YES, "line 5: question 'flu' is defined twice"),
        (
            HEAD
            + YES.replace("yes_no", "choice")
            + 'choices = [{ id = "a", en = "A", es = "A" }, { id = "b", en = "B", es = "B" }]\n'
            + 'flag_on = ["c"]\nflag_reason = "r"\n',
            "question 'flu' flags on ['c'], but its choices are ['a', 'b']",
        ),
        (
            HEAD + YES.replace("yes_no", "choice") + 'choices = [{ id = "a", en = "A" }]\n',
            "a choice question needs 2 to 8 choices",
        ),
        (
            HEAD
            + YES.replace("yes_no", "choice")
            + 'choices = [{ id = "a", en = "A", es = "A" }, { id = "b", en = "B" }]\n',
            "line 9: question 'flu': choice 'b' has no translation for es",
        ),
        (HEAD + YES + 'choices = [{ id = "a", en = "A", es = "A" }]\n', "only a choice question"),
        (HEAD + YES.replace("yes_no", "number") + 'flag_on = "yes"\n', "flags with flag_below"),
        (HEAD + YES.replace("yes_no", "number") + "min = 5\nmax = 1\n", "minimum is above"),
        (HEAD + YES + "min = 1\n", "only a number question has min and max"),
        (
            HEAD + '[[question]]\nid = "q"\nkind = "yes_no"\ncatalog = "Q_NOPE"\n',
            "line 7: question 'q': no catalog message named 'Q_NOPE'",
        ),
        (HEAD + '[[question]]\nid = "q"\nkind = "yes_no"\n', "needs its words"),
        (HEAD + '[[question]]\nkind = "yes_no"\n', "line 4: every question needs an id"),
    ],
)
def test_mistakes_are_refused_naming_the_line(text: str, expected: str) -> None:
    with pytest.raises(AssessmentFileError) as refused:
        load(text)
    assert expected in str(refused.value)
    assert isinstance(refused.value, DefinitionError)
