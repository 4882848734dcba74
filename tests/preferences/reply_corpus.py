"""The preference questions' own replies (replies.tsv), read by `dialogs.preferences._read`.

`python -m tests.preferences.reply_corpus` prints how many are read as labelled, and every miss.
Dangerous: a value stored where the patient did not give it, or detailed messages granted on
anything but a clear yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from bot.languages import catalogs
from dialogs import preferences
from dialogs.turn import Text

HERE = Path(__file__).parent / "replies.tsv"
LATER = Path(__file__).parent / "replies_later.tsv"  # written after the rules: a check
# What `_read` returns for each meaning (the channel question: YES is calls).
EXPECTED = {
    "channel": {"call": "yes", "text": "no"},
}


@dataclass(frozen=True)
class Reply:
    language: str
    question: str
    meaning: str
    text: str

    @property
    def expected(self) -> str | None:
        if self.meaning == "unclear":
            return None
        if self.meaning == "skip":
            return preferences.SKIP
        return EXPECTED.get(self.question, {}).get(self.meaning, self.meaning)


def replies(path: Path = HERE) -> list[Reply]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, question, meaning, text = line.split("\t")
        out.append(Reply(language, question, meaning, text))
    return out


def read(reply: Reply) -> str | None:
    ctx = SimpleNamespace(vocab=catalogs.vocabulary_for(reply.language))
    return preferences._read(reply.question, Text(reply.text), ctx)  # type: ignore[arg-type]


def dangerous(reply: Reply, got: str | None) -> bool:
    if got in (None, preferences.SKIP) or got == reply.expected:
        return False
    if reply.question == "detailed":
        return got == "yes" or reply.meaning == "yes"
    return True


def main() -> None:
    for path in (HERE, LATER):
        print(f"== {path.name}")
        report(replies(path))


def report(rows: list[Reply]) -> None:
    right = 0
    bad = 0
    by: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        got = read(r)
        ok = got == r.expected
        right += ok
        bad += dangerous(r, got)
        tally = by.setdefault((r.language, r.question), [0, 0])
        tally[0] += ok
        tally[1] += 1
        if not ok:
            mark = "DANGEROUS" if dangerous(r, got) else "miss"
            print(f"{mark:9} {r.language:7} {r.question:8} {r.meaning:9} -> {got!s:9} {r.text}")
    for (language, question), (ok, n) in sorted(by.items()):
        print(f"{language:7} {question:8} {ok:3}/{n}")
    print(f"read right: {right}/{len(rows)}; wrong values stored: {bad}")


if __name__ == "__main__":
    main()
