"""Fast bulk inserts for imports: SQLite `executemany`, PostgreSQL `COPY`.

Values are given as domain values (Decimal amounts, dates); this module turns them into what
each column stores, exactly as the SQLAlchemy types would, without per-row SQL compilation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Date, Table

from relance.adapters.tables import Money


def cents(value: Decimal | None) -> int | None:
    if value is None:
        return None
    cents = value.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"amount has more than two decimals: {value}")
    return int(cents)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _converter(column_type: Any, dialect: str) -> Callable[[Any], Any] | None:
    if isinstance(column_type, Money):
        return cents
    if isinstance(column_type, Date) and dialect == "sqlite":
        return _iso
    return None


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]],
    *, converted: bool = False,
) -> None:
    """Insert positional rows into `columns` of `table`, in the caller's transaction.

    With `converted`, the rows already hold what the columns store (integer cents, and ISO
    date strings on SQLite), as the hottest import paths prepare them.
    """
    if not rows:
        return
    dialect = conn.dialect.name
    converters = [_converter(table.c[name].type, dialect) for name in columns]
    if any(converters) and not converted:
        pairs = [(i, f) for i, f in enumerate(converters) if f is not None]
        ready: list[tuple[Any, ...]] = []
        append = ready.append
        for row in rows:
            values = list(row)
            for i, f in pairs:
                values[i] = f(values[i])
            append(tuple(values))
        rows = ready
    names = ", ".join(columns)
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
            f"COPY {table.name} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
                         [row if type(row) is tuple else tuple(row) for row in rows])


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, to insert them in bulk and still know their ids.

    PostgreSQL draws them from the table's sequence. SQLite has one writer at a time: a
    concurrent writer between this read and our insert makes our transaction fail (busy or
    unique violation), never gives two rows one id.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            f"FROM generate_series(1, {int(count)})"
        )
        return [int(r[0]) for r in rows]
    start = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))
