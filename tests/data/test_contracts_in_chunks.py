"""A file read and checked in chunks says exactly what a whole read says: the same values on the same lines, the same
failures, the same typed table. Chunks are made tiny here so that every rule meets a chunk boundary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from districtstat.data.contracts import DataFileError, load_contracts, read_raw, validate_dataset
from districtstat.data.contracts import checking
from districtstat.data.contracts.reading import read_raw_chunks
from districtstat.data.spool import SpooledTable
from districtstat.data.synthetic.files import write_consortium
from districtstat.data.synthetic.spec import ConsortiumSpec

CONTRACTS_DIR = Path(__file__).parents[2] / "data_contracts"

TRICKY = (
    '# a comment with a "quote\n'
    "# and a second\n"
    "school_id,district_id,school_name,school_level\n"
    '"S001",D001,"Riverside\nNorth Campus",elementary\n'
    "# a comment between rows\n"
    'S002,D001,"He said ""hi""",middle\n'
    "\n"
    "S003,D002,Hillcrest,elementary\r\n"
    'S004,D002,"#not a comment\n#nor this",high\n'
    "S005,D002,Last row without a line break,high"
)


def read_both(path: Path, chunk_bytes: int):
    def attempt(read):
        try:
            return read(), None
        except DataFileError as exc:
            return None, [failure.format() for failure in exc.failures]

    whole = attempt(lambda: read_raw(path, display=path.name))
    pieces = attempt(lambda: list(read_raw_chunks(path, display=path.name, chunk_bytes=chunk_bytes)))
    return whole, pieces


@pytest.mark.parametrize("chunk_bytes", [1, 7, 40, 100, 10**6])
def test_chunks_of_a_tricky_file_are_the_whole_read_line_for_line(tmp_path, chunk_bytes):
    path = tmp_path / "schools.csv"
    path.write_bytes(b"\xef\xbb\xbf" + TRICKY.encode())
    (whole, _), (pieces, _) = read_both(path, chunk_bytes)
    assert len(pieces) > 1 or chunk_bytes == 10**6
    joined = pd.concat(pieces)
    assert joined.index.tolist() == whole.index.tolist() == [4, 7, 9, 10, 12]
    assert joined.equals(whole)
    assert pieces[0].attrs["header_line"] == whole.attrs["header_line"] == 3


@pytest.mark.parametrize("chunk_bytes", [1, 12, 10**6])
def test_rows_with_the_wrong_number_of_fields_are_all_listed_across_chunks(tmp_path, chunk_bytes):
    path = tmp_path / "districts.csv"
    path.write_text("id,name\n1,a\n2,b,c\n3,c\n4,d\n5,e,f,g\n6,h\n")
    (_, whole), (_, pieces) = read_both(path, chunk_bytes)
    assert whole == pieces == [
        "districts.csv:3: wrong number of fields, expected 2 (found 3)",
        "districts.csv:6: wrong number of fields, expected 2 (found 4)",
    ]


@pytest.mark.parametrize("chunk_bytes", [1, 12, 10**6])
def test_a_byte_that_is_not_utf8_in_a_later_chunk_is_named_on_its_line_and_outranks_bad_rows(tmp_path, chunk_bytes):
    path = tmp_path / "districts.csv"
    path.write_bytes(b"id,name\n1,a\n2,b,c\n3,c\n4,\xff\n")
    (_, whole), (_, pieces) = read_both(path, chunk_bytes)
    assert whole == pieces == ["districts.csv:5: not UTF-8 (byte 0xFF)"]


def corrupt(folder: Path) -> None:
    """Plant one failure of every kind in a small synthetic consortium, spread over the files' chunks."""
    enrollments = folder / "enrollments.csv"
    lines = enrollments.read_text().splitlines()
    parts = lines[40].split(",")
    lines[40] = ",".join([*parts[:2], "DX", *parts[3:]])  # an unknown district (foreign key)
    lines[700] = lines[700].rsplit(",", 1)[0] + ",5th"  # not in the grade code set
    lines.insert(900, "# a steward's note in the middle of the file")
    lines.append(lines[2])  # the key of line 3 again, chunks later: a duplicate
    lines.append(lines[5].replace(lines[5].split(",")[1], "Z-9999999"))  # a student who is not in students.csv
    enrollments.write_text("\n".join(lines) + "\n")
    attendance = folder / "attendance.csv"
    lines = attendance.read_text().splitlines()
    lines[100] = ",".join(lines[100].split(",")[:3] + ["180", "181"])  # present on more days than enrolled
    lines[2000] = ",".join(lines[2000].split(",")[:3] + ["1eighty", "100"])  # not a number
    lines[3000] = ",".join([""] + lines[3000].split(",")[1:])  # a required key part missing
    attendance.write_text("\n".join(lines) + "\n")
    schools = folder / "schools.csv"
    lines = schools.read_text().splitlines()
    parts = lines[3].split(",")
    parts[2] = f'"{parts[2]}\nAnnex"'  # a name over two lines: every later line number moves down one
    lines[3] = ",".join(parts)
    schools.write_text("\n".join(lines) + "\n")
    finance = folder / "finance.csv"
    lines = finance.read_text().splitlines()
    lines[10] += ",extra"
    lines[1500] += ",extra"
    finance.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planted") / "data"
    write_consortium(folder, ConsortiumSpec(scale=0.03))
    corrupt(folder)
    return folder


