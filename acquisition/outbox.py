"""The agent's outbox: a SQLite file of encoded batches that leave it only when the centre acknowledged them.

Each row (a *chunk*) is one encoded ``Batch`` — a flush of the collector, some milliseconds to a
second of samples — never a row per value. A chunk is written in one transaction together with the
alarm rules' open alarms, so that an agent killed at any moment (``kill -9``) restarts with every
chunk it had written and the alarms it had raised. The file runs in WAL mode with ``synchronous=FULL``:
a committed chunk survives the process and the machine stopping.

``epoch`` is a random number made with the file; with a message sequence that only grows it names
every message for ever (replays are refused at the centre by it). ``reserve_sequence`` hands out
message numbers in blocks persisted ahead of use, so none is used twice across restarts.

Capacity: at the demo park's rate (1,309 points every 2 s) a chunk takes ≈ 13 bytes a sample with
its keys (``python -m tests.bench.bench_acquisition --only outbox``), so 24 hours is ≈ 0.74 GB;
``max_bytes`` (default 8 GiB, ten days of the park) bounds the file, and when it is full the oldest
chunks are dropped with an error in the log rather than stopping acquisition.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    samples INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
SEQUENCE_BLOCK = 1000
DEFAULT_MAX_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class Chunk:
    seq: int
    created: float
    samples: int
    body: bytes


@dataclass(frozen=True)
class Backlog:
    """What waits in the outbox."""

    chunks: int
    samples: int
    bytes: int
    oldest: float | None


class Outbox:
    """A durable queue of encoded batches; safe to use from several threads."""

    def __init__(self, path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._db() as db:
            db.executescript(SCHEMA)
        self.epoch = bytes.fromhex(self._meta("epoch") or self._set_meta_once("epoch", secrets.token_bytes(8).hex()))
        self._next_seq = 0
        self._seq_limit = 0
        self._bytes = self._size()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    def _meta(self, name: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _set_meta_once(self, name: str, value: str) -> str:
        db = self._db()
        db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, value))
        return self._meta(name)

    def _size(self) -> int:
        row = self._db().execute("SELECT coalesce(sum(length(body)), 0) FROM chunk").fetchone()
        return int(row[0])

    # --- writing ---------------------------------------------------------------------------------

    def put(self, body: bytes, samples: int, state: dict | None = None) -> int:
        """Store one encoded batch (and, in the same transaction, the alarm rules' state); its chunk number."""
        with self._write_lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                cursor = db.execute(
                    "INSERT INTO chunk (created, samples, body) VALUES (?, ?, ?)", (time.time(), samples, body)
                )
                if state is not None:
                    db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('alarms', ?)", (json.dumps(state),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._bytes += len(body)
            if self._bytes > self.max_bytes:
                self._drop_oldest()
            return int(cursor.lastrowid)

    def _drop_oldest(self) -> None:
        db = self._db()
        rows = db.execute("SELECT seq, length(body), samples FROM chunk ORDER BY seq").fetchall()
        excess, dropped, samples = self._bytes - int(self.max_bytes * 0.95), [], 0
        for seq, size, count in rows:
            if excess <= 0:
                break
            dropped.append(seq)
            excess -= size
            samples += count
            self._bytes -= size
        db.executemany("DELETE FROM chunk WHERE seq = ?", [(s,) for s in dropped])
        log.error(
            "outbox %s is full (%d bytes): the oldest %d chunks (%d samples) were dropped unsent",
            self.path,
            self.max_bytes,
            len(dropped),
            samples,
        )

    def state(self) -> dict | None:
        """The alarm rules' state stored with the last chunk."""
        raw = self._meta("alarms")
        return json.loads(raw) if raw else None

    # --- reading and acknowledging ---------------------------------------------------------------

    def pending(self, after: int = 0, max_bytes: int = 1_000_000, max_chunks: int = 1000) -> list[Chunk]:
        """The oldest chunks after chunk ``after``, up to about ``max_bytes`` (at least one)."""
        rows = self._db().execute(
            "SELECT seq, created, samples, body FROM chunk WHERE seq > ? ORDER BY seq LIMIT ?", (after, max_chunks)
        )
        chunks, size = [], 0
        for seq, created, samples, body in rows:
            if chunks and size + len(body) > max_bytes:
                break
            chunks.append(Chunk(seq, created, samples, body))
            size += len(body)
        return chunks

    def delete(self, seqs: list[int]) -> None:
        """Forget acknowledged chunks."""
        if not seqs:
            return
        with self._write_lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            freed = 0
            for seq in seqs:
                row = db.execute("SELECT length(body) FROM chunk WHERE seq = ?", (seq,)).fetchone()
                if row:
                    freed += row[0]
                    db.execute("DELETE FROM chunk WHERE seq = ?", (seq,))
            db.execute("COMMIT")
            self._bytes -= freed

    def backlog(self) -> Backlog:
        chunks, samples, size, oldest = (
            self._db()
            .execute(
                "SELECT count(*), coalesce(sum(samples), 0), coalesce(sum(length(body)), 0), min(created) FROM chunk"
            )
            .fetchone()
        )
        return Backlog(chunks, samples, size, oldest)

    def reserve_sequence(self) -> int:
        """The next message sequence number; numbers are persisted in blocks before they are used."""
        with self._write_lock:
            if self._next_seq >= self._seq_limit:
                db = self._db()
                db.execute("BEGIN IMMEDIATE")
                start = int(self._meta("next_seq") or 1)
                db.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('next_seq', ?)", (str(start + SEQUENCE_BLOCK),)
                )
                db.execute("COMMIT")
                self._next_seq, self._seq_limit = start, start + SEQUENCE_BLOCK
            seq = self._next_seq
            self._next_seq += 1
            return seq

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
