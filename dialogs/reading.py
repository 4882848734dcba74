"""Reading a patient's answer: what it says to the question asked, to the other questions still
open, what else it says that a pharmacist must see, and whether it is a question back.

Pure and fast (it runs on every text and speech result): the words are data, in the
[reading] table of locales/<lang>/vocabulary.toml, compiled once per vocabulary into a
`Lexicon`. The method is NegEx and ConText's (docs/UNDERSTANDING.md): the message is cut into
clauses at punctuation and connectors ("but", "pero", "但是"), and each clause gets its topics
(hospital, changes, missed doses, a pharmacy's own words), their polarity (a negation's scope
ends with the clause), whose they are (the patient's, or "my husband's"), and how sure the
patient is ("I don't think so", "no sé" are not a no).

The safety rule lives in the dialogs that use a reading (dialogs/answers.py): the clear value
only when the message says that and nothing else that could matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Literal

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from dialogs.parse import Vocabulary, compiled_for, normalize

Said = Literal["yes", "no", "number", "day", "message"]
Back = Literal["who", "what_mean", "cost", "hours"]
BACKS: tuple[Back, ...] = ("who", "what_mean", "cost", "hours")
# Built-in topics: the default check-in's yes/no questions ask about these.
TOPICS = ("hospital", "changes", "missed_doses")

# ---------------------------------------------------------------- the words, compiled

# Categories of the [reading] table that are lists of phrases.
PHRASE_KEYS = (
    "negation",  # "not", "didn't", "never", "sin", "没", "không": negate what follows in a clause
    "connectors",  # "but", "pero", "但是", "nhưng": end a negation's scope, start a clause
    # "except", "other than", "excepto": a connector whose clause is an exception to a no
    # before it ("no changes except my vitamin d" names a change).
    "exceptions",
    "unsure",  # "maybe", "I don't think so", "no sé", "không biết": never a clear answer
    "others",  # "my husband", "mi hija": someone else's news
    "self",  # "I", "me", "yo", "tôi": the patient
    "not_me",  # "not me", "yo no": the patient says no, someone else said yes
    "function",  # words that carry no news: "the", "to", "since", "was", "de", "了"
    "discourse",  # "yeah no", "no yeah": neither yes nor no, the rest of the clause answers
    "polite",  # "thanks", "all good", "feeling fine": no news either
    "nothing_else",  # "that's all", "I'm good", "todo bien": no to "anything else?"
    "hypothetical",  # "if", "in case": not something that happened
    "future",  # "next month", "el mes que viene": a hospital stay to come is none since the pickup
    "past",  # "years ago", "as a child", "hace años": a hospital stay long before the pickup
    "ago",  # "ago", "hace", "назад": with a word for years ("2 years ago"), a stay long gone
    "years",  # "years", "años", "лет": see "ago"
    "recent",  # "last week", "ayer", "again": a clause that says so is no stay long gone
    "zero",  # "zero", "none", "ninguna": a count of nought
    "care",  # "dentist", "eye doctor", "physical therapy": other care, news but no hospital stay
    "coming",  # "will pick up", "las va a recoger", "来拿": the medicines will be collected
    "interrogative",  # "what", "how", "cómo" opening a clause: a question, even without "?"
    "not_now",  # "not right now", "ahorita no": a no to an offer, unsure to a question of fact
    # "later", "ask me again", "after I talk to my daughter", "más adelante": an answer put off
    # (read by read_yes_no: no consent and no decline on it; news elsewhere, as before)
    "deferral",
    "who",  # "who is this": questions back, answered and not recorded
    "what_mean",
    "cost",
    "hours",
)
# Words read only when a day of the month is asked, kept apart from the index above so they
# change nothing else (a weekday is news at the check-in; "después de" ends a clause there).
DAY_KEYS = (
    "relative",  # "after", "before", "monday": a day named around another is no day
    "suggested",  # "whatever you suggest", "el que ustedes digan": the day we suggested
    # "doesn't matter", "no importa", "всё равно": any day will do, so the suggested one; the
    # negation inside is neither a no nor a day refused ("not the 15th").
    "indifferent",
)

_EMOJI_YES = ("👍", "👌", "✅", "✔", "☑", "🙆", "🆗", "💯", "🤙", "👍🏻")
_EMOJI_NO = ("👎", "❌", "✖", "🙅", "🚫", "⛔", "❎")
_EMOJI_THANKS = ("🙏",)  # praying hands: thanks, no answer of its own
_EMOJI_SKIN = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")
_EMOJI = re.compile(
    "|".join(
        re.escape(e)
        for e in sorted({*_EMOJI_YES, *_EMOJI_NO, *_EMOJI_THANKS}, key=len, reverse=True)
    )
)
YES_TOKEN, NO_TOKEN, THANKS_TOKEN = "emojiyes", "emojino", "emojithanks"
_EMOJI_TOKENS = {
    **dict.fromkeys(_EMOJI_YES, YES_TOKEN),
    **dict.fromkeys(_EMOJI_NO, NO_TOKEN),
    **dict.fromkeys(_EMOJI_THANKS, THANKS_TOKEN),
}

# Clause breaks: sentence and list punctuation in every script (Arabic comma, CJK marks).
_BREAKS = re.compile(r"[.;!?\n,،؛؟。！？；，、…]+|\s[-–—]+\s|\s/\s")
_QUESTION_MARK = re.compile(r"[?¿؟？]")
_DIGITS = re.compile(r"\d+")
# English contractions come apart in `normalize` ("didn't" -> "didn t"): joined again here,
# in the vocabulary and in texts alike, so "didnt" and "didn't" are one word.
_CONTRACTION_NT = re.compile(r"\b(\w+n) t\b|\b(ma) (am)\b")
_CONTRACTION_I = re.compile(
    r"\b(i|you|we|they|that|it|there|what|who|he|she) (m|ve|ll|d|re)\b|\b([a-z]{2,}) (s)\b"
)
_REPEATS = re.compile(r"(.)\1+")
_ORDINAL = re.compile(r"x?\d+(?:x|st|nd|rd|th|º|ª|er|e)?")  # "2", "2x", "15th", "15º"


def words_of(text: str) -> list[str]:
    """Normalised words, contractions joined: "I didn't!" -> ["i", "didnt"]."""
    joined = _CONTRACTION_NT.sub(lambda m: f"{m[1]}t" if m[1] else "maam", normalize(text))
    return _CONTRACTION_I.sub(lambda m: f"{m[1]}{m[2]}" if m[1] else f"{m[3]}s", joined).split()


@dataclass(frozen=True)
class Lexicon:
    """One vocabulary's reading words, indexed: phrase -> its tags."""

    index: Mapping[str, frozenset[str]]
    longest: int
    counts: Mapping[str, tuple[int, int]]
    numbers: Mapping[str, int]
    fuzzy_choices: tuple[str, ...]  # single words worth a typo: yes/no, topics, negations
    endings: tuple[str, ...] = ()  # particles written onto a word ("응급실에" -> "응급실")
    day_words: Mapping[str, str] = field(default_factory=dict)  # phrase -> one of DAY_KEYS

    def tags(self, phrase: str) -> frozenset[str]:
        return self.index.get(phrase, frozenset())


