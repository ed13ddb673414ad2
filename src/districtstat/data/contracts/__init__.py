"""Data contracts: what each input file must look like, and a check of a whole dataset against them.

Each input entity has a Table Schema in ``data_contracts/``. A data steward hands over a folder with
one file per entity; :func:`validate_dataset` says, by file and line, everything to fix before any
analysis runs, and hands the typed tables on to the next stage.

Every frame read here is indexed by the file's own line number (index name ``line``; for Parquet, the
row number from 1), so any later stage can still point the steward at the line to fix.

The submodules, one concern each (every name is re-exported here, so ``districtstat.data.contracts.validate_dataset``
and the like keep working):

- ``models``: the contract itself, the pydantic models its YAML is read into (`Contract`, `Field`, `Constraints`,
  `CodeSet`, `ForeignKey`, `Reference`, `RowRule`);
- ``loading``: reading contract files (`load_contract`, `load_contracts`), explaining every mistake in them
  (`ContractError`) and replacing a code set a project declares (`with_code_set`);
- ``pandera_schema``: a contract compiled to a pandera schema (`to_pandera`);
- ``reading``: a CSV or Parquet file as text indexed by file line, whole (`read_raw`) or in chunks that keep the
  lines (`read_raw_chunks`), or why it is not a table (`DataFileError`);
- ``typed``: the text read as the contract's types (`read_typed`);
- ``checking``: a dataset checked file by file, chunk by chunk and key by key (`validate_dataset`); a file too large
  to hold is spooled typed to Parquet (`districtstat.data.spool`) for `districtstat.data.partitioned` to aggregate;
- ``report``: what the check found (`Failure`, `ValidationReport`), as lines and as data_quality.json's summary.
"""

from districtstat.data.contracts.checking import _check_types, _check_values, _DataFile, validate_dataset
from districtstat.data.contracts.loading import ContractError, load_contract, load_contracts, with_code_set
from districtstat.data.contracts.models import CodeSet, Constraints, Contract, Field, ForeignKey, Reference, RowRule
from districtstat.data.contracts.pandera_schema import to_pandera
from districtstat.data.contracts.reading import DataFileError, read_raw, read_raw_chunks
from districtstat.data.contracts.report import Failure, ValidationReport
from districtstat.data.contracts.typed import _typed, read_typed

__all__ = [
    "CodeSet",
    "Constraints",
    "Contract",
    "ContractError",
    "DataFileError",
    "Failure",
    "Field",
    "ForeignKey",
    "Reference",
    "RowRule",
    "ValidationReport",
    "load_contract",
    "load_contracts",
    "read_raw",
    "read_raw_chunks",
    "read_typed",
    "to_pandera",
    "validate_dataset",
    "with_code_set",
    # surveys.checking checks answer cells with the same steps as a data file
    "_DataFile",
    "_check_types",
    "_check_values",
    "_typed",
]
