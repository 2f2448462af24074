"""The C page's code: read the compared runs, score their models on the held-out test rows, record a conclusion."""

from __future__ import annotations

from core.codegen.snippets import join, tracking_lines
from core.compare.evidence import TAG_CONCLUSION, TAG_CONCLUSION_NOTE
from core.data.datastore import ARTIFACT_DIR
from core.train.training import TAG_DATA_RUN, TAG_MODEL_URI


def evaluate_runs(experiment_id: str, run_ids: list[str]) -> str:
    """Code that reads the compared runs from MLflow and scores each run's model on its data run's held-out test
    rows, as the page's evaluation does (the same rows, metrics and confusion matrix; the page also logs them
    back to the run, times single-row predictions and computes permutation importance)."""
    ids = ", ".join(repr(run_id) for run_id in run_ids)
    return join(
        [
            "import json",
            "from pathlib import Path",
            "",
            "import mlflow",
            "import numpy as np",
            "import pandas as pd",
            "from sklearn import metrics",
            "",
            *[line for line in tracking_lines() if line.startswith("mlflow.")],
        ],
        "",
        "# the compared runs: parameters, cross-validation and held-out test scores as logged",
        "runs = mlflow.search_runs(",
        f"    experiment_ids=[{experiment_id!r}],",
        f'    filter_string="attributes.run_id IN ({ids})",',
        ")",
        'print(runs.filter(regex=r"^(run_id|tags\\.mlflow\\.runName|params\\.algorithm|metrics\\.(cv|test)_)").T)',
        "",
        "scores = {}",
        f"for run_id in [{ids}]:",
        "    run = mlflow.get_run(run_id)",
        "    # the model the run logged (models:/m-…) and the data run it was trained on",
        f"    model = mlflow.sklearn.load_model(run.data.tags[{TAG_MODEL_URI!r}])",
        f"    data_run = mlflow.get_run(run.data.tags[{TAG_DATA_RUN!r}])",
        "    # the held-out test rows: the data run's stored rows and the fixed split, never seen in training",
        "    folder = Path(",
        f"        mlflow.artifacts.download_artifacts(run_id=data_run.info.run_id, artifact_path={ARTIFACT_DIR!r})",
        "    )",
        '    frame = pd.read_parquet(folder / "data.parquet")',
        '    text = frame.select_dtypes("object").columns  # Parquet gives missing text back as None, not NaN',
        "    frame[text] = frame[text].where(frame[text].notna(), np.nan)",
        '    test = frame.iloc[json.loads((folder / "split.json").read_text())["test"]]',
        '    target = data_run.data.params["target"]',
        "    X_test, y_test = test[list(model.feature_names_in_)], test[target].astype(str)",
        "    y_pred = pd.Series(model.predict(X_test)).astype(str).to_numpy()",
        "    macro = {'average': 'macro', 'zero_division': 0}",
        "    scores[run_id] = {",
        '        "accuracy": metrics.accuracy_score(y_test, y_pred),',
        '        "balanced_accuracy": metrics.balanced_accuracy_score(y_test, y_pred),',
        '        "f1_macro": metrics.f1_score(y_test, y_pred, **macro),',
        '        "precision_macro": metrics.precision_score(y_test, y_pred, **macro),',
        '        "recall_macro": metrics.recall_score(y_test, y_pred, **macro),',
        "    }",
        "    labels = sorted(set(y_test) | set(y_pred))",
        "    confusion = metrics.confusion_matrix(y_test, y_pred, labels=labels)  # rows: true, columns: predicted",
        "    print(run.info.run_name, scores[run_id])",
        "    print(pd.DataFrame(confusion, index=labels, columns=labels))",
    )


def record_conclusion(run_id: str, verdict: str, note: str) -> str:
    """Code that records a conclusion on a run as the page's form does: two tags the registry shows."""
    return join(
        tracking_lines(),
        "client = mlflow.MlflowClient()",
        f"client.set_tag({run_id!r}, {TAG_CONCLUSION!r}, {verdict!r})",
        f"client.set_tag({run_id!r}, {TAG_CONCLUSION_NOTE!r}, {note.strip()!r})",
    )
