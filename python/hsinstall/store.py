"""The hook's stores (docs/hook.md, "Store"): SQLite (one machine) and PostgreSQL (many
instances), the same tables, the migration runner that applies ``schema/<dialect>/NNN_*.sql``,
tokens sealed at rest (AES-256-GCM, :mod:`hsinstall._sealing`), and the two commands'
workings (``rotate_key``, ``migrate_store``).

    from hsinstall.store import open_store
    store = open_store("postgresql://app@/hsinstall?host=/run/postgresql")   # key ring from HSINSTALL_TOKEN_KEY

Every guarantee lives in the database: a state is consumed by an ``UPDATE ... WHERE used_at IS
NULL`` in the transaction that records the code (a primary key), an install is written with
its code's outcome and attempt in one transaction, a refresh holds a lease row, and refreshed
tokens are stored only over the refresh token they replace (compared after unsealing, inside
the transaction, the row locked).
"""
from __future__ import annotations

import collections
import hmac
import os
import queue
import random
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ._errors import HsInstallError
from ._sealing import KeyRing, SealError, SettingsError, missing_key_message
from ._types import Diagnostic

__all__ = [
    "Attempt", "HookError", "Install", "KeyRing", "PostgresStore", "SQLiteStore", "SettingsError", "Store",
    "migrate_store", "open_store", "parse_store_url", "rotate_key", "schema_migrations",
]

PENDING = "pending"
MIGRATION_LOCK = 7526405646053163008  # pg_advisory_xact_lock key (docs/hook.md, Schema and migrations)
ROTATE_BATCH = 100
_INT64_MIN = -(1 << 63)
STORE_UNAVAILABLE = "hook.store_unavailable"
STORE_CORRUPT = "hook.store_corrupt"


# ---------------------------------------------------------------------------- values and errors


class HookError(HsInstallError):
    """A hook operation failed (``get_access_token``, ``check_scopes``, a store call): ``.code`` is a
    core diagnostic code (``token.bad_refresh_token``, ...) or the hook's own (``hook.not_installed``,
    ``hook.network_error``, ``hook.refresh_busy``, ``hook.store_unavailable``, ``hook.store_corrupt``);
    ``.retryable`` says whether trying again can help."""

    def __init__(self, diagnostics: Iterable[Diagnostic] = (), retryable: bool = False) -> None:
        super().__init__(diagnostics)
        self.retryable = retryable

    @classmethod
    def of(cls, code: str, message: str, hint: str = "", retryable: bool = False) -> "HookError":
        return cls([Diagnostic(code=code, severity="error", where="", message=message, hint=hint)], retryable)

    def __reduce__(self) -> Any:
        return (type(self), (self.diagnostics, self.retryable))


def unavailable(what: str) -> HookError:
    return HookError.of(STORE_UNAVAILABLE, "The hook's database could not be reached (%s)." % what,
                        "Try again; check that the database named by HSINSTALL_STORE is up.", retryable=True)


