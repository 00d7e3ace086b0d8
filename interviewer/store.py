"""Sessions and turns in SQL (SQLite by default, any SQLAlchemy URL by setting).

Every turn is committed as it happens, so a refresh, a crash or an outage loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, Text, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from interviewer.models import SessionState, Turn


class _Base(DeclarativeBase):
    pass


class SessionRow(_Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    finished: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))
    updated_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))
    state: Mapped[str] = mapped_column(Text)
    """The SessionState as JSON."""


class TurnRow(_Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    """The Turn as JSON."""


class Store:
    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        _Base.metadata.create_all(self.engine)

    def create(self, state: SessionState) -> None:
        with Session(self.engine) as db, db.begin():
            db.add(_row(state))

    def append(self, session_id: str, turns: list[Turn], state: SessionState | None = None) -> None:
        """Commit turns (and the new state) in one transaction (Core statements: on every turn)."""
        with self.engine.begin() as db:
            if turns:
                seq = db.scalar(select(func.count()).where(TurnRow.session_id == session_id)) or 0
                rows = [
                    {"session_id": session_id, "seq": seq + n, "data": t.model_dump_json()}
                    for n, t in enumerate(turns)
                ]
                db.execute(insert(TurnRow), rows)
            if state is not None:
                values = {"state": state.model_dump_json(), "finished": state.finished}
                updated = db.execute(
                    update(SessionRow)
                    .where(SessionRow.id == session_id)
                    .values(**values, updated_at=datetime.now(UTC))
                )
                if updated.rowcount != 1:
                    raise KeyError(f"no session {session_id!r}")

    def load(self, session_id: str) -> tuple[SessionState, list[Turn]] | None:
        with Session(self.engine) as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                return None
            rows = db.scalars(
                select(TurnRow.data).where(TurnRow.session_id == session_id).order_by(TurnRow.seq)
            )
            turns = [Turn.model_validate_json(data) for data in rows]
            return SessionState.model_validate_json(row.state), turns

    def recent(self, limit: int = 20) -> list[SessionState]:
        with Session(self.engine) as db:
            rows = db.scalars(select(SessionRow.state).order_by(SessionRow.updated_at.desc()).limit(limit))
            return [SessionState.model_validate_json(data) for data in rows]


def _row(state: SessionState) -> SessionRow:
    return SessionRow(
        id=state.id,
        case=state.case.value,
        level=state.level.value,
        provider=state.provider,
        finished=state.finished,
        state=state.model_dump_json(),
    )


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    in_memory = path in ("", ":memory:", "sqlite://")
    if not in_memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    pool = {"poolclass": StaticPool} if in_memory else {}  # one shared in-memory database for all threads
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **pool)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe against crashes of the app
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
