"""A burst across two `medsync serve` processes on one PostgreSQL: texts from many patients
(and strangers) at once, and 50 from one patient split between the two processes. Every
text is stored once, and what was stored equals a serial replay of the same texts."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.faults.servers import WebProcess, medsync_environment
from tests.faults.traffic import assert_stored_once_and_serial, post_text, text_form

MARGARET = "+12125550123"
OTHERS = ["+13055550147", "+17135550111", "+14155550165", "+16175550122", "+14055550188",
          "+19175550000", "+19175550001", "+19175550002"]  # fmt: skip
BODIES = ["hi", "yes", "15", "ok", "what?", "STOP", "START", "no", "help", "28"]
FROM_MARGARET = 50
FROM_EACH_OTHER = 5


def test_a_burst_across_two_web_processes_is_stored_once_and_applied_serially(
    fault_db: str, logs: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    env = medsync_environment(fault_db, MEDSYNC_SCHEDULER_IN_WEB="false")
    webs = [WebProcess(env, logs / f"web{i}.log") for i in (1, 2)]
    for web in webs:
        web.start()
    margaret = [text_form(MARGARET, BODIES[i % len(BODIES)]) for i in range(FROM_MARGARET)]
    others = {p: [text_form(p, BODIES[i]) for i in range(FROM_EACH_OTHER)] for p in OTHERS}
    answers: dict[str, str] = {}
    statuses: list[int] = []
    gate = threading.Barrier(FROM_MARGARET + len(OTHERS))

    def margaret_texts(i: int) -> None:
        # All 50 at the same instant, alternating between the two processes.
        form = margaret[i]
        with httpx.Client(base_url=webs[i % 2].base, timeout=120) as client:
            gate.wait()
            response = post_text(client, form)
        statuses.append(response.status_code)
        answers[form["MessageSid"]] = response.text

    def someone_else(phone: str, n: int) -> None:
        # Each other phone texts one message after another, each to either process.
        gate.wait()
        for i, form in enumerate(others[phone]):
            with httpx.Client(base_url=webs[(n + i) % 2].base, timeout=120) as client:
                response = post_text(client, form)
            statuses.append(response.status_code)
            answers[form["MessageSid"]] = response.text

    threads = [threading.Thread(target=margaret_texts, args=(i,)) for i in range(FROM_MARGARET)]
    threads += [threading.Thread(target=someone_else, args=(p, n)) for n, p in enumerate(OTHERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        for web in webs:
            web.stop()
    total = FROM_MARGARET + FROM_EACH_OTHER * len(OTHERS)
    assert statuses == [200] * total
    everything = margaret + [f for p in OTHERS for f in others[p]]
    compared = assert_stored_once_and_serial(
        fault_db, everything, answers, tmp_path, sqlite_template
    )
    assert compared == total