def _phrases(values: Iterable[str]) -> set[str]:
    return {" ".join(words_of(v)) for v in values} - {""}


def compile_lexicon(vocab: Vocabulary) -> Lexicon:
    """Every phrase the reader knows, with its tags ("no", "negation", "topic:hospital", ...)."""
    index: dict[str, set[str]] = {}

    def add(phrases: Iterable[str], tag: str) -> None:
        for p in _phrases(phrases):
            index.setdefault(p, set()).add(tag)

    raw = vocab.reading
    add(vocab.yes, "yes")
    add(vocab.no, "no")
    add(vocab.filler, "function")
    index.setdefault(YES_TOKEN, set()).add("yes")
    index.setdefault(NO_TOKEN, set()).add("no")
    index.setdefault(THANKS_TOKEN, set()).add("polite")
    for key in PHRASE_KEYS:
        add(raw.get(key, ()), key)
    add(raw.get("exceptions", ()), "connectors")  # an exception word ends a clause too
    for topic, phrases in raw.get("topics", {}).items():
        add(phrases, f"topic:{topic}")
    # Other care ("just the dentist") is a no to the hospital question, never a typo of one of
    # its words ("الأسنان" is one letter from "الاسعاف"), and always news for the pharmacist.
    add(raw.get("care", ()), "topic_no:hospital")
    topic_words = {t: _phrases(p) for t, p in raw.get("topics", {}).items()}
    for topic, phrases in raw.get("topic_no", {}).items():
        # "no missed doses" names its topic (an answer to it wherever it is asked); "same as
        # always" only implies it (an answer only to the question asked).
        for p in _phrases(phrases):
            words = p.split()
            spans = {
                " ".join(words[i:j])
                for i in range(len(words))
                for j in range(i + 1, len(words) + 1)
            }
            named = bool(spans & topic_words.get(topic, set()))
            index.setdefault(p, set()).add(f"topic_{'said' if named else 'no'}:{topic}")
    counts: dict[str, tuple[int, int]] = {}
    for phrase, value in raw.get("counts", {}).items():
        for p in _phrases([phrase]):
            counts[p] = value
            index.setdefault(p, set()).add("count")
    numbers = {" ".join(words_of(k)): v for k, v in vocab.numbers.items()}
    for p in numbers:
        index.setdefault(p, set()).add("count")
    # "I don't think", "no sé", "can't remember": a hedge with a negation in it also negates
    # what follows ("i don't think i missed any" is no yes to missed doses; it stays unsure).
    negations = {p for p, tags in index.items() if "negation" in tags}
    for p, tags in index.items():
        if "unsure" in tags and any(w in negations for w in p.split()):
            tags.add("hedged_negation")
    frozen = {k: frozenset(v) for k, v in index.items()}
    worth = ("yes", "no")
    fuzzy = tuple(
        sorted(
            p
            for p, tags in frozen.items()
            if " " not in p
            and len(p) >= 3
            and p.isalpha()
            and (any(t in worth or t.startswith("topic:") for t in tags))
        )
    )
    return Lexicon(
        index=frozen,
        longest=max((len(p.split()) for p in frozen), default=1),
        counts=counts,
        numbers=numbers,
        fuzzy_choices=fuzzy,
        endings=tuple(sorted(_phrases(raw.get("endings", ())), key=len, reverse=True)),
        day_words={p: key for key in DAY_KEYS for p in _phrases(raw.get(key, ()))},
    )


