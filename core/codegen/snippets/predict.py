"""The Predict page's code: load the model an alias serves and predict one row or a file of rows."""

from __future__ import annotations

from pathlib import PurePath

from core.codegen.snippets import join, tracking_lines


def model_uri(name: str, alias: str) -> str:
    return f"models:/{name}@{alias}"


def read_line(filename: str, variable: str = "rows") -> str:
    """The pandas line that reads an uploaded table the way its suffix says."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".parquet":
        return f"{variable} = pd.read_parquet({filename!r})"
    if suffix in (".xlsx", ".xls"):
        return f"{variable} = pd.read_excel({filename!r})"
    if suffix in (".txt", ".tsv"):
        return f"{variable} = pd.read_csv({filename!r}, sep=None, engine='python')  # the separator is sniffed"
    return f"{variable} = pd.read_csv({filename!r})"


def _load(name: str, alias: str) -> list[str]:
    uri = model_uri(name, alias)
    mlflow, *tracking = tracking_lines()  # "import mlflow", then the store
    return [
        mlflow,
        "import pandas as pd",
        *tracking,
        "",
        "# by alias, never by path: moving the alias in the registry changes what answers here",
        f"model = mlflow.pyfunc.load_model({uri!r})",
        f"# or as a REST service: mlflow models serve -m {uri!r} -p 5001 --env-manager local",
    ]


def one_row(name: str, alias: str, values: dict[str, object], schema: dict | None = None) -> str:
    """Code that predicts the one row the form just predicted, with its actual inputs (``schema``: the model's
    training schema; whole numbers for integer columns, which the model's signature will not take as floats)."""
    dtypes = {column: spec.get("dtype") for column, spec in ((schema or {}).get("features") or {}).items()}
    row = {str(k): _literal(v, dtypes.get(k)) for k, v in values.items()}
    return join(
        _load(name, alias),
        f"row = pd.DataFrame([{row!r}])",
        "prediction = model.predict(row)[0]",
        "print(prediction)",
    )


def batch(name: str, alias: str, filename: str, output: str) -> str:
    """Code that predicts every row of the uploaded file and writes the predictions to a CSV file."""
    return join(
        _load(name, alias),
        read_line(filename),
        "scored = rows.assign(prediction=model.predict(rows))",
        f"scored.to_csv({output!r}, index=False)",
    )


def _literal(value: object, dtype: str | None = None) -> object:
    """A widget value as a Python literal: numpy scalars become int, float or str; a whole float in an integer
    column becomes an int."""
    item = getattr(value, "item", None)
    value = item() if callable(item) else value
    if dtype == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def batch_in_parts(name: str, alias: str, source: str, kind: str, output: str) -> str:
    """Code that predicts a batch larger than memory partition by partition with Dask DataFrame, as the page did
    (``kind``: the input's, "csv" or "parquet"; the output is one CSV for a .csv name, else a folder of Parquet)."""
    read = f"dd.read_parquet({source!r})" if kind == "parquet" else f"dd.read_csv({source!r})"
    single = PurePath(output).suffix.lower() == ".csv"
    write = f"scored.to_csv({output!r}, single_file=True, index=False)" if single else f"scored.to_parquet({output!r})"
    return join(
        _load(name, alias),
        "import dask.dataframe as dd",
        "",
        f"rows = {read}  # partitions, read where they are scored",
        "scored = rows.map_partitions(lambda part: part.assign(prediction=model.predict(part)))",
        write,
    )
