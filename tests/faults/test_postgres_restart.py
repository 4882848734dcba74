"""PostgreSQL stopped and started again while `medsync serve` is receiving signed texts:
the webhook answers 503 with Retry-After only while the database is down (never a 200 that
lost the text, never a 500 or a dropped connection), Twilio's retry of the same MessageSid
then succeeds and is processed once, and nothing is half-written: every text is stored once
and the rows equal a serial replay."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.faults.servers import PostgresCluster, WebProcess, medsync_environment
from tests.faults.traffic import Twilio, assert_stored_once_and_serial, text_form

PATIENTS = ["+12125550123", "+13055550147", "+17135550111", "+14155550165", "+19175550000"]
BODIES = ["hi", "yes", "15", "ok", "what?", "help", "no", "28", "pharmacist", "thanks"]
TEXTS_EACH = 12


def test_a_database_restart_under_load_loses_and_doubles_nothing(
    cluster: PostgresCluster, fault_db: str, logs: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    web = WebProcess(
        medsync_environment(fault_db, MEDSYNC_SCHEDULER_IN_WEB="false"), logs / "web.log"
    )
    web.start()
    twilio = Twilio()
    forms = {
        p: [text_form(p, BODIES[i % len(BODIES)]) for i in range(TEXTS_EACH)] for p in PATIENTS
    }
    answers: dict[str, str] = {}
    halfway = threading.Barrier(len(PATIENTS) + 1)

    def patient(phone: str) -> None:
        # One patient texts one message after another, as a phone does; Twilio retries.
        for i, form in enumerate(forms[phone]):
            if i == TEXTS_EACH // 3:
                halfway.wait()  # the database goes down while the rest are in flight
            answers[form["MessageSid"]] = twilio.deliver(web.base, form).text
            time.sleep(0.05)

    threads = [threading.Thread(target=patient, args=(p,)) for p in PATIENTS]
    try:
        for thread in threads:
            thread.start()
        halfway.wait()
        time.sleep(0.2)
        down = time.monotonic()
        cluster.stop("fast")
        time.sleep(2.0)
        cluster.start()
        up = time.monotonic()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
    finally:
        web.stop()
        if not cluster_running(cluster):
            cluster.start()

    statuses = twilio.statuses()
    assert set(statuses) <= {200, 503}, statuses  # no 4xx, no 500, no dropped connection
    failed = [a for a in twilio.attempts if a.status != 200]
    assert failed, "the restart never hit a request: the test proved nothing"
    # Every 5xx belongs to the outage: asked after the stop began, answered by the time the
    # server was back (plus a second for the pool to notice).
    assert all(a.answered >= down and a.sent <= up + 1.0 for a in failed), [
        (round(a.sent - down, 2), round(a.answered - up, 2)) for a in failed
    ]
    assert all("Traceback" not in a.body for a in twilio.attempts)
    # A request that began after the server was back was answered 200 the first time.
    assert all(a.status == 200 for a in twilio.attempts if a.sent > up + 1.0)
    everything = [f for p in PATIENTS for f in forms[p]]
    compared = assert_stored_once_and_serial(
        fault_db, everything, answers, tmp_path, sqlite_template
    )
    assert compared == len(PATIENTS) * TEXTS_EACH
    print(f"\n{sum(statuses.values())} requests, {statuses}, outage {up - down:.1f} s")


def cluster_running(cluster: PostgresCluster) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", cluster.port)) == 0