_LEXICONS: dict[int, tuple[Vocabulary, Lexicon]] = {}


def lexicon(vocab: Vocabulary) -> Lexicon:
    """The vocabulary's lexicon, compiled once per language per process."""
    return compiled_for(vocab, _LEXICONS, compile_lexicon)


# ---------------------------------------------------------------- what a reading is


@dataclass(frozen=True)
class Asked:
    """The question a text answers: its kind, and for a yes/no question its topic (one of
    TOPICS) or its own topic words (a pharmacy's question)."""

    kind: str = "yes_no"  # yes_no | text_or_no | date_confirm | number | day | choice
    topic: str | None = None
    topic_words: tuple[str, ...] = ()
    # The year it is (the dialog's clock, never the reader's): a year two or more before it
    # ("had surgery in 2019") is long before the last pickup.
    this_year: int | None = None


@dataclass(frozen=True)
class Other:
    """An answer the text gives to another question (by topic) than the one asked."""

    topic: str
    value: Literal["yes", "no"]
    evidence: str


@dataclass(frozen=True)
class Reading:
    said: Said | None = None  # None: no answer to the question asked
    value: str | int | None = None  # "yes"/"no", a number or day, or the message's text
    evidence: str = ""  # the words that carry it
    sure: bool = True  # False: hedged ("I think", "maybe"), or yes and no at once
    count: tuple[int, int] | None = None  # "missed 2 or 3" -> (2, 3)
    others: tuple[Other, ...] = ()
    notes: tuple[str, ...] = ()  # other content a pharmacist must see (clauses, as written)
    question_back: Back | None = None
    # A clause says "if", "in case", "unless": the answer may hang on it ("yes, if it's free").
    conditional: bool = False
    # A day named only around another ("after the 3rd", "not the 15th", "first friday"): no
    # day, and no yes to the suggested one either.
    relative: bool = False
    # The answer is put off ("yes after I talk to my daughter", "not now, ask me again later",
    # "sí, el año que viene"): neither a consent nor a decline.
    deferred: bool = False

    @property
    def understood(self) -> bool:
        return self.said is not None and self.sure


# ---------------------------------------------------------------- clauses


@dataclass
class _Word:
    text: str
    tags: frozenset[str]
    count: tuple[int, int] | None = None
    fuzzy: bool = False


@dataclass
class _Clause:
    words: list[_Word]
    raw: str
    asked_back: bool = False  # the piece of text ended with a question mark
    after_exception: bool = False  # opened by "except", "other than", "excepto"

    def __post_init__(self) -> None:
        self.tags: frozenset[str] = frozenset().union(*(w.tags for w in self.words))

    def has(self, tag: str) -> bool:
        return tag in self.tags

    def first(self, tag: str) -> int | None:
        for i, w in enumerate(self.words):
            if tag in w.tags:
                return i
        return None


_NEUTRAL = frozenset({"function", "polite", "self", "yes", "no", "negation", "count", "zero"})