@dataclass(frozen=True)
class Install:
    """A stored install, as the store holds it (tokens unsealed). ``scopes`` are the granted scopes."""

    portal_id: int
    user_id: Optional[int]
    hub_domain: Optional[str]
    scopes: Tuple[str, ...]
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int
    updated_at: int

    def public(self) -> Dict[str, Any]:
        """Everything but the tokens (what a page or an admin list may show)."""
        return {"portal_id": self.portal_id, "user_id": self.user_id, "hub_domain": self.hub_domain,
                "scopes": list(self.scopes), "expires_at": self.expires_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class Attempt:
    """One row of the attempt log: ``outcome`` is installed, failed, replayed or redirected;
    ``reason`` is ``installed`` or a diagnostic code (docs/hook.md, Outcomes and codes)."""

    at: int
    outcome: str
    reason: str
    portal_id: Optional[int]
    detail: str


# ---------------------------------------------------------------------------- URLs and schema files


def parse_store_url(url: str) -> Tuple[str, str]:
    """``("sqlite", path)`` or ``("postgresql", url)``; SettingsError naming HSINSTALL_STORE otherwise."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path:
            return "sqlite", path
    elif url in ("sqlite://:memory:", "sqlite:///:memory:"):
        return "sqlite", ":memory:"
    elif re.match(r"postgres(ql)?://", url):
        return "postgresql", url
    raise SettingsError("HSINSTALL_STORE", "%r is not a store URL: use sqlite:///path/to/hsinstall.db (sqlite:////absolute/path) "
                        "or postgresql://user:password@host:5432/db" % _hide_password(url))


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _schema_root() -> Path:
    """The package's copy of the repository's schema/ folder (hsinstall/schema: setup.py and the
    CMake build both put it there)."""
    c = Path(__file__).resolve().parent / "schema"
    if (c / "sqlite" / "001_tables.sql").is_file() and (c / "postgresql" / "001_tables.sql").is_file():
        return c
    raise RuntimeError("hsinstall's schema files are missing (%s/<dialect>/NNN_*.sql): reinstall the package" % c)


def schema_migrations(dialect: str) -> List[Tuple[int, str, str]]:
    """``(version, name, sql)`` of every ``schema/<dialect>/NNN_name.sql``, in order."""
    out = []
    for p in sorted((_schema_root() / dialect).glob("*.sql")):
        m = re.fullmatch(r"(\d{3})_([A-Za-z0-9_]+)\.sql", p.name)
        if m:
            out.append((int(m.group(1)), m.group(2), p.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in out]
    if not out or versions != list(range(1, len(out) + 1)):
        raise RuntimeError("hsinstall's schema files for %s are not numbered 001, 002, ...: %s" % (dialect, versions))
    return out


def split_sql(text: str, dialect: str = "postgresql") -> List[str]:
    """The statements of a schema file: ``--`` comments dropped, split at ``;`` outside quotes;
    for SQLite, pieces are joined until ``sqlite3.complete_statement`` says the statement is
    whole (a trigger's ``BEGIN ... END;`` body holds semicolons of its own)."""
    out, cur, i, n = [], [], 0, len(text)
    quote = None
    while i < n:
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            cur.append(ch)
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch == ";":
            stmt = "".join(cur).strip()
            if stmt:
                out.append(stmt)
            cur = []
        else:
            cur.append(ch)
        i += 1
    stmt = "".join(cur).strip()
    if stmt:
        out.append(stmt)
    if dialect != "sqlite":
        return out
    whole: List[str] = []
    for stmt in out:
        if whole and not sqlite3.complete_statement(whole[-1] + ";"):
            whole[-1] += "; " + stmt
        else:
            whole.append(stmt)
    return whole


# ---------------------------------------------------------------------------- the interface


class Store:
    """The storage a hook needs (docs/hook.md, Store). Every method is atomic in the
    database: single-use states, one exchange per code and one refresh per portal at a time
    are enforced there, never in process memory, so several hook processes may share one
    store. :class:`SQLiteStore` and :class:`PostgresStore` are the two shipped."""

    def issue_state(self, nonce: str, expires_at: int) -> None:
        raise NotImplementedError

    def begin_exchange(self, nonce: Optional[str], code_hash: str, now: int) -> Tuple[str, Optional[str]]:
        """In one transaction: if ``code_hash`` is known, ``("replayed", outcome)`` (outcome None
        while the first exchange is still running); else consume the state ``nonce`` (``UPDATE
        ... WHERE used_at IS NULL``, which must change one row; ``None`` for a marketplace
        finalize, which has no state) or answer ``("state_replayed", None)`` with nothing
        recorded; then record the code as pending and answer ``("new", None)``."""
        raise NotImplementedError

    def code_outcome(self, code_hash: str) -> Optional[str]:
        """The stored outcome of a code; None while pending or unknown."""
        raise NotImplementedError

    def finish_exchange(self, code_hash: Optional[str], outcome: str, attempt: Attempt, install: Optional[Install]) -> None:
        """In one transaction: the code's final outcome, the install (upserted by portal) and the attempt."""
        raise NotImplementedError

    def record_attempt(self, attempt: Attempt) -> None:
        raise NotImplementedError

    def get_install(self, portal_id: int) -> Optional[Install]:
        raise NotImplementedError

    def installs(self) -> List[Install]:
        """Every install, newest first (``updated_at``), then by portal."""
        raise NotImplementedError

    def attempts(self, since: int) -> List[Attempt]:
        """Attempts at or after ``since``, oldest first (``at``, then the order they were appended)."""
        raise NotImplementedError

    def acquire_refresh(self, portal_id: int, holder: str, until: int, now: int) -> bool:
        """Takes the portal's refresh lease (free, or expired before ``now``) until ``until``."""
        raise NotImplementedError

    def release_refresh(self, portal_id: int, holder: str) -> None:
        raise NotImplementedError

    def update_tokens(self, portal_id: int, old_refresh_token: str, access_token: str, refresh_token: str,
                      expires_at: int, now: int) -> bool:
        """Stores refreshed tokens if the row still holds ``old_refresh_token``; False otherwise."""
        raise NotImplementedError

    def purge(self, now: int) -> None:
        """Drops states and finished codes a day past their time (never a pending code)."""

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------------- the SQL both stores share


class _Rollback(Exception):
    """Ends a transaction with a rollback and a value (a refused state: nothing recorded)."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


_INSTALL_COLUMNS = "portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, key_id"


class _SQLStore(Store):
    """The operations, in SQL both dialects run (``?`` placeholders, turned into ``%s`` for
    psycopg2). A subclass supplies ``_tx(work)`` (``work(q)`` inside one transaction, ``q(sql,
    args)`` returning a cursor; raising ``_Rollback(value)`` rolls back and returns value),
    ``_read(sql, args)`` and ``_for_update``."""

    dialect = ""
    _for_update = ""
    keys: KeyRing

    def _tx(self, work: Callable[[Callable[..., Any]], Any]) -> Any:
        raise NotImplementedError

    def _read(self, sql: str, args: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        return list(self._tx(lambda q: q(sql, args).fetchall()))

    # ---- migrations (run by the subclass under the dialect's lock, in one transaction)

    def _migrate_in(self, q: Callable[..., Any], now: int) -> None:
        q("CREATE TABLE IF NOT EXISTS hsinstall_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
          "applied_at BIGINT NOT NULL)")
        current = q("SELECT MAX(version) FROM hsinstall_migrations").fetchone()[0] or 0
        known = schema_migrations(self.dialect)
        top = known[-1][0]
        if current > top:
            raise SettingsError("HSINSTALL_STORE", "the store was migrated by a newer hsinstall (schema version %d; this "
                                "hsinstall knows versions up to %d): upgrade hsinstall on every instance" % (current, top))
        for version, name, sql in known:
            if version <= current:
                continue
            for stmt in split_sql(sql, self.dialect):
                q(stmt)
            q("INSERT INTO hsinstall_migrations (version, name, applied_at) VALUES (?, ?, ?)", (version, name, now))
            if version == 2:
                self._seal_legacy(q)
        held = [r[0] for r in q("SELECT DISTINCT key_id FROM hsinstall_installs WHERE key_id IS NOT NULL").fetchall()]
        missing = [k for k in held if not self.keys.holds(k)]
        if missing:
            raise SettingsError("HSINSTALL_TOKEN_KEY", missing_key_message(missing))

    def _seal_legacy(self, q: Callable[..., Any]) -> None:
        """Version-1 rows (tokens in clear, key_id NULL) sealed with the current key."""
        rows = q("SELECT portal_id, access_token, refresh_token FROM hsinstall_installs WHERE key_id IS NULL").fetchall()
        for pid, access, refresh in rows:
            q("UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, key_id = ? WHERE portal_id = ?",
              (self.keys.seal(access, "access_token", pid), self.keys.seal(refresh, "refresh_token", pid),
               self.keys.sealing_id, pid))

    # ---- sealing

    def _unseal(self, value: str, column: str, portal_id: int) -> str:
        try:
            return self.keys.unseal(value, column, portal_id)
        except SealError as e:
            raise HookError.of(STORE_CORRUPT, "The stored %s of portal %d does not open: %s." % (column, portal_id, e),
                               "Restore the row from a backup, or reinstall the app in that account.") from None

    def _install(self, row: Sequence[Any]) -> Install:
        pid = int(row[0])
        return Install(portal_id=pid, user_id=row[1], hub_domain=row[2], scopes=tuple((row[3] or "").split()),
                       access_token=self._unseal(row[4], "access_token", pid),
                       refresh_token=self._unseal(row[5], "refresh_token", pid),
                       expires_at=int(row[6]), updated_at=int(row[7]))

    # ---- the operations

    def issue_state(self, nonce: str, expires_at: int) -> None:
        self._tx(lambda q: q("INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES (?, ?, NULL)",
                             (nonce, expires_at)))

    def begin_exchange(self, nonce: Optional[str], code_hash: str, now: int) -> Tuple[str, Optional[str]]:
        def work(q: Callable[..., Any]) -> Tuple[str, Optional[str]]:
            # The code first: a primary key, so of two callbacks with one code exactly one inserts
            # (the other waits for the first's commit, then meets the row).
            cur = q("INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES (?, ?, ?) ON CONFLICT (code_hash) DO NOTHING",
                    (code_hash, PENDING, now))
            if cur.rowcount != 1:
                row = q("SELECT outcome FROM hsinstall_codes WHERE code_hash = ?", (code_hash,)).fetchone()
                return "replayed", (None if row is None or row[0] == PENDING else row[0])
            if nonce is not None:
                cur = q("UPDATE hsinstall_states SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ?",
                        (now, nonce, now))
                if cur.rowcount != 1:
                    raise _Rollback(("state_replayed", None))  # nothing recorded for this code
            return "new", None

        verdict: Tuple[str, Optional[str]] = self._tx(work)
        return verdict

    def code_outcome(self, code_hash: str) -> Optional[str]:
        rows = self._read("SELECT outcome FROM hsinstall_codes WHERE code_hash = ?", (code_hash,))
        return rows[0][0] if rows and rows[0][0] != PENDING else None

    def _upsert_install(self, q: Callable[..., Any], i: Install) -> None:
        k = self.keys
        q("INSERT INTO hsinstall_installs (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE SET "
          "user_id = excluded.user_id, hub_domain = excluded.hub_domain, scopes = excluded.scopes, "
          "access_token = excluded.access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, "
          "updated_at = excluded.updated_at, key_id = excluded.key_id" % _INSTALL_COLUMNS,
          (i.portal_id, i.user_id, i.hub_domain, " ".join(i.scopes), k.seal(i.access_token, "access_token", i.portal_id),
           k.seal(i.refresh_token, "refresh_token", i.portal_id), i.expires_at, i.updated_at, k.sealing_id))

    @staticmethod
    def _insert_attempt(q: Callable[..., Any], a: Attempt) -> None:
        q("INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)",
          (a.at, a.outcome, a.reason, a.portal_id, a.detail))

    def finish_exchange(self, code_hash: Optional[str], outcome: str, attempt: Attempt, install: Optional[Install]) -> None:
        def work(q: Callable[..., Any]) -> None:
            if install is not None:
                self._upsert_install(q, install)
            if code_hash is not None:
                q("UPDATE hsinstall_codes SET outcome = ? WHERE code_hash = ?", (outcome, code_hash))
            self._insert_attempt(q, attempt)

        self._tx(work)

    def record_attempt(self, attempt: Attempt) -> None:
        self._tx(lambda q: self._insert_attempt(q, attempt))

    def get_install(self, portal_id: int) -> Optional[Install]:
        rows = self._read("SELECT %s FROM hsinstall_installs WHERE portal_id = ?" % _INSTALL_COLUMNS, (int(portal_id),))
        return self._install(rows[0]) if rows else None

    def installs(self) -> List[Install]:
        return [self._install(r) for r in self._read("SELECT %s FROM hsinstall_installs ORDER BY updated_at DESC, portal_id"
                                                     % _INSTALL_COLUMNS)]

    def attempts(self, since: int) -> List[Attempt]:
        rows = self._read("SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= ? ORDER BY at, id",
                          (since,))
        return [Attempt(*r) for r in rows]

    def acquire_refresh(self, portal_id: int, holder: str, until: int, now: int) -> bool:
        def work(q: Callable[..., Any]) -> bool:
            q("DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND until < ?", (portal_id, now))
            cur = q("INSERT INTO hsinstall_refresh_locks (portal_id, holder, until) VALUES (?, ?, ?) "
                    "ON CONFLICT (portal_id) DO NOTHING", (portal_id, holder, until))
            return cur.rowcount == 1

        return bool(self._tx(work))

    def release_refresh(self, portal_id: int, holder: str) -> None:
        self._tx(lambda q: q("DELETE FROM hsinstall_refresh_locks WHERE portal_id = ? AND holder = ?", (portal_id, holder)))

    def update_tokens(self, portal_id: int, old_refresh_token: str, access_token: str, refresh_token: str,
                      expires_at: int, now: int) -> bool:
        def work(q: Callable[..., Any]) -> bool:
            row = q("SELECT refresh_token FROM hsinstall_installs WHERE portal_id = ?" + self._for_update,
                    (portal_id,)).fetchone()
            if row is None:
                return False
            held = self._unseal(row[0], "refresh_token", portal_id)
            if not hmac.compare_digest(held.encode("utf-8"), old_refresh_token.encode("utf-8")):
                return False
            k = self.keys
            q("UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, expires_at = ?, updated_at = ?, key_id = ? "
              "WHERE portal_id = ?", (k.seal(access_token, "access_token", portal_id),
                                      k.seal(refresh_token, "refresh_token", portal_id), expires_at, now, k.sealing_id,
                                      portal_id))
            return True

        return bool(self._tx(work))

    def purge(self, now: int) -> None:
        def work(q: Callable[..., Any]) -> None:
            q("DELETE FROM hsinstall_states WHERE expires_at < ?", (now - 86400,))
            q("DELETE FROM hsinstall_codes WHERE at < ? AND outcome != ?", (now - 86400, PENDING))

        self._tx(work)

    # ---- the commands

    def rotate_keys(self, batch: int = ROTATE_BATCH) -> int:
        """Re-seals every install row not sealed by the first key, ``batch`` rows per
        transaction (in portal order, one pass); returns how many rows moved."""
        first = self.keys.sealing_id
        moved = 0
        last = _INT64_MIN

        def work(q: Callable[..., Any]) -> Tuple[int, Optional[int]]:
            rows = q("SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs "
                     "WHERE key_id != ? AND portal_id > ? ORDER BY portal_id LIMIT ?" + self._for_update,
                     (first, last, batch)).fetchall()
            for pid, access, refresh, kid in rows:
                a = self._unseal(access, "access_token", pid)
                r = self._unseal(refresh, "refresh_token", pid)
                q("UPDATE hsinstall_installs SET access_token = ?, refresh_token = ?, key_id = ? WHERE portal_id = ? AND key_id = ?",
                  (self.keys.seal(a, "access_token", pid), self.keys.seal(r, "refresh_token", pid), first, pid, kid))
            return len(rows), (rows[-1][0] if rows else None)

        while True:
            n, end = self._tx(work)
            moved += n
            if end is None or n < batch:
                return moved
            last = end

    def schema_version(self) -> int:
        return int(self._read("SELECT MAX(version) FROM hsinstall_migrations")[0][0] or 0)


# ---------------------------------------------------------------------------- SQLite


class SQLiteStore(_SQLStore):
    """The embedded default: one SQLite file (stdlib ``sqlite3``) in WAL mode, shared safely by
    threads and by processes on one machine. Writes take the database's write lock
    (``BEGIN IMMEDIATE``), so the checks in :meth:`begin_exchange` and the refresh lease hold
    across processes. ``keys``: the token key ring (default: from HSINSTALL_TOKEN_KEY)."""

    dialect = "sqlite"

    def __init__(self, path: str, *, keys: Optional[KeyRing] = None, timeout: float = 30.0,
                 synchronous: str = "FULL") -> None:
        self.keys = keys if keys is not None else KeyRing.from_env()
        self.path = path
        self._timeout = timeout
        self._synchronous = synchronous
        self._pool: "queue.LifoQueue[sqlite3.Connection]" = queue.LifoQueue()
        self._memory = path == ":memory:"
        self._all: List[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Writers of this process queue here rather than in SQLite's busy handler, whose sleeps
        # (1, 2, 5, ... 100 ms) make the tail latency; other processes still meet BEGIN IMMEDIATE.
        self._write = threading.Lock()
        if self._memory:  # one shared connection, serialised by the pool
            self.path = "file:hsinstall-%s?mode=memory&cache=shared" % secrets.token_hex(8)
        elif os.path.dirname(os.path.abspath(path)):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        c = self._connect()
        self._pool.put(c)
        try:
            self._tx(lambda q: self._migrate_in(q, int(time.time())))
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(cls, url: str, keys: Optional[KeyRing] = None) -> "SQLiteStore":
        dialect, path = parse_store_url(url)
        if dialect != "sqlite":
            raise SettingsError("HSINSTALL_STORE", "not a sqlite:/// URL")
        return cls(path, keys=keys)

    def _connect(self) -> sqlite3.Connection:
        c = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False,
                            uri=self.path.startswith("file:"))
        c.execute("PRAGMA busy_timeout=%d" % int(self._timeout * 1000))
        if not self._memory:
            # Switching a fresh file to WAL takes an exclusive lock and may answer "locked" at once
            # (without the busy handler) while another process does the same: try again.
            deadline = time.monotonic() + self._timeout
            while True:
                try:
                    c.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.005 + 0.02 * random.random())
        c.execute("PRAGMA synchronous=%s" % self._synchronous)
        with self._lock:
            self._all.append(c)
        return c

    def _conn(self) -> sqlite3.Connection:
        if self._memory:  # the one connection: an in-memory database lives and dies with it
            return self._pool.get()
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return self._connect()

    def _read(self, sql: str, args: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        c = self._conn()
        try:
            return c.execute(sql, args).fetchall()
        finally:
            self._pool.put(c)

    def _tx(self, work: Callable[[Callable[..., Any]], Any]) -> Any:
        c = self._conn()
        try:
            with self._write:
                c.execute("BEGIN IMMEDIATE")
                try:
                    result = work(lambda sql, args=(): c.execute(sql, args))
                except _Rollback as r:
                    c.execute("ROLLBACK")
                    return r.value
                except BaseException:
                    if c.in_transaction:
                        c.execute("ROLLBACK")
                    raise
                c.execute("COMMIT")
                return result
        finally:
            self._pool.put(c)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            try:
                c.close()
            except sqlite3.Error:
                pass


# ---------------------------------------------------------------------------- PostgreSQL


def _pg() -> Any:
    try:
        import psycopg2
        import psycopg2.extensions
    except ImportError:  # pragma: no cover - Debian's python3-psycopg2 is a dependency of the PostgreSQL store
        raise SettingsError("HSINSTALL_STORE", "a postgresql:// store needs psycopg2 (Debian: apt-get install python3-psycopg2; "
                            "elsewhere: pip install psycopg2)") from None
    return psycopg2


def _connection_lost(e: BaseException, conn: Any) -> bool:
    """Whether a psycopg2 error means the connection or the server is gone (as opposed to an
    error of the statement): refused, restarting, shut down, a dropped connection."""
    psycopg2 = _pg()
    if isinstance(e, psycopg2.InterfaceError):
        return True
    if not isinstance(e, psycopg2.OperationalError):
        return False
    if conn is not None and getattr(conn, "closed", 0):
        return True
    code = getattr(e, "pgcode", None)
    return code is None or code.startswith("08") or code.startswith("57P") or code == "53300"


class PostgresStore(_SQLStore):
    """A PostgreSQL database shared by any number of hook processes, Python and Node alike
    (psycopg2). Every operation is one transaction on a pooled connection (at most
    ``pool_size`` per process; a broken one is dropped, the next call opens a new one). When the
    server cannot be reached the call raises HookError ``hook.store_unavailable`` (retryable)."""

    dialect = "postgresql"
    _for_update = " FOR UPDATE"

    def __init__(self, url: str, *, keys: Optional[KeyRing] = None, pool_size: int = 16, connect_timeout: int = 10,
                 wait: float = 30.0) -> None:
        self.keys = keys if keys is not None else KeyRing.from_env()
        self._pg = _pg()
        self.url = url
        self._connect_timeout = connect_timeout
        self._wait = wait
        self._slots = threading.BoundedSemaphore(pool_size)
        self._idle: List[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._tx(self._migrate)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(cls, url: str, keys: Optional[KeyRing] = None) -> "PostgresStore":
        return cls(url, keys=keys)

    def _migrate(self, q: Callable[..., Any]) -> None:
        q("SELECT pg_advisory_xact_lock(%d)" % MIGRATION_LOCK)
        self._migrate_in(q, int(time.time()))

    def _open(self) -> Any:
        try:
            conn = self._pg.connect(self.url, connect_timeout=self._connect_timeout, application_name="hsinstall-hook")
        except self._pg.OperationalError as e:
            raise unavailable("cannot connect: %s" % _first_line(e)) from None
        except self._pg.ProgrammingError as e:  # libpq refused the URL itself
            raise SettingsError("HSINSTALL_STORE", "is not a PostgreSQL URL libpq accepts (%s)" % _first_line(e)) from None
        return conn

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for c in idle:
            try:
                c.close()
            except Exception:
                pass

    def _tx(self, work: Callable[[Callable[..., Any]], Any]) -> Any:
        psycopg2 = self._pg
        if self._closed:
            raise unavailable("the store is closed")
        if not self._slots.acquire(timeout=self._wait):
            raise unavailable("every pooled connection stayed busy for %.0f s" % self._wait)
        try:
            for attempt in range(4):
                with self._lock:
                    conn = self._idle.pop() if self._idle else None
                reused = conn is not None
                if conn is None:
                    conn = self._open()
                sent = [False]

                def q(sql: str, args: Sequence[Any] = ()) -> Any:
                    cur.execute(sql.replace("?", "%s") if args else sql, tuple(args) if args else None)
                    sent[0] = True
                    return cur

                try:
                    with conn.cursor() as cur:
                        result = work(q)
                    conn.commit()
                except _Rollback as r:
                    # A connection lost meanwhile rolled back too: the verdict stands, the connection goes.
                    self._rollback_or_close(conn)
                    return r.value
                except psycopg2.extensions.TransactionRollbackError:  # deadlock or serialization: run it again
                    self._rollback_or_close(conn)
                    if attempt < 3:
                        time.sleep(0.01 * (attempt + 1))
                        continue
                    raise
                except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
                    if not _connection_lost(e, conn):
                        self._rollback_or_close(conn)
                        raise
                    try:
                        conn.close()
                    except Exception:
                        pass
                    self._drop_idle()  # the server went away: the other idle connections are as dead
                    if reused and not sent[0] and attempt == 0:
                        continue  # a pooled connection found dead before anything ran on it: a fresh one
                    raise unavailable(_first_line(e)) from None
                except BaseException:
                    self._rollback_or_close(conn)
                    raise
                self._put(conn)
                return result
            raise unavailable("gave up")  # pragma: no cover
        finally:
            self._slots.release()

    def _rollback_or_close(self, conn: Any) -> None:
        try:
            conn.rollback()
        except Exception:
            try:
                conn.close()
            except Exception:
                pass
            return
        self._put(conn)

    def _put(self, conn: Any) -> None:
        if conn.closed or self._closed:
            try:
                conn.close()
            except Exception:
                pass
            return
        with self._lock:
            self._idle.append(conn)

    def close(self) -> None:
        self._closed = True
        self._drop_idle()


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return _hide_password(text[0]) if text else type(e).__name__


# ---------------------------------------------------------------------------- opening, the commands


def open_store(url: str, keys: Optional[KeyRing] = None) -> _SQLStore:
    """The store a URL names (HSINSTALL_STORE), migrated to the current schema, its key ring
    checked against the rows (``keys`` default: from HSINSTALL_TOKEN_KEY)."""
    dialect, where = parse_store_url(url)
    if dialect == "postgresql":
        return PostgresStore(where, keys=keys)
    return SQLiteStore(where, keys=keys)


def rotate_key(url: str, keys: Optional[KeyRing] = None, batch: int = ROTATE_BATCH) -> int:
    """``rotate-key``: re-seals every install row of the store with the ring's first key."""
    store = open_store(url, keys)
    try:
        return store.rotate_keys(batch)
    finally:
        store.close()


def migrate_store(from_url: str, to_url: str, keys: Optional[KeyRing] = None, now: Optional[int] = None,
                  batch: int = 500) -> Dict[str, int]:
    """``migrate-store``: both stores migrated to the current schema, then installs (still
    sealed: the AAD names portal and column, not the database), unexpired states, codes and the
    attempt log copied from one to the other. A portal already in the target keeps the newer
    row (``updated_at``); a state or code already there is kept (a state used in either stays
    used, a pending code takes the source's final outcome); an attempt is copied unless the
    target already holds as many identical rows (at, outcome, reason, portal_id, detail), so a
    rerun copies nothing twice. Returns the counts copied."""
    keys = keys if keys is not None else KeyRing.from_env()
    now = int(time.time()) if now is None else now
    src = open_store(from_url, keys)
    try:
        dst = open_store(to_url, keys)
        try:
            return _copy(src, dst, now, batch)
        finally:
            dst.close()
    finally:
        src.close()


def _chunks(rows: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def _copy(src: _SQLStore, dst: _SQLStore, now: int, batch: int) -> Dict[str, int]:
    counts = {"installs": 0, "states": 0, "codes": 0, "attempts": 0}
    installs = src._read("SELECT %s FROM hsinstall_installs ORDER BY portal_id" % _INSTALL_COLUMNS)
    for part in _chunks(installs, batch):
        def put_installs(q: Callable[..., Any], part: Sequence[Any] = part) -> int:
            n = 0
            for row in part:
                cur = q("INSERT INTO hsinstall_installs (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (portal_id) DO UPDATE "
                        "SET user_id = excluded.user_id, hub_domain = excluded.hub_domain, scopes = excluded.scopes, "
                        "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
                        "expires_at = excluded.expires_at, updated_at = excluded.updated_at, key_id = excluded.key_id "
                        "WHERE hsinstall_installs.updated_at < excluded.updated_at" % _INSTALL_COLUMNS, tuple(row))
                n += max(cur.rowcount, 0)
            return n
        counts["installs"] += dst._tx(put_installs)
    states = src._read("SELECT nonce, expires_at, used_at FROM hsinstall_states WHERE expires_at > ? ORDER BY nonce", (now,))
    for part in _chunks(states, batch):
        def put_states(q: Callable[..., Any], part: Sequence[Any] = part) -> int:
            n = 0
            for nonce, exp, used in part:
                cur = q("INSERT INTO hsinstall_states (nonce, expires_at, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING",
                        (nonce, exp, used))
                if cur.rowcount == 1:
                    n += 1
                elif used is not None:  # used in the source: used in the target too
                    q("UPDATE hsinstall_states SET used_at = ? WHERE nonce = ? AND used_at IS NULL", (used, nonce))
            return n
        counts["states"] += dst._tx(put_states)
    codes = src._read("SELECT code_hash, outcome, at FROM hsinstall_codes ORDER BY code_hash")
    for part in _chunks(codes, batch):
        def put_codes(q: Callable[..., Any], part: Sequence[Any] = part) -> int:
            n = 0
            for code_hash, outcome, at in part:
                cur = q("INSERT INTO hsinstall_codes (code_hash, outcome, at) VALUES (?, ?, ?) ON CONFLICT (code_hash) DO NOTHING",
                        (code_hash, outcome, at))
                if cur.rowcount == 1:
                    n += 1
                elif outcome != PENDING:
                    q("UPDATE hsinstall_codes SET outcome = ? WHERE code_hash = ? AND outcome = ?", (outcome, code_hash, PENDING))
            return n
        counts["codes"] += dst._tx(put_codes)
    attempts = src._read("SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts ORDER BY at, id")
    if attempts:
        lo, hi = attempts[0][0], attempts[-1][0]
        have = collections.Counter(tuple(r) for r in dst._read(
            "SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts WHERE at >= ? AND at <= ?", (lo, hi)))
        todo = []
        for r in attempts:
            t = tuple(r)
            if have[t] > 0:
                have[t] -= 1
            else:
                todo.append(t)
        for part in _chunks(todo, batch):
            def put_attempts(q: Callable[..., Any], part: Sequence[Any] = part) -> int:
                for t in part:
                    q("INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)", t)
                return len(part)
            counts["attempts"] += dst._tx(put_attempts)
    return counts
