"""An identity map per table: objects loaded once per unit of work, written back only if changed.

Each loaded object's row is kept as a snapshot; ``save`` inserts what is new and updates what differs
from its snapshot, with one executemany per table (PLATFORM-NOTES: batching is the lever).
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, and_, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
Key = tuple[Any, ...]


class Tracked(Generic[T]):
    def __init__(self, table: Table, to_row: Callable[[T], dict[str, Any]], from_row: Callable[[Any], T]) -> None:
        self.table = table
        self._to_row = to_row
        self._from_row = from_row
        self._keys = tuple(c.name for c in table.primary_key.columns)
        self._objects: dict[Key, T] = {}
        self._saved: dict[Key, dict[str, Any]] = {}
        self._absent: set[Key] = set()

    def _key(self, row: dict[str, Any]) -> Key:
        return tuple(row[k] for k in self._keys)

    def adopt(self, rows: Iterable[Any]) -> list[T]:
        """Objects for loaded rows; an object already in the map wins over a fresh copy of its row."""
        out = []
        for r in rows:
            obj = self._from_row(r)
            row = self._to_row(obj)
            key = self._key(row)
            if key not in self._objects:
                self._objects[key] = obj
                self._saved[key] = row
            out.append(self._objects[key])
        return out

    def add(self, obj: T) -> None:
        key = self._key(self._to_row(obj))
        self._objects[key] = obj
        self._absent.discard(key)

    def get(self, *key: Any) -> T | None:
        return self._objects.get(key)

    def known(self, *key: Any) -> bool:
        return key in self._objects or key in self._absent

    def absent(self, keys: Iterable[Key]) -> None:
        self._absent.update(k for k in keys if k not in self._objects)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._objects.values()))

    async def save(self, conn: AsyncConnection) -> None:
        new, changed = [], []
        for key, obj in self._objects.items():
            row = self._to_row(obj)
            saved = self._saved.get(key)
            if saved is None:
                new.append(row)
            elif saved != row:
                changed.append(row)
            self._saved[key] = row
        if new:
            await conn.execute(insert(self.table), new)
        if changed:
            where = and_(*(self.table.c[k] == bindparam(f"key_{k}") for k in self._keys))
            await conn.execute(
                update(self.table).where(where), [{**r, **{f"key_{k}": r[k] for k in self._keys}} for r in changed]
            )