def _match(words: list[str], lex: Lexicon) -> list[_Word]:
    """Longest phrases first (as written, then without particles); unknown words tried for a
    number, then for a typo."""
    stems = [_stem(w, lex) for w in words] if lex.endings else words
    out: list[_Word] = []
    i = 0
    short = len(words) <= 3
    while i < len(words):
        found = _longest(words, stems, i, lex)
        if found is None:
            out.append(_unknown(words[i], lex, short))
            i += 1
            continue
        phrase, n = found
        tags = lex.tags(phrase)
        # "I didn't take them": an answer phrase that starts with the patient ("i didn't")
        # gives way to a topic phrase starting inside it ("didn't take").
        if n > 1 and tags & {"yes", "no"} and "self" in lex.tags(words[i]):
            inner = _longest(words, stems, i + 1, lex)
            if inner is not None and i + 1 + inner[1] > i + n and _topical(lex.tags(inner[0])):
                out.append(_Word(words[i], lex.tags(words[i])))
                i += 1
                continue
        # "ahorita no se me olvida": a "not now" phrase that opens with a word of time gives
        # way to a longer answer, topic or "I don't know" phrase starting inside it.
        if n > 1 and "not_now" in tags and "function" in lex.tags(words[i]):
            inner = _longest(words, stems, i + 1, lex)
            if (
                inner is not None
                and i + 1 + inner[1] > i + n
                and (_topical(lex.tags(inner[0])) or "unsure" in lex.tags(inner[0]))
            ):
                out.append(_Word(words[i], lex.tags(words[i])))
                i += 1
                continue
        count = lex.counts.get(phrase)
        if count is None and phrase in lex.numbers:
            value = lex.numbers[phrase]
            count = (value, value)
        out.append(_Word(phrase, tags, count))
        i += n
    return out


def _topical(tags: frozenset[str]) -> bool:
    return any(t.startswith(("topic:", "topic_no:", "topic_said:")) for t in tags)


def _longest(words: list[str], stems: list[str], i: int, lex: Lexicon) -> tuple[str, int] | None:
    for n in range(min(lex.longest, len(words) - i), 0, -1):
        for source in (words, stems):
            phrase = " ".join(source[i : i + n])
            if phrase in lex.index:
                return phrase, n
    return None


def _stem(word: str, lex: Lexicon) -> str:
    """A word without the particle written onto it, when its stem is known."""
    for ending in lex.endings:
        stem = word.removesuffix(ending)
        if stem != word and stem in lex.index:
            return stem
    return word


def _unknown(word: str, lex: Lexicon, short: bool) -> _Word:
    digits = _DIGITS.findall(unicodedata.normalize("NFKC", word))
    if digits and len(digits) == 1 and _ORDINAL.fullmatch(word):
        value = int(digits[0])
        return _Word(
            word, frozenset({"count", "zero"} if value == 0 else {"count"}), (value, value)
        )
    if len(word) < 3 or not word.isalpha():
        return _Word(word, frozenset())
    # "siii", "noooo", "yesss": repeated letters are emphasis.
    for squeezed in {_REPEATS.sub(r"\1\1", word), _REPEATS.sub(r"\1", word)} - {word}:
        tags = lex.tags(squeezed)
        if tags and (short or not tags & {"yes", "no"}):
            return _Word(squeezed, tags, fuzzy=True)
    # One typo in a word of 3-5 letters, two in a longer one ("yse", "hospitl", "forgott").
    limit = 1 if len(word) <= 5 else 2
    best = extractOne(word, lex.fuzzy_choices, scorer=OSA.distance, score_cutoff=limit)
    if best is not None and best[0][0] == word[0]:  # typos rarely hit the first letter
        found = best[0]
        tags = lex.tags(found)
        # A yes or a no from a typo only in a short message ("yse", "nop"): never inside a
        # sentence, where a near word may be anything ("hope" is one letter from "nope").
        # A no from a typo needs a word of four letters ("nope"): "chao" is no "chả".
        answer_ok = short or not tags & {"yes", "no"}
        if (
            answer_ok
            and ("no" not in tags or len(found) >= 4)
            and abs(len(found) - len(word)) <= limit
        ):
            return _Word(found, tags, fuzzy=True)
    return _Word(word, frozenset())


