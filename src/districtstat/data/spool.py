"""Spooled tables: a typed table too large to hold in memory, written to Parquet one chunk at a time and read back in
the same pieces, in file order.

Validation spools a file it reads in chunks (see `contracts.checking`); aggregation reads the spool a piece at a time
(see `partitioned`). Each chunk is one row group, and the file's line numbers are kept in the column ``line``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet as parquet

LINE = "line"


class SpooledTable:
    """A typed table in a Parquet file, read whole (`read`) or a row group at a time (`pieces`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SpooledTable({self.path.name}, {len(self):,} rows)"

    def __len__(self) -> int:
        return parquet.ParquetFile(self.path).metadata.num_rows

    @property
    def columns(self) -> list[str]:
        return [name for name in parquet.ParquetFile(self.path).schema_arrow.names if name != LINE]

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def pieces(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The table a row group at a time, indexed by file line when all columns are read."""
        source = parquet.ParquetFile(self.path)
        for group in range(source.num_row_groups):
            yield source.read_row_group(group, columns=columns).to_pandas()

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        return parquet.read_table(self.path, columns=columns).to_pandas()


class SpoolWriter:
    """Appends typed chunks, all of the first chunk's schema, to one Parquet file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema: pyarrow.Schema | None = None
        self._writer: parquet.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        frame = frame.rename_axis(LINE)
        table = pyarrow.Table.from_pandas(frame, schema=self._schema, preserve_index=True)
        if self._writer is None:
            self._schema = table.schema
            self._writer = parquet.ParquetWriter(self.path, self._schema)
        self._writer.write_table(table)

    def close(self) -> SpooledTable:
        if self._writer is not None:
            self._writer.close()
        return SpooledTable(self.path)


def as_frame(table: pd.DataFrame | SpooledTable | None, columns: list[str] | None = None) -> pd.DataFrame | None:
    """A table held or spooled, as a frame (of only `columns`, when given)."""
    if isinstance(table, SpooledTable):
        return table.read(columns)
    return table if table is None or columns is None else table[columns]
