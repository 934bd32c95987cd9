"""Tiny call logs for the contacts-with-steps and promises tests (tests/test_journey_contacts.py works them by hand)."""

from __future__ import annotations

import pandas as pd

CALL_COLUMNS = ["customer_id", "contact_id", "ts", "channel", "stage", "reason", "resolved", "wait_s", "handle_s", "abandoned"]


def call_log(anonymous: bool = False) -> pd.DataFrame:
    """C1: call A on 1 Jan (IVR 30 s; queue 40 s; agent 300 s; resolved) and call B on 3 Jan (IVR 20 s; queue 200 s,
    abandoned; unresolved); C2: call C on 2 Jan (IVR 10 s; queue 0 s; agent 100 s; resolved). With anonymous, a caller
    with no ID waits 90 s in the queue and hangs up."""
    rows = [
        ("C1", "A", "2024-01-01 10:00", "ivr", "support", "billing", True, None, 30.0, None),
        ("C1", "A", "2024-01-01 10:01", "phone", "support", "billing", True, 40.0, None, False),
        ("C1", "A", "2024-01-01 10:02", "phone", "support", "billing", True, None, 300.0, None),
        ("C1", "B", "2024-01-03 09:00", "ivr", "support", "billing", False, None, 20.0, None),
        ("C1", "B", "2024-01-03 09:01", "phone", "support", "billing", False, 200.0, None, True),
        ("C2", "C", "2024-01-02 11:00", "ivr", "support", "billing", True, None, 10.0, None),
        ("C2", "C", "2024-01-02 11:01", "phone", "support", "billing", True, 0.0, None, False),
        ("C2", "C", "2024-01-02 11:02", "phone", "support", "billing", True, None, 100.0, None),
    ]
    if anonymous:
        rows.append((None, "D", "2024-01-02 12:00", "phone", "support", "billing", False, 90.0, None, True))
    frame = pd.DataFrame(rows, columns=CALL_COLUMNS)
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def promises() -> dict[str, pd.DataFrame]:
    """Five complaints made on 1 Jan 2024 with their resolution, due date and on-time flag (see the test)."""
    rows = [
        ("K1", "2024-01-01 09:00", "2024-01-04 09:00", "2024-01-03 17:00", None),
        ("K2", "2024-01-01 09:00", "2024-01-10 09:00", "2024-01-12 17:00", None),
        ("K3", "2024-01-01 09:00", "2024-01-03 09:00", None, False),
        ("K4", "2024-01-01 09:00", "2024-01-03 09:00", None, None),
        ("K5", "2024-01-01 09:00", None, "2024-01-05 17:00", None),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "ts", "resolved_ts", "due_ts", "on_time"])
    for column in ("ts", "resolved_ts", "due_ts"):
        frame[column] = pd.to_datetime(frame[column])
    frame["on_time"] = frame["on_time"].astype("boolean")
    frame = frame.assign(channel="email", stage="complaint", reason="service")
    return {"interactions": frame}