def _clauses(text: str, lex: Lexicon) -> list[_Clause]:
    if not text.isascii():
        text = _EMOJI.sub(
            lambda m: f" {_EMOJI_TOKENS[m[0]]} ",
            _EMOJI_SKIN.sub("", text),
        )
    clauses: list[_Clause] = []
    pieces = _BREAKS.split(text)
    marks = _BREAKS.findall(text)
    for n, piece in enumerate(pieces):
        words = words_of(piece)
        if not words:
            continue
        ended = n < len(marks) and bool(_QUESTION_MARK.search(marks[n]))
        matched = _match(words, lex)
        current: list[_Word] = []
        exception = False
        for w in matched:
            if "connectors" in w.tags:
                if current:
                    clauses.append(_Clause(current, _raw(current), ended, exception))
                # "sí, después le aviso": a connector that puts the answer off stays in its
                # clause, where read_yes_no sees it.
                current = [w] if "deferral" in w.tags else []
                exception = "exceptions" in w.tags
                continue
            current.append(w)
        if current:
            clauses.append(_Clause(current, _raw(current), ended, exception))
    return clauses


def _raw(words: list[_Word]) -> str:
    return " ".join(w.text for w in words)


# ---------------------------------------------------------------- one clause's meaning


@dataclass
class _Meaning:
    clause: _Clause
    topics: dict[str, bool] = field(default_factory=dict)  # topic -> affirmed?
    # Topics only a "no" phrase named ("same as always"): an answer to the question asked,
    # never to another one.
    implied: set[str] = field(default_factory=set)
    answer: Literal["yes", "no"] | None = None  # a bare yes or no, or "I haven't"
    unsure: bool = False
    other_person: bool = False
    not_me: bool = False
    hypothetical: bool = False
    future: bool = False
    past: bool = False  # "2 years ago", "in 2019", "as a child": long before the last pickup
    count: tuple[int, int] | None = None
    zero: bool = False
    content: list[str] = field(default_factory=list)
    nothing_else: bool = False
    back: Back | None = None
    coming: bool = False  # "my daughter will pick up": someone will come for the medicines
    relative: bool = False  # "not the 15th": a negation that is no answer-no


_NEGATION_REACH = 8  # words a negation reaches, within its clause
_NEGATING = frozenset({"negation", "hedged_negation"})


# Tags that do not make a word "known": "years ago", "as a child" are still news to a pharmacist.
_STILL_NEWS = frozenset({"past", "ago", "years", "recent", "deferral"})


def _known(w: _Word, lex: Lexicon) -> bool:
    """A word that carries no news of its own. A time word ("years ago", "last week") is as
    known as its words were before it was one: "years" is news, "last" and "week" are not."""
    if "care" in w.tags:
        return False
    if w.tags - _STILL_NEWS:
        return True
    parts = w.text.split()
    return bool(w.tags) and len(parts) > 1 and all(lex.tags(p) - _STILL_NEWS for p in parts)


def _long_ago(clause: _Clause, this_year: int | None) -> bool:
    """ "I was in the hospital 2 years ago", "surgery back in 2019", "hace dos años", "as a
    child": only markers that are long before any period since a pickup. Never "last year",
    "last month" or "in march" (they may fall inside it); a message that also says "last week"
    or "again" is read as it was before this rule (a stay)."""
    if clause.has("past") or (clause.has("ago") and clause.has("years")):
        return True
    return this_year is not None and any(
        len(w.text) == 4 and w.text.isdigit() and 1900 <= int(w.text) <= this_year - 2
        for w in clause.words
    )


