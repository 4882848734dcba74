"""Properties of the reader (hypothesis): "no, but ..." before anything clinical is never the
clear value; a plain yes or no of any vocabulary reads as itself; no text makes it raise."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.languages.catalogs import all_vocabularies, vocabulary_for
from dialogs import answering, engine
from dialogs.check_in_definition import DEFAULT_CHECK_IN
from dialogs.context import Context, PatientFacts
from dialogs.reading import Asked, read
from dialogs.state import State
from dialogs.turn import Start, Text

TOPICS = ("hospital", "changes", "missed_doses")
PREFIXES = {
    "en": ["no, but", "No but", "nope, but", "no. But", "no but"],
    "es": ["no, pero", "No pero", "no pero", "nop, pero", "No. Pero"],
}
# Clinical clauses: what a patient adds after "no, but" (a visit, a change, a dose, a symptom,
# a request), with words the reader has never seen among them.
SUBJECTS = {
    "en": ["I", "i", "my doctor", "they", "the dr", ""],
    "es": ["yo", "el doctor", "me", ""],
}
CLINICAL = {
    "en": [
        "went to the ER",
        "was admitted on {w}",
        "went to urgent care",
        "changed my {w} dose",
        "started {w}",
        "stopped my {w}",
        "added {w}",
        "missed {n} doses",
        "forgot {n} times",
        "skipped my {w}",
        "ran out on {w}",
        "have {w}",
        "need more {w}",
        "feel {w}",
        "have been {w} a lot",
        "had a {w}",
        "fell down",
        "was in the hospital",
        "got a new {w}",
    ],
    "es": [
        "fui a urgencias",
        "me internaron el {w}",
        "me cambiaron la dosis de {w}",
        "me recetaron {w}",
        "se me olvidaron {n} pastillas",
        "me salté {n}",
        "tengo {w}",
        "necesito más {w}",
        "me siento {w}",
        "me caí",
        "estuve en el hospital",
        "me quitaron {w}",
    ],
}
WORDS = st.sampled_from(
    [
        "metformin",
        "lisinopril",
        "dizzy",
        "pain",
        "cough",
        "strips",
        "insulin",
        "swelling",
        "saturday",
        "rash",
        "tos",
        "mareos",
        "dolor",
        "tiras",
        "presión",
        "glucose",
        "sugar",
    ]
) | st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8).map(
    lambda w: w + "itis"  # a word the reader has never seen ("sinusitis", "xqzitis")
)
COUNTS = st.sampled_from(["2", "3", "two", "a couple", "dos", "tres", "2 or 3", "a few"])


@st.composite
def no_but_clinical(draw: st.DrawFn) -> tuple[str, str]:
    language = draw(st.sampled_from(["en", "es"]))
    clause = draw(st.sampled_from(CLINICAL[language]))
    clause = clause.format(w=draw(WORDS), n=draw(COUNTS))
    subject = draw(st.sampled_from(SUBJECTS[language]))
    prefix = draw(st.sampled_from(PREFIXES[language]))
    return language, " ".join(p for p in (prefix, subject, clause) if p)


def _context(language: str) -> Context:
    patient = PatientFacts(1, "Ana", language=language, enrollment="active", anchor_day=15)
    return Context(
        today=dt.date(2026, 12, 1),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=vocabulary_for(language),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(no_but_clinical(), st.sampled_from(TOPICS))
def test_no_but_before_a_clinical_clause_is_never_the_clear_value(
    said: tuple[str, str], topic: str
) -> None:
    language, text = said
    q = DEFAULT_CHECK_IN.question(topic)
    got = answering.understand(q, Text(text), _context(language), DEFAULT_CHECK_IN, {})
    # The clinical clause holds the fill: it answers this question, or a later one on its
    # topic (flagged there), or it travels as a note.
    carried = got.notes or "yes" in got.others.values()
    assert got.value != "no" or carried, f"{text!r} at {topic} was read as a plain no"


@settings(max_examples=200, deadline=None)
@given(no_but_clinical())
def test_no_but_anything_is_a_message_for_the_pharmacist(said: tuple[str, str]) -> None:
    language, text = said
    reading = read(text, Asked("text_or_no"), vocabulary_for(language))
    assert reading.said == "message", text


def _plain_words() -> list[tuple[str, str, str]]:
    out = []
    for language, vocab in sorted(all_vocabularies().items()):
        for word in sorted(vocab.yes - vocab.no):
            out.append((language, word, "yes"))
        for word in sorted(vocab.no - vocab.yes):
            out.append((language, word, "no"))
    return out


PLAIN = _plain_words()


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PLAIN), st.sampled_from(["", "!", ".", "!!", " ", "?"]), st.booleans())
def test_a_plain_yes_or_no_of_any_vocabulary_reads_as_itself(
    plain: tuple[str, str, str], end: str, shout: bool
) -> None:
    language, word, meaning = plain
    text = (word.upper() if shout else word) + end
    if end == "?" and len(word.split()) > 1:
        text = word  # "no thanks?" asks something back; the property is about answers
    reading = read(text, Asked("yes_no"), vocabulary_for(language))
    assert (reading.said, reading.sure) == (meaning, True), (language, text, reading)


def test_every_plain_yes_and_no_reads_as_itself() -> None:
    wrong = [
        (language, word)
        for language, word, meaning in PLAIN
        if read(word, Asked("yes_no"), vocabulary_for(language)).said != meaning
    ]
    assert wrong == []


KINDS = [Asked("yes_no", t) for t in (*TOPICS, None)] + [
    Asked("text_or_no"),
    Asked("day"),
    Asked("number"),
    Asked("yes_no", None, ("flu shot",)),
]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200), st.sampled_from(sorted(all_vocabularies())), st.sampled_from(KINDS))
def test_no_text_makes_the_reader_raise(text: str, language: str, asked: Asked) -> None:
    read(text, asked, vocabulary_for(language))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["en", "es", "zh-Hans", "ar"]))
def test_no_text_makes_a_check_in_step_raise(text: str, language: str) -> None:
    ctx = _context(language)
    opens = Start("check_in", {"patient_id": 1, "anchor_date": dt.date(2026, 12, 15)})
    opened = engine.step(State(), opens, ctx)
    engine.step(opened.state, Text(text), ctx)
