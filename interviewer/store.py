"""Sessions, turns and self-grades in SQL (SQLite by default, any SQLAlchemy URL by setting).

Every turn is committed as it happens, so a refresh, a crash or an outage loses nothing.

Turns are numbered (`seq`, unique per session), so several app processes can serve one session
(replicas behind a load balancer, on one PostgreSQL): a process that writes a turn the database
already has from another one gets `StaleSession` and nothing of its write is kept.

Each session and grade carries its owner (`interviewer.identity`). `Store(url)` sees everything (the
terminal, the evals); `store.owned_by(owner)` is the same database seen by one person: it lists,
opens, resumes, appends to and deletes only that person's rows, and a session id of someone else's
behaves as if it did not exist.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from common.base import Strict
from common.errors import StaleSession
from common.ids import CaseId, Stage
from interviewer.models import SessionState, Turn
from rubric.scoring import Scorecard, StageScore


class _Base(DeclarativeBase):
    pass


class SessionRow(_Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    finished: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    """With its zone (PostgreSQL: timestamptz), so replicas in different zones order alike."""
    state: Mapped[str] = mapped_column(Text)
    """The SessionState as JSON."""
    owner: Mapped[str | None] = mapped_column(String(80), index=True, nullable=True)
    """Who the session belongs to (`interviewer.identity`); null for sessions stored before owners
    (only the unscoped store sees those)."""
    usage: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The session's model usage (`SessionUsage`) as JSON."""