def _meaning(
    clause: _Clause,
    own_topic: str | None,
    own_words: frozenset[str],
    lex: Lexicon,
    this_year: int | None = None,
) -> _Meaning:
    m = _Meaning(clause)
    words = clause.words
    m.unsure = clause.has("unsure")
    m.other_person = clause.has("others") and not clause.has("self")
    m.not_me = clause.has("not_me")
    if m.not_me and not clause.has("others"):
        m.other_person = False
    # "not me my husband was": the news is his, the patient's answer is the no.
    m.other_person = m.other_person or (m.not_me and clause.has("others"))
    m.hypothetical = clause.has("hypothetical")
    m.future = clause.has("future")
    m.past = _long_ago(clause, this_year)
    m.nothing_else = clause.has("nothing_else")
    # "not the 15th", "can't do the 10th": the number is no day of its own.
    m.relative = any("negation" in w.tags and "no" not in w.tags for w in words)
    for back in BACKS:
        at = clause.first(back)
        if at is None:
            continue
        # One word ("hours", "cost") asks back only as a short message or a question.
        # A clause opening with another question word asks too ("how do I know this isn't a
        # scam"); the word itself opening is not enough ("como 3 veces" is "about 3 times").
        opens = at > 0 and "interrogative" in words[0].tags
        if " " in words[at].text or clause.asked_back or len(words) == 1 or opens:
            m.back = back
            break
    # Where negations are: an answer-no at the start negates what follows until the patient
    # names themselves ("no hospital" / "no, I went to the ER"); a verb's negation reaches on.
    negated_at: set[int] = set()
    for i, w in enumerate(words):
        if w.tags & _NEGATING or ("no" in w.tags and not w.fuzzy):
            for j in range(i + 1, min(len(words), i + 1 + _NEGATION_REACH)):
                if "self" in words[j].tags and "no" in w.tags:
                    break  # "no, I went to the ER": the no is the answer, not the verb's
                if "yes" in words[j].tags and "no" not in words[j].tags:
                    break
                negated_at.add(j)
    counts: list[int] = []
    named_by_no: set[str] = set()  # topics only a "no" phrase named ("no changes")
    for i, w in enumerate(words):
        topics = [t.removeprefix("topic:") for t in w.tags if t.startswith("topic:")]
        if own_topic and w.text in own_words:
            topics.append(own_topic)
        for topic in topics:
            affirmed = i not in negated_at and "negation" not in w.tags
            # One mention affirmed wins over one negated in the same clause.
            m.topics[topic] = m.topics.get(topic, False) or affirmed
        for t in w.tags:
            if t.startswith(("topic_no:", "topic_said:")):
                topic = t.split(":", 1)[1]
                if topic not in m.topics and t.startswith("topic_no:"):
                    m.implied.add(topic)
                m.topics.setdefault(topic, False)
                named_by_no.add(topic)
        if w.count is not None and i not in negated_at:
            counts.extend(w.count)
        if "zero" in w.tags:
            m.zero = True
        known = _known(w, lex) or (own_topic is not None and w.text in own_words)
        if not known:
            m.content.append(w.text)
    if counts:
        m.count = (min(counts), max(counts))
        if m.count == (0, 0):
            m.zero, m.count = True, None
    real = set(m.topics) - named_by_no  # topics named as such, not by an answer phrase
    if clause.asked_back and len(words) > 1 and not real:
        return m  # "when is good?", "ok?": a question, not an answer
    opener = words[0].tags
    if "interrogative" in opener and not opener & {"yes", "no"} and len(words) > 1 and not real:
        return m  # "what do I have to do": a question without its "?" ("i have" is no yes)
    m.coming = not m.unsure and any(
        "coming" in w.tags and i not in negated_at and "negation" not in w.tags
        for i, w in enumerate(words)
    )
    # "yes, my daughter will pick them up": the other person only comes for the medicines, the
    # answer is the patient's (nothing else said of them: no topic, no other content).
    if m.coming and m.other_person and not m.not_me and not m.topics and not m.content:
        m.other_person = False
    # "I have a bad cough" is news, not a yes: an answer that starts with the patient ("i
    # have", "i was") counts only in a clause that says nothing more.
    answering = [
        w
        for w in words
        if not (m.content and " " in w.text and "self" in lex.tags(w.text.split()[0]))
    ]
    has_no = any(("no" in w.tags or "negation" in w.tags) for w in answering) or m.not_me
    # "No, I've been good", "nope 👍": a polite yes-word beside a no is no yes.
    weak = {"polite", "function"} if has_no else set()
    has_yes = any("yes" in w.tags and "no" not in w.tags and not w.tags & weak for w in answering)
    if has_yes and not has_no and not real:
        m.answer = "yes"
    elif has_no and not has_yes and not real:
        m.answer = "no"
    elif has_no and has_yes and not real:
        m.unsure = True  # "yes no", "是不是"
    if clause.has("not_now") and not real and m.answer != "yes":
        # "Not right now" declines an offer (no topic asked: the invitation, a preference);
        # to a question of fact ("were you in the hospital?") it says nothing sure.
        if own_topic is None:
            m.answer = "no"
        else:
            m.unsure = True
    return m


def _is_news(m: _Meaning) -> bool:
    """Something in the clause a pharmacist should read."""
    return bool(m.content) or (m.other_person and bool(m.topics)) or m.hypothetical


# ---------------------------------------------------------------- reading


def read(text: str, asked: Asked, vocab: Vocabulary) -> Reading:
    """What `text` says to the question `asked` (see Reading). Never raises on any text."""
    lex = lexicon(vocab)
    clauses = _clauses(text, lex)
    if not clauses:
        return Reading()
    own_topic = asked.topic
    own_words: frozenset[str] = frozenset()
    if asked.topic_words:
        own_words = frozenset(_phrases(asked.topic_words))
        own_topic = own_topic or "own"
    meanings = [_meaning(c, own_topic, own_words, lex, asked.this_year) for c in clauses]
    back = next((m.back for m in meanings if m.back), None)
    if asked.kind == "text_or_no":
        return _anything_else(text, meanings, back)
    if asked.kind in ("number", "day", "date_confirm"):
        return _numbers(text, asked, meanings, vocab, back)
    return _yes_no(own_topic, meanings, back)


