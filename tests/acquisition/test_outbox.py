"""The outbox keeps every chunk it committed — across a restart and a kill -9 — until it is acknowledged."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

from acquisition.outbox import Outbox


def test_chunks_come_back_in_order_after_reopening_and_leave_only_when_deleted(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    seqs = [box.put(f"chunk {n}".encode(), samples=n + 1) for n in range(5)]
    epoch = box.epoch
    box.close()
    again = Outbox(tmp_path / "outbox.sqlite3")
    assert again.epoch == epoch
    assert [c.body for c in again.pending()] == [f"chunk {n}".encode() for n in range(5)]
    again.delete(seqs[:2])
    assert [c.seq for c in again.pending()] == seqs[2:]
    assert [c.seq for c in again.pending(after=seqs[3])] == [seqs[4]]
    assert again.backlog().samples == 3 + 4 + 5


def test_pending_stops_at_the_size_asked_for_but_always_gives_one_chunk(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    for _ in range(4):
        box.put(b"x" * 1000, 1)
    assert len(box.pending(max_bytes=2500)) == 2
    assert len(box.pending(max_bytes=10)) == 1


def test_message_numbers_never_repeat_across_restarts(tmp_path):
    first = Outbox(tmp_path / "o.sqlite3")
    used = [first.reserve_sequence() for _ in range(3)]
    del first  # no clean close: the process could have died here
    second = Outbox(tmp_path / "o.sqlite3")
    assert second.reserve_sequence() > max(used)


def test_the_alarm_state_is_stored_with_the_chunk(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    box.put(b"chunk", 1, state={"X/GD-1": {"hi": [1, 30.0, 25.0]}})
    assert Outbox(tmp_path / "o.sqlite3").state() == {"X/GD-1": {"hi": [1, 30.0, 25.0]}}


def test_a_full_outbox_drops_the_oldest_chunks_and_says_so(tmp_path, caplog):
    box = Outbox(tmp_path / "o.sqlite3", max_bytes=10_000)
    with caplog.at_level(logging.ERROR):
        for n in range(30):
            box.put(bytes([n]) * 1000, 10)
    assert box.backlog().bytes <= 10_000
    assert box.pending()[-1].body == bytes([29]) * 1000
    assert "is full" in caplog.text and "dropped unsent" in caplog.text


WRITER = textwrap.dedent(
    """
    import sys
    from acquisition.outbox import Outbox
    box = Outbox(sys.argv[1])
    n = 0
    while True:
        seq = box.put(b"%08d" % n * 512, 512)
        print(seq, flush=True)
        n += 1
    """
)


def test_every_chunk_committed_before_a_kill_9_is_there_afterwards(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    committed = []
    try:
        for line in writer.stdout:
            committed.append(int(line))
            if len(committed) >= 300:
                break
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {c.seq for c in Outbox(path).pending(max_chunks=100_000, max_bytes=10**12)}
    assert set(committed) <= stored
