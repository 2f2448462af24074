"""The Monitor page's code: the drift check in plain pandas and scipy, the training split against recent data."""

from __future__ import annotations

import pandas as pd

from core.codegen.snippets import join, tracking_lines
from core.codegen.snippets.predict import read_line
from core.data import datastore
from core.monitor import monitoring
from core.serve import prediction_log


def drift_check(
    reference: monitoring.Reference,
    alpha: float,
    filename: str | None = None,
    version: str | None = None,
    since: pd.Timestamp | None = None,
) -> str:
    """Code that runs the two-sample Kolmogorov–Smirnov test per numeric feature, training split vs the uploaded
    batch ``filename`` or (without one) the model's prediction log, of ``version`` only and since ``since``."""
    numeric = [f for f, kind in reference.kinds.items() if kind == "numeric"]
    imports = ["import json", *(["from pathlib import Path"] if filename is None else []), ""]
    mlflow, *tracking = tracking_lines()  # "import mlflow", then the store
    imports += [mlflow, "import pandas as pd", "from scipy.stats import ks_2samp", *tracking]
    training = [
        "",
        f"# the training split version {reference.version} of {reference.name!r} learned from: its data run's table",
        f"folder = mlflow.artifacts.download_artifacts(run_id={reference.data_run_id!r}, "
        f"artifact_path={datastore.ARTIFACT_DIR!r})",
        'table = pd.read_parquet(f"{folder}/data.parquet")',
        'with open(f"{folder}/split.json") as split:',
        '    train = table.iloc[json.load(split)["train"]]',
        "",
    ]
    if filename is not None:
        recent = ["# recent data: the uploaded batch", read_line(filename, "recent")]
    else:
        recent = [
            "# recent data: the prediction log, Parquet files of one run in the project",
            "log_run = mlflow.search_runs(",
            f"    experiment_ids=[{reference.experiment_id!r}],",
            f"    filter_string={prediction_log._filter(reference.name)!r},",
            ").run_id[0]",
            f"folder = mlflow.artifacts.download_artifacts(run_id=log_run, artifact_path={prediction_log.PARTS!r})",
            'recent = pd.concat(pd.read_parquet(part) for part in sorted(Path(folder).glob("*.parquet")))',
        ]
        if version is not None:
            recent.append(f'recent = recent[recent["version"] == {str(version)!r}]')
        if since is not None:
            logged_at = f'pd.to_datetime(recent["{monitoring.LOG_TIME}"], utc=True)'
            recent.append(f"recent = recent[{logged_at} >= pd.Timestamp({since.isoformat()!r})]")
        recent.append(
            f'recent = recent.rename(columns=lambda column: column.removeprefix("{monitoring.INPUT_PREFIX}"))'
        )
    check = [
        "",
        f"# per numeric feature: the two-sample Kolmogorov–Smirnov test; a p-value below {alpha:g} counts as drift",
        "# (the page adds the PSI, and the chi-square test for categorical features)",
        f"features = {numeric!r}",
        "results = {f: ks_2samp(train[f].dropna(), recent[f].dropna()) for f in features}",
        "for feature, result in results.items():",
        f'    verdict = "drift" if result.pvalue < {alpha!r} else "ok"',
        '    print(f"{feature}: D = {result.statistic:.3f}, p = {result.pvalue:.2g} → {verdict}")',
    ]
    return join(imports, training, recent, check)
