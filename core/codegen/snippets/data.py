"""The U page's code: load the data, split it (stratified, fixed seed) and log it to MLflow as a data run whose
dataset input carries the content digest (see core/data/datastore.py ``record_dataset``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePath

from core.codegen.snippets import join, tracking_lines
from core.data.datastore import TAG_DATASET, TAG_DIGEST, TAG_KIND, TAG_TARGET
from core.data.loading import CsvSettings

# the workbench's built-in data sets are scikit-learn's, with the class names as the target column
_LOADERS = {"iris": "load_iris", "wine": "load_wine", "breast_cancer": "load_breast_cancer"}


def load_lines(
    target: str, builtin: str | None = None, filename: str | None = None, settings: CsvSettings | None = None
) -> tuple[list[str], list[str]]:
    """(imports, lines) that read the data into ``frame`` as the page does: a built-in set or an uploaded file."""
    if builtin is not None:
        loader = _LOADERS[builtin]
        return [f"from sklearn.datasets import {loader}"], [
            f"# the built-in data set {builtin!r}: scikit-learn's, with the class names as the target column",
            f"bunch = {loader}(as_frame=True)",
            'frame = bunch.frame.drop(columns="target")',
            f"frame[{target!r}] = bunch.target_names[bunch.target.to_numpy()]",
        ]
    if filename is None:
        raise ValueError("Either a built-in data set or a file name is needed.")
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".parquet":
        return [], [f"frame = pd.read_parquet({filename!r})"]
    if suffix == ".xlsx":
        return [], [f"frame = pd.read_excel({filename!r})  # the first sheet, names in its first row"]
    settings = settings or CsvSettings(",", ".", "utf-8", True)
    arguments = f"sep={settings.separator!r}, decimal={settings.decimal!r}, encoding={settings.encoding!r}"
    if settings.header:
        return [], [f"frame = pd.read_csv({filename!r}, {arguments})"]
    return [], [
        f"frame = pd.read_csv({filename!r}, {arguments}, header=None)",
        'frame.columns = [f"column_{i}" for i in range(1, frame.shape[1] + 1)]',
    ]


def record_data(
    experiment_name: str,
    name: str,
    target: str,
    test_size: float,
    seed: int,
    features: Sequence[str],
    excluded: Iterable[str] = (),
    *,
    builtin: str | None = None,
    filename: str | None = None,
    settings: CsvSettings | None = None,
) -> str:
    """Code that loads the data, splits it and logs it as a data run, as the page's "Use this data" button does."""
    imports, load = load_lines(target, builtin, filename, settings)
    excluded_text = ",".join(sorted(excluded))[:500]
    return join(
        ["import hashlib", "", "import pandas as pd", *imports, "from sklearn.model_selection import train_test_split"],
        tracking_lines(),
        "",
        *load,
        "",
        "# stratified, with a fixed seed: every model trains on the same rows and is judged on the same test rows",
        f"train, test = train_test_split(frame, test_size={test_size!r}, random_state={seed!r}, "
        f"stratify=frame[{target!r}].astype(str))",
        f"features = {list(features)!r}  # the columns the model sees (their roles allow it, you kept them)",
        "",
        "# the content digest that names this version of the data (values, column names and types)",
        "hasher = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())",
        'hasher.update("|".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())',
        "digest = hasher.hexdigest()[:12]",
        "",
        f"mlflow.set_experiment({experiment_name!r})",
        f"tags = {{{TAG_KIND!r}: 'data', {TAG_DIGEST!r}: digest, {TAG_TARGET!r}: {target!r}, "
        f"{TAG_DATASET!r}: {name!r}}}",
        f"with mlflow.start_run(run_name={f'data: {name}'!r}, tags=tags) as run:",
        "    mlflow.log_params(",
        "        {",
        f'            "dataset": {name!r},',
        f'            "target": {target!r},',
        f'            "test_size": {test_size!r},',
        f'            "split_seed": {seed!r},',
        '            "rows": len(frame),',
        '            "columns": frame.shape[1],',
        '            "features": len(features),',
        f'            "excluded": {excluded_text!r},',
        "        }",
        "    )",
        "    # the data set as an MLflow dataset input: name, digest, schema and target travel with the run",
        f"    dataset = mlflow.data.from_pandas(frame, name={name!r}, targets={target!r}, digest=digest)",
        '    mlflow.log_input(dataset, context="full")',
        "    # which rows are held out, by position",
        '    split = {"train": sorted(train.index.tolist()), "test": sorted(test.index.tolist())}',
        '    mlflow.log_dict(split, "dataset/split.json")',
        "# the workbench also stores the rows (Parquet), roles, schema, validation report and profile under",
        "# dataset/, and makes this run the project's data",
        'print("data run", run.info.run_id, "digest", digest)',
    )