@pytest.fixture(scope="module")
def contracts():
    return load_contracts(CONTRACTS_DIR)


@pytest.fixture(scope="module")
def whole_report(planted, contracts):
    return validate_dataset(planted, contracts, display_root=planted.parent)


def test_every_planted_failure_is_found_by_a_whole_read(whole_report):
    text = "\n".join(whole_report.lines(cap=100))
    for expected in (
        "data/enrollments.csv:41: district_id: foreign key -> districts.district_id (DX)",
        "data/enrollments.csv:701: grade: not one of KG, 01,",
        "data/enrollments.csv:10493: duplicate primary key (school_year, student_id) (2022, D01-0000003)",
        "data/enrollments.csv:10494: student_id: foreign key -> students.student_id (Z-9999999)",
        "data/attendance.csv:101: row rule present_within_enrolled",
        "data/attendance.csv:2001: days_enrolled: type (integer) (1eighty)",
        "data/attendance.csv:3001: school_year: required",
        "data/finance.csv:11: wrong number of fields",
        "data/finance.csv:1501: wrong number of fields",
    ):
        assert any(line.startswith(expected) for line in text.splitlines()), expected
    assert text.endswith("9 problems in 3 files")


@pytest.mark.parametrize("chunk_bytes", [4_000, 50_000])
def test_a_dataset_checked_in_chunks_gives_the_whole_reads_report_and_tables(planted, contracts, whole_report, tmp_path, chunk_bytes):
    chunked = validate_dataset(planted, contracts, display_root=planted.parent, spool_dir=tmp_path, chunk_bytes=chunk_bytes)
    assert chunked.lines(cap=10**6) == whole_report.lines(cap=10**6)
    assert chunked.to_dict() == whole_report.to_dict()
    assert chunked.files == whole_report.files
    spooled = {name for name, table in chunked.tables.items() if isinstance(table, SpooledTable)}
    assert {"assessments", "enrollments", "program_participation", "students"} <= spooled  # really read in chunks
    assert "finance" not in chunked.tables  # unreadable, as in a whole read
    for name, table in whole_report.tables.items():
        read_back = chunked.tables[name].read() if name in spooled else chunked.tables[name]
        pd.testing.assert_frame_equal(read_back, table, check_index_type=False, check_names=False)
        assert read_back.index.tolist() == table.index.tolist()


def test_keys_that_only_share_a_hash_are_neither_duplicates_nor_found(planted, contracts, whole_report, tmp_path, monkeypatch):
    """Hashes cut to 12 bits, so that thousands of different keys share one: the exact comparison behind every hash
    still finds only the true duplicates and only the true parents."""
    import districtstat.data.keys as keys

    colliding = lambda frame: keys.pd.util.hash_pandas_object(frame, index=False).to_numpy() % 4096  # noqa: E731
    monkeypatch.setattr(checking, "hash_rows", colliding)
    monkeypatch.setattr(keys, "hash_rows", colliding)
    chunked = validate_dataset(planted, contracts, display_root=planted.parent, spool_dir=tmp_path, chunk_bytes=50_000)
    assert chunked.lines(cap=10**6) == whole_report.lines(cap=10**6)


UNITS = """name: units
fields:
  - name: unit_id
    type: string
    constraints: {required: true}
  - name: parent_id
    type: string
primaryKey: [unit_id]
foreignKeys:
  - fields: [parent_id]
    reference: {resource: units, fields: [unit_id]}
"""


