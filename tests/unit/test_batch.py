"""core.serve.batch: files larger than memory, predicted in partitions in this machine's worker processes."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from core.common import i18n
from core.serve import batch, predict
from core.serve.batch import BatchError


@pytest.fixture
def rows(served):
    """The iris rows ten times over (1,500), in a shuffled order, with a column the model does not use."""
    _, record = served
    frame = pd.concat([record.frame[record.features]] * 10, ignore_index=True)
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True).assign(id=range(1500))


@pytest.fixture
def small_parts(monkeypatch):
    """Partitions of a few kilobytes, so that a test file of 1,500 rows makes several, scored in slices of 120."""
    monkeypatch.setattr(batch, "PART_BYTES", 8_000)
    monkeypatch.setattr(batch, "SLICE_ROWS", 120)


def expected(model, rows: pd.DataFrame) -> pd.DataFrame:
    return predict.predict_frame(model, rows)


def test_a_german_csv_in_parts_gives_one_csv_with_every_prediction(served, rows, small_parts, tmp_path):
    model, _ = served
    source = tmp_path / "batch.csv"
    rows.to_csv(source, sep=";", decimal=",", index=False)  # as German Excel writes it
    heard = []
    out = tmp_path / "predictions.csv"

    result = batch.predict_files(model, batch.find_source(source), out, on_progress=lambda *a: heard.append(a))

    assert result.parts >= 3 and (result.rows, result.kind, result.output) == (1500, "csv", out)
    written = pd.read_csv(out)
    assert list(written.columns) == [*rows.columns, "prediction", *(f"proba_{c}" for c in model.classes)]
    assert written["id"].tolist() == list(range(1500))  # every row once, in the file's order
    pd.testing.assert_series_equal(written["prediction"], expected(model, rows)["prediction"])
    assert written["proba_setosa"].to_numpy() == pytest.approx(expected(model, rows)["proba_setosa"].to_numpy())
    assert heard[-1] == (result.parts, result.parts, 1500) and len(heard) == result.parts
    assert result.predictions == written["prediction"].value_counts().to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv", "predictions.csv", "store"]  # no staging


def test_a_folder_of_parquet_parts_gives_a_folder_of_parquet_parts(served, rows, tmp_path):
    model, _ = served
    parts = tmp_path / "in"
    parts.mkdir()
    for i, chunk in enumerate((rows.iloc[:500], rows.iloc[500:900], rows.iloc[900:])):
        chunk.to_parquet(parts / f"part-{i}.parquet", index=False)
    (parts / "_SUCCESS").write_text("")  # what Spark leaves: passed over
    out = tmp_path / "out"

    result = batch.predict_files(model, batch.find_source(parts), out)

    assert (result.parts, result.rows, result.kind) == (3, 1500, "parquet")
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(3)]
    written = pd.read_parquet(out)  # the folder reads back as one data set
    assert written["id"].tolist() == list(range(1500))
    pd.testing.assert_series_equal(written["prediction"], expected(model, rows)["prediction"])
    assert batch.preview(result, 10)["id"].tolist() == list(range(10))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_csv_in_slices_gives_parquet_parts_of_one_schema_and_keeps_other_columns_as_text(
    served, rows, small_parts, tmp_path
):
    model, _ = served
    noted = rows.assign(note=None, code="007")
    noted.loc[1000:, "note"] = "checked"  # empty in the first slices, text in the later ones
    noted.to_csv(tmp_path / "batch.csv", index=False)

    result = batch.predict_files(model, batch.find_source(tmp_path / "batch.csv"), tmp_path / "out")

    written = pd.read_parquet(tmp_path / "out")  # one schema over every part and slice
    assert len(written) == result.rows == 1500
    assert written["note"].isna().sum() == 1000 and set(written["note"].dropna()) == {"checked"}
    assert set(written["code"]) == {"007"}  # a column the model does not read stays the file's text
    pd.testing.assert_series_equal(written["prediction"], expected(model, rows)["prediction"])


def test_a_glob_names_the_parts_and_a_stream_takes_the_csv(served, rows, tmp_path):
    model, _ = served
    rows.iloc[:0].to_csv(tmp_path / "a-0.csv", index=False)  # a part with its header only
    rows.iloc[:700].to_csv(tmp_path / "a-1.csv", index=False)
    rows.iloc[700:].to_csv(tmp_path / "a-2.csv", index=False)
    with open(tmp_path / "a-2.csv", "a") as end:
        end.write(",,,,\n,,,,\n")  # an export's empty lines after the data: passed over, as for an upload
    stream = io.StringIO()

    result = batch.predict_files(model, batch.find_source(tmp_path / "a-*.csv"), None, stream=stream)

    assert result.rows == 1500 and result.output is None
    written = pd.read_csv(io.StringIO(stream.getvalue()))
    assert written["id"].tolist() == list(range(1500))  # one header, both files, in order


def test_a_problem_in_a_later_part_is_named_by_its_row_in_the_whole_batch(served, rows, small_parts, tmp_path):
    model, record = served
    broken = rows.astype({record.features[0]: object})
    broken.loc[1234, record.features[0]] = "n.a. (sensor)"
    broken.loc[1400, record.features[1]] = None
    source = tmp_path / "batch.csv"
    broken.to_csv(source, index=False)
    out = tmp_path / "out.csv"

    with pytest.raises(BatchError) as refused:
        batch.predict_files(model, batch.find_source(source), out)

    errors = [f for f in refused.value.findings if f.severity == "error"]
    assert [f.check for f in errors] == ["not_numeric"]
    assert "row 1235" in errors[0].message and "n.a. (sensor)" in errors[0].message  # 1-based, as in the file
    assert errors[0].rows == (1234,)
    warned = [f for f in refused.value.findings if f.check == "missing_values"]
    assert warned and "row 1401" in warned[0].message
    assert "row 1235" in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv", "store"]  # nothing written, no staging


def test_the_same_problem_in_several_parts_is_said_once_with_their_count(served, rows, small_parts, tmp_path):
    model, record = served
    gaps = rows.copy()
    gaps.loc[[10, 700, 1300], record.features[2]] = None
    source = tmp_path / "batch.csv"
    gaps.to_csv(source, index=False)

    result = batch.predict_files(model, batch.find_source(source), tmp_path / "out.csv")

    missing = [f for f in result.findings if f.check == "missing_values"]
    assert len(missing) == 1 and "row 11" in missing[0].message
    assert "The same in 2 more parts of the batch" in missing[0].message
    assert result.rows == 1500
    assert len(pd.read_csv(tmp_path / "out.csv")) == 1500  # checking a part again leaves its predictions alone


def test_findings_come_in_the_readers_language(served, rows, small_parts, tmp_path, monkeypatch):
    model, record = served
    gaps = rows.copy()
    gaps.loc[900, record.features[2]] = None
    source = tmp_path / "batch.csv"
    gaps.to_csv(source, index=False)
    monkeypatch.setattr(i18n, "_resolver", [lambda: "de"])

    result = batch.predict_files(model, batch.find_source(source), tmp_path / "out.csv")

    (missing,) = [f for f in result.findings if f.check == "missing_values"]
    assert "Zeile 901" in missing.message and "row 901" in missing.english  # checked in a worker, in German


def test_a_missing_column_is_refused_before_any_work(served, rows, tmp_path):
    model, record = served
    source = tmp_path / "batch.parquet"
    rows.drop(columns=record.features[3]).to_parquet(source)

    with pytest.raises(BatchError, match=re.escape(record.features[3])):
        batch.predict_files(model, batch.find_source(source), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("make", "spec", "says"),
    [
        (lambda d: None, "nothing-*.csv", "holds no CSV or Parquet file"),
        (lambda d: None, "not-here.csv", "is neither a file"),
        (lambda d: (d / "x.xlsx").write_bytes(b"PK"), "x.xlsx", "is not a CSV or Parquet file"),
        (
            lambda d: [(d / "p.csv").write_text("a\n1\n"), (d / "q.parquet").write_bytes(b"")],
            ".",
            "both CSV and Parquet",
        ),
        (lambda d: (d / "notes.txt.bak").write_text(""), ".", "holds no CSV or Parquet file"),
    ],
)
def test_what_is_no_batch_is_said(tmp_path, make, spec, says):
    make(tmp_path)
    with pytest.raises(BatchError, match=says):
        batch.find_source(tmp_path / spec if spec != "." else tmp_path)


def test_an_output_that_exists_is_not_overwritten(served, rows, tmp_path):
    model, _ = served
    source = tmp_path / "batch.csv"
    rows.to_csv(source, index=False)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")

    with pytest.raises(BatchError, match="exists already"):
        batch.predict_files(model, batch.find_source(source), taken)
    (tmp_path / "done.csv").write_text("mine")
    with pytest.raises(BatchError, match="exists already; choose a new name"):
        batch.predict_files(model, batch.find_source(source), tmp_path / "done.csv")
    assert (tmp_path / "done.csv").read_text() == "mine"
    batch.predict_files(model, batch.find_source(source), tmp_path / "done.csv", replace_csv=True)  # the CLI's way
    assert len(pd.read_csv(tmp_path / "done.csv")) == 1500
    with pytest.raises(BatchError, match="does not exist"):
        batch.predict_files(model, batch.find_source(source), tmp_path / "no-folder" / "out.csv")
    assert (taken / "keep.txt").read_text() == "mine"


def test_a_csv_part_read_as_text_gets_the_types_a_whole_file_gets():
    from core.data.loading import typed_csv_part

    part = pd.DataFrame(
        {
            "comma": ["1,5", " 2,25", None],
            "grouped": ["1.234,5", "12,0", "7"],
            "code": ["007", "12", "x"],
            "flag": ["True", "False", None],
        },
        dtype="string[pyarrow]",
    )
    typed = typed_csv_part(part, ",")
    assert typed["comma"].tolist()[:2] == [1.5, 2.25] and pd.isna(typed["comma"][2])
    assert typed["grouped"].tolist() == [1234.5, 12.0, 7.0]
    assert typed["code"].tolist() == ["007", "12", "x"] and typed["code"].dtype == object  # text stays text
    assert typed["flag"].tolist()[:2] == ["True", "False"] and pd.isna(typed["flag"][2])


def test_server_files_are_off_for_a_shared_store_unless_folders_are_allowed(tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "in").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (allowed / "in" / "link").symlink_to(tmp_path / "elsewhere")
    assert batch.server_files_refused([], embedded=True) is None  # a person's own machine
    assert "QUA3CK_BATCH_ROOTS" in batch.server_files_refused([], embedded=False)
    assert batch.server_files_refused([allowed], embedded=False) is None
    batch.check_within([allowed / "in" / "a.csv", allowed / "out"], [allowed])
    for outside in (tmp_path / "elsewhere" / "a.csv", allowed / ".." / "x.csv", allowed / "in" / "link" / "a.csv"):
        with pytest.raises(BatchError, match="is outside the folders"):
            batch.check_within([outside], [allowed])


def test_a_part_that_cannot_be_read_is_named_with_its_file(served, rows, tmp_path):
    model, _ = served
    rows.iloc[:100].to_csv(tmp_path / "p-0.csv", index=False)
    text = rows.iloc[100:200].to_csv(index=False)
    (tmp_path / "p-1.csv").write_text(text + "1,2,3,4,5,6,7\n")  # a line with two fields too many

    with pytest.raises(BatchError) as refused:
        batch.predict_files(model, batch.find_source(tmp_path / "p-*.csv"), tmp_path / "out.csv")

    (error,) = [f for f in refused.value.findings if f.severity == "error"]
    assert error.message.startswith("Part 2 of the batch (p-1.csv) could not be read: Expected 5 fields in line 102")
    assert not (tmp_path / "out.csv").exists()


def test_a_worker_that_cannot_write_its_part_is_said_in_one_line_and_nothing_stays(served, rows, tmp_path, monkeypatch):
    model, _ = served
    rows.to_csv(tmp_path / "batch.csv", index=False)
    # a staging folder the workers do not see (on a cluster: not on storage they share)
    monkeypatch.setattr(batch, "_staging", lambda output: tmp_path / "not-shared")

    with pytest.raises(BatchError, match="A worker could not score its part of the batch.*FileNotFoundError"):
        batch.predict_files(model, batch.find_source(tmp_path / "batch.csv"), tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv", "store"]
