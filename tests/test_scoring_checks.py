"""Pure scoring checks in-process (no Redis, no workers): encodings, long rows, non-finite numbers, duplicates."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression

from batchsvc.errors import SchemaError, UnreadableInput
from batchsvc.scoring import csvparse, sources
from batchsvc.scoring.missing import accepts_missing
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.prepare import prepare, require_unique
from batchsvc.scoring.sources import FileSource


def source(data: bytes, name: str = "in.csv", encoding: str | None = None) -> FileSource:
    return FileSource(name=name, format="csv", open=lambda: io.BytesIO(data), size=len(data), encoding=encoding)


def read_all(src: FileSource, columns=None) -> pd.DataFrame:
    plan = sources.plan_file(src, 1000, explicit=False)
    return pd.concat(b.frame for c in plan.chunks for b in sources.read_file_chunk(src, c, columns, 1000))


def test_non_utf8_text_names_its_column_and_line():
    data = "id,City\n1,Bern\n2,Zürich\n".encode("latin-1")
    with pytest.raises(UnreadableInput) as caught:
        read_all(source(data))
    assert caught.value.message.startswith("column City, line 3: not valid UTF-8 text")
    assert caught.value.details == {"column": "City", "line": 3}


def test_a_declared_encoding_decodes_header_and_values():
    data = "id,Straße\n1,Zürich\n".encode("cp1252")
    frame = read_all(source(data, encoding="cp1252"))
    assert frame.columns.tolist() == ["id", "Straße"] and frame["Straße"].tolist() == ["Zürich"]


@pytest.mark.parametrize("name, canonical", [("latin-1", "iso8859-1"), ("UTF-8", None), ("cp1252", "cp1252")])
def test_ascii_compatible_encodings_are_accepted(name, canonical):
    assert csvparse.check_encoding(name) == canonical


@pytest.mark.parametrize("name", ["utf-16", "utf-32", "utf-7", "cp500", "iso2022_jp", "hz", "rot13", "nope"])
def test_other_encodings_are_refused(name):
    with pytest.raises(ValueError, match=f"input.encoding '{name}' is not"):
        csvparse.check_encoding(name)


def test_a_row_over_the_limit_names_its_line_and_the_limit(monkeypatch):
    # the limit bounds how far pyarrow's block (1 MiB) grows, so a smaller one is set to its floor here
    monkeypatch.setattr(csvparse, "CSV_MAX_ROW_BYTES", 1 << 20)
    data = b"id,note\n1,a\n2,b\n3," + b"x" * (2 << 20) + b"\n4,d\n"
    with pytest.raises(UnreadableInput) as caught:
        read_all(source(data))
    assert caught.value.message == ("line 4: a CSV row longer than 1 MiB, the most one row may take "
                                    "(CSV_MAX_ROW_BYTES); store such long values in Parquet")
    assert caught.value.details == {"line": 4}


def test_a_row_over_pyarrow_block_size_but_under_the_limit_is_read():
    data = b"id,note\n1,a\n2," + b"x" * (3 << 20) + b"\n3,c\n"
    assert read_all(source(data))["note"].str.len().tolist() == [1, 3 << 20, 1]


def lr() -> LinearRegression:
    return LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]}), [0, 1, 2])


def test_inf_and_missing_numbers_are_bad_rows_naming_their_column():
    model = lr()
    frame = sources.numbered(pd.DataFrame({"a": [1.0, np.inf, np.nan, 2.0], "b": ["1", "2", "3", "1e400"]}), 1)
    ready = prepare(frame, inspect_model(model), csv=True, accepts_missing=lambda column: False)
    assert [(b["line"], b["column"], b["value"], b["error"]) for b in ready.bad] == [
        (3, "a", "inf", "not a finite number"),
        (4, "a", None, "missing value, and this model cannot score missing values"),
        (5, "b", "inf", "not a finite number")]
    assert ready.frame.index.tolist() == [1]


def test_whether_a_model_accepts_missing_values_is_asked_of_the_model_once():
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    hgb = HistGradientBoostingRegressor(max_iter=5).fit(frame, [0, 1, 2, 3])
    calls = []
    hgb.predict = lambda X, _real=hgb.predict: calls.append(len(X)) or _real(X)
    assert accepts_missing(hgb, inspect_model(hgb), frame, "a") is True
    assert accepts_missing(hgb, inspect_model(hgb), frame, "a") is True
    assert calls == [1]
    assert accepts_missing(lr(), inspect_model(lr()), frame, "a") is False


def test_duplicate_columns_are_named():
    with pytest.raises(SchemaError, match="^input has duplicate columns: Age, x$"):
        require_unique(["Age", "x", "Age", "y", "x", "Age"])
    require_unique(["a", "b"])
