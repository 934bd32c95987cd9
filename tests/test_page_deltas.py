"""What a page run sends the browser: each place on the page is written once per run.

Streamlit sends a run's elements as they are drawn, in several batches; a place written twice in one run (an empty
element and then a block at the same path) can reach the browser apart, and a browser that draws in between unmounts
everything the block held: its charts are drawn anew and a focused slider loses the focus and the keys pressed on it
(seen: ten arrow presses on a What-if slider moved it eight steps)."""

from __future__ import annotations

from collections import Counter

import pytest
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

from tests.conftest import use_copy
from tests.test_resilience import VIEWS, open_page, view_id


@pytest.fixture
def deltas(monkeypatch):
    """Every delta enqueued from now on, as (path, what it is), before Streamlit's queue folds any together."""
    seen: list[tuple[tuple[int, ...], str]] = []
    enqueue = ForwardMsgQueue.enqueue

    def recording(self, msg):
        kind = msg.delta.WhichOneof("type") if msg.HasField("delta") else None
        if kind not in (None, "new_transient"):  # a spinner's transient is drawn beside the place, not in it
            what = msg.delta.new_element.WhichOneof("type") if kind == "new_element" else kind
            seen.append((tuple(msg.metadata.delta_path), what))
        return enqueue(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return seen


def _written_twice(seen: list[tuple[tuple[int, ...], str]]) -> dict[tuple[int, ...], list[str]]:
    """The places written more than once, with what was written there in order."""
    counts = Counter(path for path, _ in seen)
    return {path: [what for p, what in seen if p == path] for path, n in counts.items() if n > 1}


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_every_page_writes_each_place_once_per_run(sample_db_file, tmp_path, monkeypatch, deltas, view):
    use_copy(sample_db_file, tmp_path, monkeypatch)
    page, params = view
    at = open_page(page, {"ds": "sample", **params})
    assert not at.exception, [e.value for e in at.exception]
    assert deltas, "the run sent its page"
    assert not _written_twice(deltas), _written_twice(deltas)
    deltas.clear()
    at.run()  # a rerun (as a filter change makes) writes each place once too
    assert deltas and not _written_twice(deltas), _written_twice(deltas)
