"""The read models' unit of work (public page, console, bot): handlers note row changes in ``uow.rows``, written
at commit for the whole batch in a few statements."""

from typing import Self

from services.public.rows import RowChanges
from shared.messaging import UnitOfWork


class ReadModelUnitOfWork(UnitOfWork):
    rows: RowChanges

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.rows = RowChanges(self.conn)
        return self

    async def save_state(self) -> None:
        await self.rows.write()