def test_a_foreign_key_to_its_own_file_is_checked_over_the_whole_file(tmp_path):
    """A parent not checked before its child (here the file itself) is looked up once every chunk is read: a parent
    defined chunks later is found, an unknown one is not."""
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "units.yaml").write_text(UNITS)
    contracts = load_contracts(tmp_path / "contracts")
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text("unit_id,parent_id\nA,\nB,F\nC,A\nD,Q\nE,B\nF,A\n")
    whole = validate_dataset(data, contracts, display_root=tmp_path)
    chunked = validate_dataset(data, contracts, display_root=tmp_path, spool_dir=tmp_path / "spool", chunk_bytes=1)
    assert whole.lines() == chunked.lines() == ["data/units.csv:5: parent_id: foreign key -> units.unit_id (Q)", "1 problem in 1 file"]
    assert isinstance(chunked.tables["units"], SpooledTable)


def test_a_file_smaller_than_a_chunk_is_read_in_one_piece_and_held_in_memory(tmp_path):
    """Comment lines below the header (as the fill-in templates have) do not make a second piece."""
    path = tmp_path / "districts.csv"
    path.write_text("# explain\ndistrict_id,district_name\n# district_id: the state's code\n# district_name: as the state writes it\n")
    assert len(list(read_raw_chunks(path, chunk_bytes=len(path.read_bytes()) + 1))) == 1
    contracts = load_contracts(CONTRACTS_DIR)
    report = validate_dataset(tmp_path, {"districts": contracts["districts"]}, spool_dir=tmp_path / "spool")
    assert isinstance(report.tables["districts"], pd.DataFrame) and not (tmp_path / "spool").exists()


def test_a_parquet_file_read_in_batches_gives_the_whole_reads_report(tmp_path, contracts):
    """Rows numbered from 1 across batches; a timestamp column reads as dates only if every value of the whole file is
    one, so one value with a time fails every row, in batches without it too, as in a whole read."""
    data = tmp_path / "data"
    write_consortium(data, ConsortiumSpec(scale=0.03))
    students = pd.read_csv(data / "students.csv", dtype=str)
    students["birth_date"] = pd.to_datetime(students["birth_date"])
    students.loc[3000, "birth_date"] = pd.Timestamp("2012-05-01 13:30")  # one value with a time: not a date
    students.loc[10, "sex"] = "Q"
    students.to_parquet(data / "students.parquet", index=False)
    (data / "students.csv").unlink()
    whole = validate_dataset(data, contracts, display_root=tmp_path)
    chunked = validate_dataset(data, contracts, display_root=tmp_path, spool_dir=tmp_path / "spool", chunk_bytes=2_000)
    assert "data/students.parquet:11: sex: not one of F, M, X (Q)" in whole.lines()
    assert any(line.startswith("data/students.parquet:1: birth_date: type (date YYYY-MM-DD) (") for line in whole.lines())
    assert f"data/students.parquet: birth_date: {len(students)} rows fail type (date YYYY-MM-DD)" in whole.lines()
    assert chunked.lines(cap=10**6) == whole.lines(cap=10**6)
    assert isinstance(chunked.tables["students"], SpooledTable)
    pd.testing.assert_frame_equal(chunked.tables["students"].read(), whole.tables["students"], check_index_type=False, check_names=False)


@pytest.mark.parametrize("tz", [None, "America/Chicago"])
def test_timestamps_in_batches_are_written_as_their_whole_column_is(tmp_path, tz):
    """pandas writes a series of times to its finest fraction of a second, and as dates if all are whole days; each
    column here has one batch of whole days, one to the second and one value to the microsecond or nanosecond."""
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    seconds = pd.date_range("2024-03-01 08:15:30", periods=40, freq="h")
    frame = pd.DataFrame(
        {
            "dates": pd.Series(days),
            "micro": pd.Series(days.append(seconds).append(pd.DatetimeIndex(["2024-05-01 10:00:00.000250"]))),
            "nano": pd.Series(days.append(seconds).append(pd.DatetimeIndex(["2024-05-01 10:00:00.000000007", "NaT"]))),
        }
    ).apply(lambda column: column.dt.tz_localize(tz) if tz else column)
    path = tmp_path / "times.parquet"
    frame.to_parquet(path, index=False)
    whole = read_raw(path, display=path.name)
    batches = list(read_raw_chunks(path, display=path.name, chunk_bytes=16 * 3 * 10))  # batches of 10 rows
    assert len(batches) > 4
    pd.testing.assert_frame_equal(pd.concat(batches), whole)
    assert whole["dates"].iloc[0] == "2024-01-01" and whole["micro"].iloc[0].startswith("2024-01-01 00:00:00.000000")
    assert whole["nano"].iloc[0].startswith("2024-01-01 00:00:00.000000000") and whole["nano"].iloc[-1] == ""
