"""The reader and its use in the dialogs: the issue's own examples, the safety rule, questions
back, typos and opt-out words, a pharmacy's topic words, speech, and the time it takes."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bot.languages.catalogs import vocabulary_for
from dialogs import engine, prompts
from dialogs.assessment_file import DEFAULT_FILE, load
from dialogs.context import Context, CostEstimate, PatientFacts
from dialogs.parse import asks_for_pharmacist
from dialogs.reading import Asked, read
from dialogs.state import State
from dialogs.turn import OpenReviewItem, RecordConsent, SaveCheckIn, Start, Text, Turn

PICKUP = dt.date(2026, 12, 15)
STEPS = ("hospital", "changes", "missed_doses", "anything_else", "still_coming")


def en(text: str, topic: str | None = "hospital", kind: str = "yes_no"):  # type: ignore[no-untyped-def]
    return read(text, Asked(kind, topic), vocabulary_for("en"))


def context(language: str = "en", **patient: object) -> Context:
    facts = {"enrollment": "active", "anchor_day": 15, "next_anchor_date": PICKUP, **patient}
    return Context(
        today=dt.date(2026, 12, 1),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(PatientFacts(1, "Ana", language=language, **facts),),  # type: ignore[arg-type]
        vocab=vocabulary_for(language),
        hours="Mon-Fri 9am-7pm",
    )


def at_step(step: str, ctx: Context) -> State:
    state = engine.step(State(), Start("check_in", {"patient_id": 1, "anchor_date": PICKUP}), ctx)
    for _ in range(STEPS.index(step)):
        state = engine.step(state.state, Text("no"), ctx)
    return state.state


def send(step: str, text: str, language: str = "en") -> Turn:
    ctx = context(language)
    return engine.step(at_step(step, ctx), Text(text), ctx)


def saved(turn: Turn) -> SaveCheckIn:
    return [e for e in turn.effects if isinstance(e, SaveCheckIn)][-1]


# ------------------------------------------------------------------ the issue's table


@pytest.mark.parametrize(
    ("step", "text", "recorded"),
    [
        ("hospital", "No overnight stay but I did go to the ER Saturday", "yes"),
        ("changes", "No new meds but the dr changed my metformin dose", "yes"),
        ("missed_doses", "Not really, maybe one", "yes"),
        ("anything_else", "No but I need more test strips", "No but I need more test strips"),
    ],
)
def test_the_misreadings_of_the_issue_are_recorded_flagged_with_the_words(
    step: str, text: str, recorded: str
) -> None:
    turn = send(step, text)
    assert saved(turn).answers[step] == recorded
    assert saved(turn).words[step] == text


@pytest.mark.parametrize(
    ("step", "text", "language", "recorded"),
    [
        ("changes", "my doctor wants me off the water pill", "en", "yes"),
        ("changes", "they switched my blood pressure pill", "en", "yes"),
        ("hospital", "Spent 2 nights at Mercy", "en", "yes"),
        ("missed_doses", "Nunca se me olvidan", "es", "no"),  # "never": a no, not a missed dose
        ("changes", "I'm pregnant", "en", "yes"),  # a new condition that changes what is safe
        ("missed_doses", "I've been taking half of my metformin to make it last", "en", "yes"),
        ("changes", "not that I'm aware of", "en", "no"),  # as "not that I know of"
        ("hospital", "Nope. Been fine", "en", "no"),  # "been fine": how she is, not a yes
        ("changes", "Estoy embarazada", "es", "yes"),
        ("missed_doses", "No me alcanzó para comprarlas", "es", "yes"),  # not a no: cost
        ("hospital", "아니요, 입원 안 했어요", "ko", "no"),  # the negation after the word
        ("changes", "الطبيب غير دوائي", "ar", "yes"),  # "غير": changed, not "except"
        ("changes", "لا، ما في شي جديد", "ar", "no"),
        # The negation after what it negates, said whole ("hospital, didn't go").
        ("hospital", "В больнице не был", "ru", "no"),
        ("hospital", "医院没去", "zh-Hans", "no"),
        ("hospital", "Bệnh viện thì không", "vi", "no"),
        ("hospital", "Hindi ako na-ospital", "tl", "no"),  # "hindi": the verb's, not an answer
        ("hospital", "Mwen pa t al lopital", "ht", "no"),
        ("hospital", "В больнице не был, но вызывал скорую", "ru", "yes"),
    ],
)
def test_the_second_set_of_replies(step: str, text: str, language: str, recorded: str) -> None:
    assert saved(send(step, text, language)).answers[step] == recorded


def test_a_no_with_other_clinical_news_is_recorded_with_a_note_that_holds_the_fill() -> None:
    ctx = context()
    state = engine.step(at_step("hospital", ctx), Text("No, but I fell last week"), ctx)
    assert prompts.NOTE_PASSED in [r.msgid for r in state.replies]
    for _ in range(4):
        state = engine.step(state.state, Text("no" if _ < 3 else "yes"), ctx)
    final = saved(state)
    assert final.status == "flagged" and final.answers["notes"] == ["i fell last week"]
    review = next(e for e in state.effects if isinstance(e, OpenReviewItem))
    assert "wrote something more for the pharmacist" in review.summary


def test_several_answers_in_one_text_fill_the_open_questions_and_say_so() -> None:
    turn = send("hospital", "no hospital, no new meds, but I missed 2 doses")
    answers = saved(turn).answers
    assert answers == {"hospital": "no", "changes": "no", "missed_doses": "yes"}
    msgids = [r.msgid for r in turn.replies]
    assert msgids == [
        prompts.NOTED_CHANGES_NO,
        prompts.NOTED_MISSED_DOSES_YES,
        prompts.Q_ANYTHING_ELSE,
    ]
    assert saved(turn).words["missed_doses"] == "no hospital, no new meds, but I missed 2 doses"


def test_someone_elses_hospital_stay_does_not_answer_for_the_patient() -> None:
    assert en("my husband was in the hospital, not me").said == "no"
    assert en("my husband was in the hospital, not me").notes
    turn = send("hospital", "My husband was in the hospital")
    assert (
        not saved(turn).answers if any(isinstance(e, SaveCheckIn) for e in turn.effects) else True
    )
    assert turn.replies[0].msgid == prompts.CLARIFY_HOSPITAL


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "not me my husband was in the hospital"),
        ("en", "my husband was in the hospital not me"),
        ("tl", "hindi ako asawa ko ang na-ospital"),
    ],
)
def test_not_me_beside_someone_else_in_one_clause_is_a_no_with_their_news(
    language: str, text: str
) -> None:
    reading = read(text, Asked("yes_no", "hospital"), vocabulary_for(language))
    assert reading.said == "no"
    assert reading.notes  # the husband's stay travels with it: the fill is held


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "my daughter will pick up"),
        ("en", "my husband will pick them up"),
        ("es", "mi hija las va a recoger"),
        ("zh-Hans", "我女儿来取"),
        ("ru", "дочь заберёт"),
    ],
)
def test_someone_coming_for_the_medicines_keeps_the_pickup_date(language: str, text: str) -> None:
    vocab = vocabulary_for(language)
    assert read(text, Asked("date_confirm"), vocab).said == "yes"
    assert read(text, Asked("date_confirm"), vocab).sure
    assert read(text, Asked("day"), vocab).said is None  # no pickup day chosen at enrollment


@pytest.mark.parametrize(
    ("text", "note"),
    [("yes after 5 pm", "5 pm"), ("yes around 3pm", "3pm"), ("yes, after 5:30 pm", "5 30 pm")],
)
def test_a_time_of_day_is_news_not_a_new_date(text: str, note: str) -> None:
    """A time once moved the pickup: "after 5 pm" was the 5th. It is news, not a day."""
    reading = en(text, None, "date_confirm")
    assert (reading.said, reading.sure) == ("yes", True)
    assert any(note in kept for kept in reading.notes)


def test_no_one_is_no_day_one() -> None:
    assert en("no one will pick up", None, "date_confirm").said == "no"


@pytest.mark.parametrize(
    "text",
    [
        "my daughter might pick up",
        "maybe my son will pick up",
        "my son will pick up if he is off",
        "my daughter can't pick up",
        "no, my daughter will pick up",  # the patient's no: a call
    ],
)
def test_a_pickup_by_someone_else_that_hangs_on_something_is_no_yes(text: str) -> None:
    reading = en(text, None, "date_confirm")
    assert not (reading.said == "yes" and reading.sure)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I don't think so"),
        ("en", "maybe"),
        ("es", "no sé"),
        ("vi", "không biết"),
        ("ru", "не знаю"),
        ("es", "creo que no"),
        ("en", "not really"),  # a hedge, not a no
    ],
)
def test_uncertainty_is_never_a_clear_no_and_gets_one_specific_question(
    language: str, text: str
) -> None:
    turn = send("missed_doses", text, language)
    assert "missed_doses" not in (
        saved(turn).answers if any(isinstance(e, SaveCheckIn) for e in turn.effects) else {}
    )
    assert turn.replies[0].msgid == prompts.CLARIFY_MISSED_DOSES
    assert prompts.DIDNT_UNDERSTAND not in [r.msgid for r in turn.replies]


def test_two_unclear_answers_raise_a_call_back_that_keeps_the_patients_words() -> None:
    ctx = context()
    first = engine.step(at_step("hospital", ctx), Text("idk"), ctx)
    second = engine.step(first.state, Text("hmm maybe"), ctx)
    item = next(e for e in second.effects if isinstance(e, OpenReviewItem))
    assert item.kind == "call_back" and item.details["wrote"] == "idk / hmm maybe"
    # The words travel in the details (shown on the item page); the summary is a staff sentence
    # with no patient text (the API documents it so).
    assert "idk" not in item.summary and "Their words are on the item" in item.summary


# ------------------------------------------------------------------ forms of yes, no and counts


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yse", "yes"),
        ("noo", "no"),
        ("ya", "yes"),
        ("nop", "no"),
        ("👍", "yes"),
        ("👎", "no"),
        ("👍🏽", "yes"),
        ("I did", "yes"),
        ("I didn't", "no"),
        ("i did not", "no"),
        ("not that I know of", "no"),
        ("Yesss!!", "yes"),
        ("NOPE", "no"),
    ],
)
def test_typos_slang_emoji_and_i_did(text: str, said: str) -> None:
    assert en(text).said == said and en(text).sure


def test_spanish_typos_and_emphasis() -> None:
    es = vocabulary_for("es")
    assert read("siii", Asked("yes_no", "hospital"), es).said == "yes"
    assert read("nooo", Asked("yes_no", "hospital"), es).said == "no"


@pytest.mark.parametrize(
    ("language", "text", "count"),
    [
        ("en", "missed 2 or 3", (2, 3)),
        ("en", "forgot a couple times", (2, 2)),
        ("en", "only once", (1, 1)),
        ("en", "two or three", (2, 3)),
        ("zh-Hans", "忘了两次", (2, 2)),
        ("vi", "tôi quên 2 lần", (2, 2)),
        ("ru", "пропустил пару раз", (2, 2)),
    ],
)
def test_counts_of_missed_doses(language: str, text: str, count: tuple[int, int]) -> None:
    reading = read(text, Asked("yes_no", "missed_doses"), vocabulary_for(language))
    assert (reading.said, reading.count) == ("yes", count)


@pytest.mark.parametrize("text", ["0", "none", "haven't missed any", "zero", "Nope took them all"])
def test_nought_is_a_no(text: str) -> None:
    assert en(text, "missed_doses").said == "no"


def test_a_typo_never_opts_out_or_in() -> None:
    ctx = context()
    state = at_step("hospital", ctx)
    for typo in ("stpo", "stoop", "unsubscibe"):
        turn = engine.step(state, Text(typo), ctx)
        assert not any(isinstance(e, RecordConsent) for e in turn.effects), typo
    stopped = engine.step(state, Text("STOP"), ctx)
    assert any(isinstance(e, RecordConsent) and e.kind == "opt_out" for e in stopped.effects)


# ------------------------------------------------------------------ "anything else?"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "no"),
        ("en", "that's all"),
        ("en", "I'm good"),
        ("es", "todo bien, gracias"),
        ("en", "nope thanks"),
        ("es", "eso es todo"),
    ],
)
def test_nothing_else_is_a_no(language: str, text: str) -> None:
    assert saved(send("anything_else", text, language)).answers["anything_else"] == "no"


def test_anything_with_content_is_a_message_even_after_no() -> None:
    turn = send("anything_else", "No but I need more test strips")
    assert saved(turn).answers["anything_else"] == "No but I need more test strips"


# ------------------------------------------------------------------ questions back


def test_who_is_this_gets_the_pharmacy_and_the_question_again() -> None:
    turn = send("hospital", "who is this?")
    assert [r.msgid for r in turn.replies] == [prompts.WHO_IS_THIS, prompts.Q_HOSPITAL]
    assert turn.replies[0].params["pharmacy_phone"] == "(212) 555-0199"
    assert turn.state.retries == 0  # a question back is no unclear answer


def test_what_do_you_mean_gets_the_question_in_other_words() -> None:
    turn = send("changes", "what do you mean?")
    assert [r.msgid for r in turn.replies] == [prompts.MEANING_CHANGES, prompts.Q_CHANGES]


def test_hours_are_the_pharmacys_setting() -> None:
    turn = send("still_coming", "what time do you open?")
    assert turn.replies[0].msgid == prompts.PHARMACY_HOURS
    assert turn.replies[0].params["hours"] == "Mon-Fri 9am-7pm"


def test_cost_at_the_invitation_is_the_patients_own_estimate() -> None:
    asked: list[int] = []

    class Lazy(dict[int, CostEstimate]):
        def get(self, day: int, default: object = None) -> CostEstimate:  # type: ignore[override]
            asked.append(day)
            return CostEstimate("$18.40", "$45.00")

    ctx = context(enrollment=None, anchor_day=None, next_anchor_date=None, proposed_anchor_day=12)
    patient = ctx.patients[0]
    ctx = Context(
        **{
            **ctx.__dict__,
            "patients": (  # type: ignore[arg-type]
                PatientFacts(**{**patient.__dict__, "cost_estimates": Lazy()}),
            ),
        }
    )
    invited = engine.step(State(), Start("enrollment", {"patient_id": 1}), ctx)
    assert asked == []  # nothing is worked out for the invitation itself
    turn = engine.step(invited.state, Text("How much will it cost?"), ctx)
    assert asked == [12]
    assert turn.replies[0].msgid == prompts.COST_ESTIMATE
    assert turn.replies[0].params["prorated"] == "$18.40"
    assert turn.replies[-1].msgid == prompts.ENROLL_REASK


# ------------------------------------------------------------------ pharmacy words, speech, speed


def test_a_pharmacys_question_names_its_own_topic_words() -> None:
    text = DEFAULT_FILE.read_text("utf-8").replace(
        '[[question]]\nid = "anything_else"',
        '[[question]]\nid = "flu"\nkind = "yes_no"\ntext.en = "Had a flu shot this year?"\n'
        'flag_on = "no"\nflag_reason = "no flu shot"\ntopic_words = ["flu shot", "vaccine"]\n\n'
        '[[question]]\nid = "anything_else"',
    )
    q = load(text).question("flu")
    assert q.topic_words == ("flu shot", "vaccine")
    reading = read(
        "I got the vaccine at CVS", Asked("yes_no", None, q.topic_words), vocabulary_for("en")
    )
    assert reading.said == "yes"


def test_speech_results_read_like_texts() -> None:
    speech = "no overnight stay but i went to the emergency room saturday"
    ctx = context()
    turn = engine.step(at_step("hospital", ctx), Text(speech, speech=True, confidence=0.9), ctx)
    assert saved(turn).answers["hospital"] == "yes"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "just the dentist, had a tooth pulled"),
        ("en", "I've been going to physical therapy twice a week for my shoulder"),
        ("es", "fui al dentista nada más"),
        # "sĩ" is no "si" (yes), and "الأسنان" (teeth) no typo of "الاسعاف" (ambulance).
        ("vi", "tôi chỉ đi nha sĩ thôi"),
        ("ar", "رحت لطبيب الأسنان بس"),
    ],
)
def test_other_care_is_no_hospital_stay_and_always_news(language: str, text: str) -> None:
    reading = read(text, Asked("yes_no", "hospital"), vocabulary_for(language))
    assert (reading.said, reading.sure) == ("no", True)
    assert reading.notes  # the pharmacist sees it: never the clear value alone


def test_other_care_beside_a_hospital_visit_is_a_yes() -> None:
    assert en("I went to the dentist and then the ER").said == "yes"
    assert en("the dentist sent me to the hospital").said == "yes"
    assert en("eye doctor for my glasses", "changes").notes


def test_um_and_uh_are_speech_fillers_not_doubt() -> None:
    reading = en("um no i havent been to the hospital")
    assert (reading.said, reading.sure, reading.notes) == ("no", True, ())
    assert en("uh maybe one or two i'm not sure", "missed_doses").count == (1, 2)
    assert not en("hmm", "hospital").understood


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "going in for surgery next month"),
        ("en", "I have an appointment at the hospital next week"),
        ("es", "me van a operar el mes que viene"),
        ("ru", "в следующем месяце операция"),
        ("zh_Hant", "下個月要做手術"),
    ],
)
def test_a_hospital_stay_to_come_is_a_no_with_a_note(language: str, text: str) -> None:
    reading = read(text, Asked("yes_no", "hospital"), vocabulary_for(language))
    assert (reading.said, reading.sure) == ("no", True)
    assert reading.notes


def test_a_stay_to_come_beside_one_past_or_a_change_to_come() -> None:
    assert en("was in the ER last week, surgery next month").said == "yes"
    assert en("my husband has surgery next month").said is None
    # A change to come is a change: the pharmacist plans the fill around it.
    assert en("they want me to start a blood thinner next month", "changes").said == "yes"


def test_a_message_is_read_in_under_a_millisecond() -> None:
    vocab = vocabulary_for("en")
    texts = [
        "no",
        "No overnight stay but I did go to the ER Saturday",
        "no hospital, no new meds, but I missed 2 doses",
        "yse",
        "I don't think so",
    ]
    for t in texts:
        read(t, Asked("yes_no", "hospital"), vocab)  # compiled once
    start = time.perf_counter()
    for _ in range(200):
        for t in texts:
            read(t, Asked("yes_no", "hospital"), vocab)
    per_message = (time.perf_counter() - start) / (200 * len(texts))
    assert per_message < 0.001


# ------------------------------------------------------------------ the invitation and the day


def invite(language: str = "en") -> tuple[Context, State]:
    ctx = context(
        language, enrollment=None, anchor_day=None, next_anchor_date=None, proposed_anchor_day=10
    )
    return ctx, engine.step(State(), Start("enrollment", {"patient_id": 1}), ctx).state


def consents(turn: Turn) -> list[str]:
    return [e.kind for e in turn.effects if isinstance(e, RecordConsent)]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "what do I have to do"),  # "i have" is a yes word: not in a question
        ("en", "what would I have to do"),
        ("en", "yes but not right now"),
        ("es", "ya me las mandan a la casa"),  # "ya" is "already" here, not English "ya"
    ],
)
def test_no_consent_on_a_question_or_a_later(language: str, text: str) -> None:
    ctx, state = invite(language)
    turn = engine.step(state, Text(text), ctx)
    assert consents(turn) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "not right now"), ("en", "not at this time"), ("es", "ahorita no")],
)
def test_not_now_declines_an_offer_but_answers_no_question_of_fact(
    language: str, text: str
) -> None:
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == ["enrollment_declined"]
    reading = read(text, Asked("yes_no", "hospital"), vocabulary_for(language))
    assert reading.said is None or not reading.sure  # asked again, never the clear no


def day_chosen(text: str, language: str = "en") -> int | None:
    ctx, state = invite(language)
    state = engine.step(state, Text("yes"), ctx).state
    turn = engine.step(state, Text(text), ctx)
    days = [e.anchor_day for e in turn.effects if getattr(e, "anchor_day", None)]
    return days[0] if days else None


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [
        ("en", "after the 3rd when I get paid", None),
        ("en", "any day after the 3rd is fine", None),  # never the suggested day either
        ("en", "before the 5th", None),
        ("en", "not the 15th", None),
        ("en", "first friday of the month", None),
        ("en", "the first week of the month", None),
        ("es", "después del 3, cuando me pagan", None),
        ("es", "antes del 15", None),
        ("en", "whatever you suggest", 10),
        ("en", "the one you suggested is fine", 10),  # "the one" is no day 1
        ("es", "el día que ustedes digan", 10),
        ("en", "the 3rd, I get paid then", 3),
        ("en", "first of the month", 1),
        ("en", "ok that works", 10),
    ],
)
def test_a_day_named_around_another_is_no_day(language: str, text: str, day: int | None) -> None:
    assert day_chosen(text, language) == day


# ------------------------------------------------------------------ a stay long before the pickup


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I was in the hospital 2 years ago"),
        ("en", "had surgery years ago"),
        ("en", "had surgery as a child"),
        ("es", "estuve en el hospital hace dos años"),
        ("ru", "лежал в больнице два года назад"),
        ("zh_Hans", "几年前住过院"),
    ],
)
def test_a_stay_long_before_the_pickup_is_a_no_with_a_note(language: str, text: str) -> None:
    reading = read(text, Asked("yes_no", "hospital"), vocabulary_for(language))
    assert (reading.said, reading.sure) == ("no", True)
    assert reading.notes


def test_a_past_year_is_long_ago_only_two_years_back_by_the_dialogs_clock() -> None:
    vocab = vocabulary_for("en")

    def said(text: str, year: int | None = 2026) -> str | None:
        return read(text, Asked("yes_no", "hospital", this_year=year), vocab).said

    assert said("had surgery back in 2019") == "no"
    assert said("in the hospital in 2024") == "no"
    assert said("in the hospital in 2025") == "yes"  # may be December, inside a 90-day period
    assert said("in the hospital in 2026") == "yes"
    assert said("had surgery back in 2019", None) == "yes"  # no clock, no rule


@pytest.mark.parametrize(
    "text",
    [
        "I was in the hospital last month",
        "had surgery last year",
        "had surgery back in march",
        "in the ER 2 years ago and again last week",
        "was in the hospital years ago, and again yesterday",
        "years ago I had surgery and I was back in the hospital this week",
    ],
)
def test_a_time_that_may_fall_inside_the_period_stays_a_stay(text: str) -> None:
    assert en(text).said == "yes"


def test_a_stay_long_ago_goes_to_the_pharmacist_through_the_dialog() -> None:
    turn = send("hospital", "had surgery back in 2019")
    answers = saved(turn).answers
    assert answers["hospital"] == "no"
    assert answers.get("notes") or prompts.NOTE_PASSED in [r.msgid for r in turn.replies]
    assert saved(send("hospital", "I was in the hospital last month")).answers["hospital"] == "yes"


@pytest.mark.parametrize(
    ("language", "text", "said"),
    [
        ("ru", "да, приду", "yes"),
        ("vi", "dạ, tôi sẽ đến", "yes"),
        ("tl", "opo pupunta ako", "yes"),
        ("ht", "wi m ap vini", "yes"),
        ("ru", "не приду", "no"),
        ("vi", "không, tôi sẽ không đến", "no"),
    ],
)
def test_i_will_come_confirms_the_pickup_in_other_languages(
    language: str, text: str, said: str
) -> None:
    reading = read(text, Asked("date_confirm"), vocabulary_for(language))
    assert (reading.said, reading.sure, reading.notes) == (said, True, ())


@pytest.mark.parametrize(
    ("kind", "topic", "text", "said"),
    [
        ("yes_no", "changes", "yeah no nothing's changed", "no"),
        ("yes_no", "missed_doses", "yeah no i never miss", "no"),
        ("yes_no", "changes", "yeah no the dr changed my dose", "yes"),  # the rest decides
        ("yes_no", "hospital", "no yeah i was in the er", "yes"),
        ("yes_no", None, "yeah no i'm not interested", "no"),
        ("date_confirm", None, "no yeah we'll be there", "yes"),
        ("date_confirm", None, "yeah no problem", "yes"),
    ],
)
def test_yeah_no_is_a_discourse_marker_and_the_rest_answers(
    kind: str, topic: str | None, text: str, said: str
) -> None:
    reading = en(text, topic, kind)
    assert (reading.said, reading.sure) == (said, True)


@pytest.mark.parametrize("text", ["yeah no", "no yeah", "yeah, no", "yeah nah"])
def test_a_bare_yeah_no_is_asked_again(text: str) -> None:
    assert not en(text, "hospital").understood


@pytest.mark.parametrize("text", ["🙏", "🙏🏼", "no 🙏", "nope thank you 🙏🙏"])
def test_praying_hands_are_thanks(text: str) -> None:
    reading = en(text, None, "text_or_no")
    assert reading.said == "no"
    assert not en("🙏", "hospital").understood  # thanks answer no question of fact


@pytest.mark.parametrize(
    ("kind", "topic", "text", "said"),
    [
        ("yes_no", "changes", "got a flu shot, nothing else", "no"),  # with the flu shot as a note
        ("yes_no", None, "that would be nice", "yes"),
        ("text_or_no", None, "nope. merry christmas to all of you at the pharmacy", "no"),
        ("yes_no", "changes", "nothing new. hope you have a wonderful thanksgiving", "no"),
    ],
)
def test_third_round_words(kind: str, topic: str | None, text: str, said: str) -> None:
    assert en(text, topic, kind).said == said


@pytest.mark.parametrize(
    ("kind", "topic", "text", "said"),
    [
        # Answers that point back at the questions: only the one asked.
        ("yes_no", "changes", "same as last month", "no"),
        ("yes_no", "hospital", "same as last month", None),  # no stay implied by a month
        ("yes_no", "missed_doses", "took every single one", "no"),
        ("yes_no", "missed_doses", "missed every single one", "yes"),
        # Labs and scans are other care; a procedure, day surgery or walk-in clinic is flagged.
        ("yes_no", "hospital", "just bloodwork", "no"),
        ("yes_no", "hospital", "had an outpatient procedure on tuesday", "yes"),
        ("yes_no", "hospital", "went to the walk in clinic for my cough", "yes"),
        ("yes_no", "hospital", "got a scan in the ER", "yes"),
        # Slang for a change.
        ("yes_no", "changes", "off my bp meds now", "yes"),
        ("yes_no", "changes", "on a z-pack", "yes"),
        ("yes_no", "changes", "my nurse said to stop the aspirin", "yes"),
        # Apologies and reported reassurance carry no answer of their own.
        ("yes_no", "hospital", "sorry for the late reply, no hospital", "no"),
        ("yes_no", "hospital", "the doctor said everything looks good", None),
        ("text_or_no", None, "the doctor said everything looks good", "message"),
        ("text_or_no", None, "sorry?", "message"),
    ],
)
def test_fourth_round_words(kind: str, topic: str | None, text: str, said: str | None) -> None:
    assert en(text, topic, kind).said == said


def es(text: str, topic: str | None = "hospital", kind: str = "yes_no"):  # type: ignore[no-untyped-def]
    return read(text, Asked(kind, topic), vocabulary_for("es"))


@pytest.mark.parametrize(
    ("kind", "topic", "text", "said"),
    [
        # "ahorita no" is "not right now": unsure to a question of fact, a no to an offer.
        ("yes_no", "hospital", "ahorita no", None),
        ("yes_no", "hospital", "orita no", None),
        ("yes_no", None, "orita no", "no"),
        # ... but "ahorita" ("right now") before a longer phrase is only a word of time:
        # "no se me ha olvidado" and "no sé" are read whole.
        ("yes_no", "missed_doses", "ahorita no se me ha olvidado ninguna", "no"),
        ("yes_no", "missed_doses", "orita no se me olvida ninguna", "no"),
        ("day", None, "orita no se, le aviso", None),
        ("yes_no", "hospital", "ahorita no se", None),
    ],
)
def test_ahorita_is_a_word_of_time_before_a_longer_phrase(
    kind: str, topic: str | None, text: str, said: str | None
) -> None:
    assert es(text, topic, kind).said == said


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("de que farmacia me habla", False),  # "which pharmacy is this?": a question back
        ("¿de qué farmacia?", False),
        ("farmacia", True),
        ("quiero hablar con el farmacéutico", True),
        ("llámenme por favor", True),
    ],
)
def test_asking_which_pharmacy_writes_is_no_call_back(text: str, asks: bool) -> None:
    assert asks_for_pharmacist(text, vocabulary_for("es")) is asks


def read_in(language: str, text: str, topic: str | None = "hospital", kind: str = "yes_no"):  # type: ignore[no-untyped-def]
    return read(text, Asked(kind, topic, this_year=2026), vocabulary_for(language))


# Fifth round (replies written before the reader ran on them). said None: asked again.
FIFTH_ROUND = [
    ("en", "yes_no", "hospital", "not that i can remember", "no", False),
    ("en", "yes_no", "hospital", "i dont believe so", None, False),  # a hedge
    ("en", "yes_no", "changes", "I don't believe so", None, False),
    ("en", "yes_no", "missed_doses", "sometimes i forget the afternoon one", "yes", False),
    ("en", "yes_no", "missed_doses", "i forget to take my night pills", "yes", False),
    ("en", "yes_no", "hospital", "had my knee replaced in 2018", "no", True),  # long ago
    ("en", "yes_no", "hospital", "had my hip replaced last week", "yes", False),
    # A specialist seen is other care (a no to the hospital question, with a note); a new
    # one is a change all the same.
    ("en", "yes_no", "hospital", "saw my cardiologist last week", "no", True),
    ("en", "yes_no", "hospital", "my cardiologist admitted me", "yes", False),
    ("en", "yes_no", "changes", "new dr but same meds", "yes", False),
    ("en", "yes_no", "hospital", "not that i can think of", "no", False),
    ("en", "yes_no", "missed_doses", "still taking them all every day", "no", False),
    ("en", "yes_no", "hospital", "no thank god", "no", False),
    ("es", "yes_no", "missed_doses", "no se me han olvidado", "no", False),
    ("es", "yes_no", "missed_doses", "no se me ha pasado ninguna", "no", False),
    ("es", "text_or_no", None, "no nada más gracias a dios", "no", False),
    ("tl", "yes_no", "changes", "wala pong pagbabago", "no", False),
    ("ht", "yes_no", "changes", "non pa gen anyen nouvo", "no", False),
    ("ru", "yes_no", "changes", "нет изменений", "no", False),
    ("ru", "yes_no", "changes", "никаких изменений", "no", False),
    ("ru", "yes_no", "changes", "изменений нет", "no", False),
    ("ru", "yes_no", "changes", "да, есть изменения", "yes", False),
    ("en", "date_confirm", None, "i'll be there around noon", "yes", True),
    ("es", "yes_no", "hospital", "no fui ni al hospital ni a la sala de emergencia", "no", False),
    ("es", "yes_no", "hospital", "nó gracias a dios", "no", False),
    ("es", "yes_no", "hospital", "fui a la clinica por una infeccion", "yes", False),
    ("es", "yes_no", "changes", "el doctor me subio la metformina", "yes", False),
    ("es", "yes_no", "changes", "sigo tomando lo mismo", "no", False),
    ("es", "yes_no", "missed_doses", "no se me olvido ninguna", "no", False),
    ("es", "yes_no", "missed_doses", "nunca se me olvida tomarlas", "no", False),
    ("es", "text_or_no", None, "no nada mas, gracias mija", "no", False),
    ("zh-Hans", "yes_no", "missed_doses", "没忘过", "no", False),
    ("tl", "yes_no", "changes", "wala pong bagong gamot", "no", False),
    ("ht", "yes_no", "changes", "pa gen chanjman", "no", False),
    ("ru", "date_confirm", None, "да, приду как обычно", "yes", False),
    ("ar", "date_confirm", None, "نعم سآتي", "yes", False),
]


@pytest.mark.parametrize(("language", "kind", "topic", "text", "said", "noted"), FIFTH_ROUND)
def test_fifth_round_words(
    language: str, kind: str, topic: str | None, text: str, said: str | None, noted: bool
) -> None:
    reading = read_in(language, text, topic, kind)
    if said is None:
        assert not reading.understood
    else:
        assert (reading.said, reading.sure) == (said, True)
        assert bool(reading.notes) is noted


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-Hans", "我老伴住院了，我没有"), ("en", "my husband was in the hospital, not me")],
)
def test_a_spouse_stay_with_not_me_is_the_patients_no_with_a_note(language: str, text: str) -> None:
    reading = read_in(language, text)
    assert (reading.said, reading.sure) == ("no", True)
    assert reading.notes


@pytest.mark.parametrize(
    "text", ["yes my heart doctor put me in for 2 nights", "yes the eye doctor kept me overnite"]
)
def test_other_care_beside_a_plain_yes_is_no_no(text: str) -> None:
    # "heart doctor" alone is other care (a no with a note); beside a yes it does not turn it.
    assert read_in("en", text).said == "yes"
    assert read_in("en", "just my heart doctor").said == "no"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "no se me olvidaron 2"),
        ("es", "no se me olvido una"),
        ("en", "never missed 2"),
    ],
)
def test_a_count_beside_a_no_to_missed_doses_is_asked_again(language: str, text: str) -> None:
    reading = read_in(language, text, "missed_doses")
    assert not reading.understood
    assert read_in("es", "no se me olvido ninguna", "missed_doses").understood


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("missed_doses", "i dont think i missed any"),
        ("missed_doses", "i dont remember missing any"),
        ("hospital", "i dont think i went to the er"),
        ("changes", "i don't believe they changed anything"),
    ],
)
def test_a_hedge_with_a_negation_in_it_is_asked_again_never_a_yes(topic: str, text: str) -> None:
    # "I don't think" negates what follows as "not" does, and stays a hedge: no yes, no sure no.
    reading = en(text, topic)
    assert reading.said != "yes"
    assert not reading.understood


@pytest.mark.parametrize(
    ("language", "text", "count"),
    [
        ("en", "took them all except tuesday", None),
        ("en", "no missed doses except sunday", None),
        ("en", "none except when i was sick", None),
        ("en", "nope, other than the weekend i was away", None),
        ("en", "took them all except for the night one on friday", (1, 1)),
        ("es", "ninguna excepto el domingo", None),
    ],
)
def test_an_exception_to_a_no_missed_doses_is_a_missed_dose(
    language: str, text: str, count: tuple[int, int] | None
) -> None:
    reading = read_in(language, text, "missed_doses")
    assert (reading.said, reading.sure, reading.count) == ("yes", True, count)


@pytest.mark.parametrize(
    ("topic", "text", "said"),
    [
        # A change or a hospital stay is an event: what is excepted is news, not the topic.
        ("changes", "Nothing new except I have been feeling dizzy", "no"),
        ("hospital", "no hospital except a fever", "no"),
        ("missed_doses", "no except my husband missed his", "no"),
    ],
)
def test_an_exception_elsewhere_stays_a_note(topic: str, text: str, said: str) -> None:
    reading = en(text, topic)
    assert (reading.said, reading.sure) == (said, True)
    assert reading.notes


# ------------------------------------------------------------------ sixth round: the invitation


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "yes as long as my insurance covers it"),
        ("en", "sure, provided it's free"),
        ("es", "sí, siempre y cuando no me cueste más"),
        ("es", "sí, con tal de que sea gratis"),
    ],
)
def test_a_yes_on_a_condition_is_no_consent(language: str, text: str) -> None:
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == []


def test_spanish_ya_is_already_not_english_ya() -> None:
    # English's yes words count in every language, except a word the language's own list
    # reads as carrying no answer: "ya tengo eso" is "I already have that".
    assert "ya" in vocabulary_for("en").yes
    assert "ya" not in vocabulary_for("es").yes
    ctx, state = invite("es")
    assert consents(engine.step(state, Text("ya tengo eso"), ctx)) == []
    assert consents(engine.step(state, Text("ya"), ctx)) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "wrong number, no Margaret here"), ("es", "número equivocado, aquí no vive")],
)
def test_a_wrong_number_is_neither_consent_nor_decline(language: str, text: str) -> None:
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == []


@pytest.mark.parametrize(
    ("language", "text", "back"),
    [
        ("en", "Does my insurance cover this?", "cost"),
        ("es", "¿Me cubre el seguro?", "cost"),
        ("vi", "có mất tiền không?", "cost"),
        ("en", "how do I know this isn't a scam", "who"),  # one word asks after a question word
        ("zh-Hans", "这是诈骗吗？", "who"),
        ("zh-Hant", "這是詐騙嗎？", "who"),
        ("ar", "من أنتم؟", "who"),
        ("en", "Maybe. What would I need to do", "what_mean"),
        ("es", "¿y eso qué es?", "what_mean"),
    ],
)
def test_sixth_round_questions_back_at_the_invitation(language: str, text: str, back: str) -> None:
    assert read(text, Asked("yes_no"), vocabulary_for(language)).question_back == back
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == []


def test_a_question_word_that_opens_a_clause_is_not_enough_alone() -> None:
    # Spanish "como" is "how" and "about": "como 3 veces" is a count, not "what do you mean?".
    reading = read_in("es", "sí, como 3 veces", "missed_doses")
    assert reading.question_back is None
    assert reading.count == (3, 3)


def test_someone_else_coming_for_the_medicines_leaves_the_yes_the_patients() -> None:
    ctx, state = invite()
    turn = engine.step(state, Text("yes please my daughter will pick them up"), ctx)
    assert consents(turn) == ["enrollment_accepted"]
    # Someone else's news is still theirs: "yes my daughter was in the hospital" is no yes.
    assert read_in("en", "yes my daughter was in the hospital").said != "yes"


def test_a_question_back_naming_a_topic_is_a_message_for_the_pharmacist() -> None:
    reading = read_in("en", "will my insurance cover the new one?", None, "text_or_no")
    assert reading.said == "message"


# ------------------------------------------------------------------ sixth round: the pickup day


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [
        ("en", "doesn't matter", 10),
        ("en", "it doesn't matter to me", 10),
        ("es", "no importa", 10),
        ("es", "me da igual", 10),
        ("ru", "всё равно", 10),
        ("es", "el que usted dijo", 10),
        ("en", "doesn't matter, any day after the 5th", None),  # a day around another wins
        ("vi", "sau ngày 5", None),  # "sau" is "after" before "ngày", "six" after it
        ("zh-Hans", "星期五", None),  # Friday, not the 5th
        ("zh-Hans", "5号以后", None),
        ("zh-Hant", "週五", None),
        ("ru", "после 5 числа", None),
        ("ko", "5일 이후", None),
        ("ar", "بعد يوم 5", None),
        ("tl", "pagkatapos ng 5", None),
        ("ht", "apre 5", None),
    ],
)
def test_sixth_round_pickup_days(language: str, text: str, day: int | None) -> None:
    assert day_chosen(text, language) == day


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [("vi", "ngày 15", 15), ("zh-Hans", "15号", 15), ("ko", "15일", 15), ("ar", "يوم 15", 15)],
)
def test_a_day_alone_is_still_read_in_every_language(language: str, text: str, day: int) -> None:
    assert day_chosen(text, language) == day


def test_why_a_pickup_day_is_a_question_back() -> None:
    reading = read("why do I need a pickup day", Asked("day"), vocabulary_for("en"))
    assert reading.question_back == "what_mean"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "yes after I talk to my daughter"),
        ("en", "yes, but let me check with my son first"),
        ("en", "sounds good but I need to ask my doctor"),
        ("en", "yes after the holidays"),
        ("en", "not right now but ask me again later"),  # no firm no either
        ("en", "no not yet"),
        ("es", "si despues le aviso"),  # "después" is a connector: it stays in its clause
        ("es", "sí, pero primero tengo que hablar con mi hija"),
        ("es", "sí, el año que viene"),
        ("ko", "네 하지만 딸한테 물어볼게요"),
        ("tl", "oo pero tanungin ko muna anak ko"),
        ("ht", "wi si se gratis"),  # Haitian "si" is "if"
    ],
)
def test_an_answer_put_off_is_neither_consent_nor_decline(language: str, text: str) -> None:
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == []


@pytest.mark.parametrize(
    "text", ["i would love that", "let's try it", "i'll give it a try", "I'm interested"]
)
def test_sixth_round_yes_words(text: str) -> None:
    ctx, state = invite()
    assert consents(engine.step(state, Text(text), ctx)) == ["enrollment_accepted"]


def test_later_stays_news_at_the_check_in() -> None:
    # "later" puts off a consent; at the check-in it is content as before, never a clear no.
    assert read_in("en", "no, I'll call you later", None, "text_or_no").said == "message"


def test_a_clock_time_is_no_day_in_vietnamese() -> None:
    assert day_chosen("sau 5 giờ", "vi") is None


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "stop please"),
        ("en", "Please STOP!"),
        ("en", "STOP thank you"),
        ("es", "alto por favor"),
    ],
)
def test_an_opt_out_word_with_only_courtesy_around_it_opts_out(language: str, text: str) -> None:
    ctx, state = invite(language)
    assert consents(engine.step(state, Text(text), ctx)) == ["opt_out"]


@pytest.mark.parametrize(
    ("step", "text"), [("changes", "stop the metformin please"), ("changes", "end of the month")]
)
def test_an_opt_out_word_inside_other_words_is_no_opt_out(step: str, text: str) -> None:
    assert "opt_out" not in consents(send(step, text))