def _yes_no(topic: str | None, meanings: list[_Meaning], back: Back | None) -> Reading:
    reading = _yes_no_reading(topic, meanings, back)
    if any((m.clause.has("deferral") or m.future) and not m.back for m in meanings):
        reading = replace(reading, deferred=True)
    if any(m.hypothetical and not m.back for m in meanings):
        return replace(reading, conditional=True)
    return reading


def _yes_no_reading(topic: str | None, meanings: list[_Meaning], back: Back | None) -> Reading:
    counts_for_topic = topic == "missed_doses"
    if topic in _EXCEPTED:
        _exceptions(topic, meanings)
    yes: list[_Meaning] = []
    no: list[_Meaning] = []
    hedged = False
    count: tuple[int, int] | None = None
    others: list[Other] = []
    notes: list[str] = []
    # "2 years ago and again last week": a recent word anywhere, and no stay is long gone.
    recent = any(m.clause.has("recent") for m in meanings)
    for m in meanings:
        if m.back:
            continue
        # "surgery next month", "in the hospital 2 years ago": no stay since the last pickup,
        # and news for the pharmacist. A change to come is a change all the same ("they want
        # me to start a blood thinner").
        gone = m.future or (m.past and not recent)
        outside = gone and topic == "hospital" and bool(m.topics.get("hospital"))
        if m.other_person or m.hypothetical or outside:
            notes.append(m.clause.raw)  # "my wife was": never dropped, never the patient's
            if m.not_me and not m.hypothetical:
                no.append(m)  # "my husband was in the hospital, not me"
            elif outside and not m.other_person and not m.unsure:
                no.append(m)
            continue
        hedged = hedged or m.unsure
        # "yes my heart doctor kept me 2 nights": other care beside a plain yes in one clause
        # is no "no" to the hospital; the yes answers (flagged, the words kept).
        care_beside_yes = m.answer == "yes" and m.clause.has("care") and topic in m.implied
        if topic is not None and topic in m.topics and not care_beside_yes:
            if counts_for_topic and not m.topics[topic] and m.count:
                hedged = True  # "no se me olvidaron 2": a count beside a no is no sure no
            (yes if m.topics[topic] else no).append(m)
        elif counts_for_topic and m.count and not m.topics and not m.content:
            yes.append(m)  # "2", "a couple times", "maybe one"
        elif counts_for_topic and m.zero and not m.topics:
            no.append(m)  # "0", "none"
        elif m.answer == "yes":
            yes.append(m)
        elif m.answer == "no" or m.not_me:
            no.append(m)
        for t, affirmed in m.topics.items():
            if t == topic:
                continue
            if affirmed or (not m.content and not m.unsure and t not in m.implied):
                others.append(Other(t, "yes" if affirmed else "no", m.clause.raw))
        if counts_for_topic and m.count and m in yes:
            count = (
                m.count if count is None else (min(count[0], m.count[0]), max(count[1], m.count[1]))
            )
        supporting = m in yes or m in no
        carried = any(o.evidence == m.clause.raw and o.value == "yes" for o in others)
        if m.content and not carried and (not supporting or m in no):
            notes.append(m.clause.raw)
    topical_yes = [m for m in yes if topic is not None and m.topics.get(topic)]
    counted_yes = [m for m in yes if m.count]
    if topical_yes or counted_yes:
        chosen = topical_yes or counted_yes
        return Reading(
            "yes",
            "yes",
            _evidence(chosen),
            sure=True,
            count=count,
            others=tuple(others),
            notes=_notes(notes, chosen),
            question_back=back,
        )
    if yes and no:
        return Reading(
            None, None, sure=False, others=tuple(others), notes=tuple(notes), question_back=back
        )
    if yes and hedged:  # "I think so", "I don't think I did": asked again, never guessed
        return Reading(
            None,
            None,
            sure=False,
            others=tuple(others),
            notes=_notes(notes, yes),
            question_back=back,
        )
    if yes:
        return Reading(
            "yes",
            "yes",
            _evidence(yes),
            sure=True,
            count=count,
            others=tuple(others),
            notes=_notes(notes, yes),
            question_back=back,
        )
    if no:
        return Reading(
            "no",
            "no",
            _evidence(no),
            sure=not hedged,
            others=tuple(others),
            notes=_notes(notes, []),
            question_back=back,
        )
    return Reading(
        None, None, sure=not hedged, others=tuple(others), notes=tuple(notes), question_back=back
    )