class TurnRow(_Base):
    __tablename__ = "turns"
    __table_args__ = (Index("turns_session_seq", "session_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    """The Turn as JSON."""


class GradeRow(_Base):
    __tablename__ = "grades"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(80), index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    data: Mapped[str] = mapped_column(Text)
    """The SelfGrade as JSON."""


class SessionUsage(Strict):
    """Model tokens a session spent (voice, turn judge and grader together)."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    model: str | None = None
    """The chat model that spent them, for a cost estimate."""

    def plus(self, other: SessionUsage) -> SessionUsage:
        return SessionUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            calls=self.calls + other.calls,
            model=other.model or self.model,
        )


class SelfGrade(Strict):
    """One self-grading: a single answer (a stage) or a whole transcript, with the person's own
    scores given before the grade was shown."""

    id: str
    case: CaseId
    kind: Literal["answer", "transcript", "drill"]
    stages: list[StageScore]
    """The grade: one entry for an answer, seven for a transcript."""
    self_scores: dict[Stage, int] = {}
    scorecard: Scorecard | None = None
    """For a transcript: the whole scorecard."""
    drill: str | None = None
    """The drill this answer belonged to, if any."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Store:
    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        self.owner: str | None = None
        """Whose rows this view sees; None: everyone's."""
        _create_schema(self.engine)

    def owned_by(self, owner: str) -> Store:
        """The same database, seen by one owner (shares the connection pool)."""
        if not owner:
            raise ValueError("an owner is needed")
        view = copy.copy(self)
        view.owner = owner
        return view

    # ------------------------------------------------------------ sessions

    def create(self, state: SessionState) -> None:
        with Session(self.engine) as db, db.begin():
            db.add(_row(state, self.owner))

    def append(
        self, session_id: str, turns: list[Turn], state: SessionState | None = None, at: int | None = None
    ) -> None:
        """Commit turns (and the new state) in one transaction (Core statements: on every turn).

        `at`: the number of turns the caller has seen, so the first new turn's position; when the
        session has a turn there already (another process wrote it), raises `StaleSession` and
        stores nothing. Without it, the turns go at the end."""
        try:
            with self.engine.begin() as db:
                if self.owner is not None and not self._has(db, session_id):
                    raise KeyError(f"no session {session_id!r}")
                if turns:
                    _insert_turns(db, session_id, turns, at)
                if state is not None:
                    _update_state(db, session_id, state)
        except IntegrityError as exc:  # the turn numbers' uniqueness, or no such session
            with self.engine.connect() as db:
                known = self._has(db, session_id)
            if not known:
                raise KeyError(f"no session {session_id!r}") from None
            raise StaleSession(f"session {session_id} has a newer turn than this process saw") from exc

    def _has(self, db: Connection, session_id: str) -> bool:
        return db.scalar(self._mine(select(SessionRow.id), session_id)) is not None

    def load(self, session_id: str) -> tuple[SessionState, list[Turn]] | None:
        """The session and its turns; None when there is none, or it is someone else's."""
        with Session(self.engine) as db:
            found = db.scalar(self._mine(select(SessionRow.state), session_id))
            if found is None:
                return None
            rows = db.scalars(
                select(TurnRow.data).where(TurnRow.session_id == session_id).order_by(TurnRow.seq)
            )
            turns = [Turn.model_validate_json(data) for data in rows]
            return SessionState.model_validate_json(found), turns

    def turn_count(self, session_id: str) -> int:
        """How many turns the session has stored (0 when there is none of this owner's)."""
        query = (
            select(func.count()).select_from(TurnRow).join(SessionRow, SessionRow.id == TurnRow.session_id)
        )
        with self.engine.connect() as db:
            return db.scalar(self._mine(query, session_id)) or 0

    def recent(self, limit: int = 20) -> list[SessionState]:
        """The latest sessions (this owner's only, in an owner's view), newest first."""
        query = select(SessionRow.state).order_by(SessionRow.updated_at.desc()).limit(limit)
        if self.owner is not None:
            query = query.where(SessionRow.owner == self.owner)
        with Session(self.engine) as db:
            return [SessionState.model_validate_json(data) for data in db.scalars(query)]

    def delete(self, session_id: str) -> bool:
        """Delete a session and its turns; False when there is none of this owner's by that id."""
        with self.engine.begin() as db:
            if db.scalar(self._mine(select(SessionRow.id), session_id)) is None:
                return False
            db.execute(delete(TurnRow).where(TurnRow.session_id == session_id))
            db.execute(delete(SessionRow).where(SessionRow.id == session_id))
            return True

    def add_usage(self, session_id: str, used: SessionUsage) -> SessionUsage:
        """Add model usage to a session's total; returns the new total."""
        with self.engine.begin() as db:
            mine = self._mine(select(SessionRow.id, SessionRow.usage), session_id)
            found = db.execute(mine.with_for_update()).first()  # two replicas add without a lost update
            if found is None:
                raise KeyError(f"no session {session_id!r}")
            total = _usage(found.usage).plus(used)
            db.execute(
                update(SessionRow).where(SessionRow.id == session_id).values(usage=total.model_dump_json())
            )
            return total

    def usage(self, session_id: str) -> SessionUsage:
        with Session(self.engine) as db:
            return _usage(db.scalar(self._mine(select(SessionRow.usage), session_id)))

    def _mine(self, query, session_id: str):  # type: ignore[no-untyped-def]
        query = query.where(SessionRow.id == session_id)
        return query if self.owner is None else query.where(SessionRow.owner == self.owner)

    # ------------------------------------------------------------ self-grades

    def save_grade(self, grade: SelfGrade) -> None:
        with Session(self.engine) as db, db.begin():
            db.add(GradeRow(id=grade.id, owner=self.owner, created_at=grade.at, data=grade.model_dump_json()))

    def grades(self, limit: int = 100) -> list[SelfGrade]:
        """The latest self-grades (this owner's only, in an owner's view), newest first."""
        query = select(GradeRow.data).order_by(GradeRow.created_at.desc()).limit(limit)
        if self.owner is not None:
            query = query.where(GradeRow.owner == self.owner)
        with Session(self.engine) as db:
            return [SelfGrade.model_validate_json(data) for data in db.scalars(query)]

    def delete_grade(self, grade_id: str) -> bool:
        query = delete(GradeRow).where(GradeRow.id == grade_id)
        if self.owner is not None:
            query = query.where(GradeRow.owner == self.owner)
        with self.engine.begin() as db:
            return bool(db.execute(query).rowcount)


def _insert_turns(db: Connection, session_id: str, turns: list[Turn], at: int | None) -> None:
    """Turns numbered from `at` (default: after the last one); a taken number fails the insert."""
    if at is None:
        at = db.scalar(select(func.count()).where(TurnRow.session_id == session_id)) or 0
    rows = [
        {"session_id": session_id, "seq": at + n, "data": t.model_dump_json()} for n, t in enumerate(turns)
    ]
    db.execute(insert(TurnRow), rows)


def _update_state(db: Connection, session_id: str, state: SessionState) -> None:
    values = {"state": state.model_dump_json(), "finished": state.finished, "updated_at": datetime.now(UTC)}
    updated = db.execute(update(SessionRow).where(SessionRow.id == session_id).values(**values))
    if updated.rowcount != 1:
        raise KeyError(f"no session {session_id!r}")


def _usage(data: str | None) -> SessionUsage:
    return SessionUsage.model_validate_json(data) if data else SessionUsage()


def _row(state: SessionState, owner: str | None) -> SessionRow:
    return SessionRow(
        id=state.id,
        case=state.case.value,
        level=state.level.value,
        provider=state.provider,
        finished=state.finished,
        state=state.model_dump_json(),
        owner=owner,
    )


SCHEMA_LOCK = 0x6D6C7364  # "mlsd": PostgreSQL's advisory lock around creating the tables


def _create_schema(engine: Engine) -> None:
    """The tables, columns and indexes, created or brought up to date in one transaction; on
    PostgreSQL under an advisory lock, so replicas starting together on an empty database do not
    both create a table."""
    with engine.begin() as db:
        if db.dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        _Base.metadata.create_all(db)
        _add_missing_columns(db)
        _add_turn_numbers_index(db)


def _add_turn_numbers_index(db: Connection) -> None:
    """The turn numbers' uniqueness. A database from before it may hold a session whose turns
    share a number (two windows wrote at once): those are renumbered in their stored order first."""
    present = {i["name"] for i in inspect(db).get_indexes("turns")}
    for index in _Base.metadata.tables["turns"].indexes:
        if index.unique and index.name not in present:
            twice = (
                select(TurnRow.session_id).group_by(TurnRow.session_id, TurnRow.seq).having(func.count() > 1)
            )
            for session_id in set(db.scalars(twice)):
                ids = db.scalars(
                    select(TurnRow.id)
                    .where(TurnRow.session_id == session_id)
                    .order_by(TurnRow.seq, TurnRow.id)
                )
                for seq, turn_id in enumerate(list(ids)):
                    db.execute(update(TurnRow).where(TurnRow.id == turn_id).values(seq=seq))
            index.create(db)


def _add_missing_columns(db: Connection) -> None:
    """Databases made before a column existed get it (nullable, so old rows stay valid)."""
    for table in (_Base.metadata.tables["sessions"], _Base.metadata.tables["grades"]):
        present = {c["name"] for c in inspect(db).get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(db.dialect)
                db.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(_with_driver(make_url(url)), pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    in_memory = path in ("", ":memory:", "sqlite://")
    if not in_memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    pool = {"poolclass": StaticPool} if in_memory else {}  # one shared in-memory database for all threads
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **pool)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _with_driver(url: URL) -> URL:
    """`postgresql://` (or `postgres://`) means psycopg 3, the driver the `postgres` extra installs
    (SQLAlchemy's own default is psycopg2)."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe against crashes of the app
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
