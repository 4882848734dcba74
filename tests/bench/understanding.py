"""How well and how fast MedSync reads patients' replies (issue 15).

    .venv/bin/python -m tests.bench.understanding [--repeat 20]

Plays every reply of tests/understanding/corpus.tsv through the dialog engine at its step and
prints, per language and per step: replies, understood, asked again, and dangerous (a question
recorded with its clear value when the reply did not say that; must be 0). Then times the
reader alone (dialogs/reading.py, vocabularies compiled once) over the whole corpus,
`--repeat` times: the mean and the slowest time per message. Prints figures; the goals are
asserted by tests/understanding/test_corpus.py.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.languages.catalogs import vocabulary_for
from dialogs.reading import Asked, read
from tests.understanding.corpus import STEPS, Result, judge, rows

_KINDS = {"anything_else": "text_or_no", "still_coming": "day", "anchor": "day"}


def _table(title: str, groups: dict[str, list[Result]], out: Callable[[str], None]) -> None:
    out(f"{title:<14} {'replies':>7} {'understood':>11} {'asked again':>12} {'dangerous':>10}")
    for name, results in groups.items():
        n = len(results)
        understood = sum(r.understood for r in results) / n
        again = sum(r.asked_again for r in results) / n
        dangerous = sum(r.dangerous for r in results)
        out(f"{name:<14} {n:>7} {understood:>10.1%} {again:>11.1%} {dangerous:>10}")


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    corpus = rows()
    results = [judge(row) for row in corpus]
    by_language: dict[str, list[Result]] = defaultdict(list)
    by_step: dict[str, list[Result]] = {step: [] for step in STEPS}
    for r in results:
        by_language[r.row.language].append(r)
        by_step[r.row.step].append(r)
    out(f"Understanding: {len(results)} replies through the dialog engine")
    _table("language", dict(sorted(by_language.items())), out)
    out("")
    _table("step", by_step, out)
    out("")
    _table("all", {"all": results}, out)
    missed = [r for r in results if not r.understood]
    for r in missed:
        out(
            f"  not as expected: [{r.row.step} {r.row.language}] {r.row.text!r} "
            f"expected {r.row.expected}, got {r.got}"
        )
    prepared = [
        (
            row.text,
            Asked(
                _KINDS.get(row.step, "yes_no"),
                row.step if row.step not in _KINDS and row.step != "enroll" else None,
            ),
            vocabulary_for(row.language),
        )
        for row in corpus
    ]
    for text, asked, vocab in prepared:
        read(text, asked, vocab)  # each vocabulary compiled once, as in a running server
    times: list[float] = []
    for _ in range(args.repeat):
        for text, asked, vocab in prepared:
            began = time.perf_counter()
            read(text, asked, vocab)
            times.append(time.perf_counter() - began)
    times.sort()
    mean = sum(times) / len(times)
    median, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    out("")
    out(
        f"Reader: {mean * 1e6:.0f} µs per message on average, median {median * 1e6:.0f} µs, "
        f"99th percentile {p99 * 1e6:.0f} µs ({args.repeat} x {len(prepared)} messages)"
    )
    out(
        f"Machine: a 1,000,000-step Python loop takes {_reference() * 1e3:.0f} ms here "
        "(about 50 ms on an idle core): read the figures above in that light"
    )


def _reference() -> float:
    began = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