# Topics where an exception to a no is on the topic: "no missed doses except sunday" names a
# missed dose. Not a hospital stay ("no hospital except a fever") nor a change ("nothing new
# except I've been dizzy" is news, a note).
_EXCEPTED = ("missed_doses",)


def _exceptions(topic: str, meanings: list[_Meaning]) -> None:
    """ "took them all except tuesday", "none except when I was sick": content after an
    exception word, straight after a no to the question, is on the question's topic."""
    for before, m in pairwise(meanings):
        said_no = before.topics.get(topic) is False or before.answer == "no" or before.zero
        if (
            m.clause.after_exception
            and said_no
            and m.content
            and topic not in m.topics
            and not (m.other_person or m.hypothetical or m.unsure or m.back)
        ):
            m.topics[topic] = True


def _notes(notes: list[str], used: list[_Meaning]) -> tuple[str, ...]:
    taken = {m.clause.raw for m in used}
    return tuple(n for n in dict.fromkeys(notes) if n not in taken)


def _evidence(meanings: list[_Meaning]) -> str:
    return ", ".join(dict.fromkeys(m.clause.raw for m in meanings))


def _anything_else(text: str, meanings: list[_Meaning], back: Back | None) -> Reading:
    """ "Anything else?": a no in any of its forms, or a message for the pharmacist."""
    news = [m for m in meanings if m.content or m.topics or m.unsure or m.other_person]
    # A question back that names a clinical topic ("will my insurance cover the new one?") is
    # news for the pharmacist as well.
    asked_only = not any(m.content for m in meanings if not m.back)
    if back is not None and asked_only and not any(m.topics for m in meanings):
        return Reading(question_back=back)
    if not news:
        return Reading("no", "no", _evidence(meanings))
    return Reading("message", text.strip(), text.strip())


def _day_words(text: str, lex: Lexicon) -> set[str]:
    """The DAY_KEYS a text's words or phrases belong to ("after the 3rd" -> {"relative"})."""
    if not lex.day_words:
        return set()
    words = words_of(text)
    longest = max(len(p.split()) for p in lex.day_words)
    found = set()
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            key = lex.day_words.get(" ".join(words[i : i + n]))
            if key is not None:
                found.add(key)
                break
    return found


def _numbers(
    text: str, asked: Asked, meanings: list[_Meaning], vocab: Vocabulary, back: Back | None
) -> Reading:
    from dialogs.parse import number  # the parser's own rules for days and numbers

    value = number(text, vocab)
    answers = {m.answer for m in meanings if m.answer}
    # "My daughter will pick up": the pickup on that date is confirmed, whoever comes. Only when
    # nothing else answers ("no, my daughter will pick up" needs a call) and nothing hangs on it
    # ("if", "maybe").
    coming = any(m.coming for m in meanings) and not any(m.hypothetical for m in meanings)
    if asked.kind == "date_confirm" and not answers and coming:
        answers = {"yes"}
    news = [m.clause.raw for m in meanings if m.content and not m.back]
    if asked.kind == "day":
        found = _day_words(text, lexicon(vocab))
        # "doesn't matter": no day named, none refused, nothing asked back.
        indifferent = "indifferent" in found and value is None and back is None
        if "relative" in found or (any(m.relative for m in meanings) and not indifferent):
            return Reading(None, None, sure=False, question_back=back, relative=True)
        if indifferent or (value is None and "suggested" in found and not answers - {"yes"}):
            return Reading("yes", "suggested", _evidence(meanings))  # "whatever you suggest"
    if value is None:
        zero = any(m.zero for m in meanings)
        counted = [m.count for m in meanings if m.count and m.count[0] == m.count[1]]
        if asked.kind == "number" and zero and not counted:
            value = 0
        elif asked.kind == "number" and len({c for c in counted}) == 1:
            value = counted[0][0]  # "once", "twice": a count, never a day ("after 5 pm")
    if back is not None and value is None and not answers:
        return Reading(question_back=back)
    unsure = any(m.unsure for m in meanings)
    if value is not None:
        said: Said = "day" if asked.kind != "number" else "number"
        kept = tuple(news) if asked.kind == "number" else ()  # a new day is flagged anyway
        return Reading(said, value, str(value), sure=not unsure, notes=kept)
    if answers == {"yes"}:
        return Reading("yes", "yes", _evidence(meanings), sure=not unsure, notes=tuple(news))
    if answers == {"no"}:  # a refused date is flagged anyway: nothing more to carry
        return Reading("no", "no", _evidence(meanings), sure=not unsure)
    return Reading(None, None, sure=False, question_back=back)  # asked again, quoted if need be
