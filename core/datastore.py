"""The project's data set and split, stored in MLflow as a 'data' run so every phase reads the same rows."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import projects
from core.config import active_store
from core.data import (
    DEFAULT_SEED,
    DEFAULT_TEST_SIZE,
    DataError,
    Split,
    dataset_digest,
    feature_columns,
    feature_stats,
    make_split,
)

TAG_KIND = "qua3ck.kind"
TAG_DIGEST = "qua3ck.data_digest"
TAG_TARGET = "qua3ck.target"
TAG_DATASET = "qua3ck.dataset"
ARTIFACT_DIR = "dataset"


@dataclass(frozen=True)
class DatasetRecord:
    """A project's data set as stored in MLflow: the frame, its target and the fixed split."""

    run_id: str
    name: str
    target: str
    digest: str
    frame: pd.DataFrame
    split: Split

    @property
    def features(self) -> list[str]:
        return feature_columns(self.frame, self.target)

    @property
    def classes(self) -> list[str]:
        return sorted(self.frame[self.target].astype(str).unique().tolist())

    def train_xy(self) -> tuple[pd.DataFrame, pd.Series]:
        rows = self.frame.iloc[self.split.train]
        return rows[self.features], rows[self.target]

    def test_xy(self) -> tuple[pd.DataFrame, pd.Series]:
        rows = self.frame.iloc[self.split.test]
        return rows[self.features], rows[self.target]


def record_dataset(
    experiment_id: str,
    frame: pd.DataFrame,
    name: str,
    target: str,
    test_size: float = DEFAULT_TEST_SIZE,
    seed: int = DEFAULT_SEED,
) -> DatasetRecord:
    """Validate, split and store the data as the project's data run; reuses an identical current one."""
    import mlflow

    frame = frame.reset_index(drop=True)
    split = make_split(frame, target, test_size, seed)  # validates the target first
    digest = dataset_digest(frame)
    current = current_dataset_run(experiment_id)
    if current is not None:
        params = current.data.params
        if (
            current.data.tags.get(TAG_DIGEST) == digest
            and params.get("dataset") == name
            and params.get("target") == target
            and params.get("test_size") == str(test_size)
            and params.get("split_seed") == str(seed)
        ):
            return load_dataset(current.info.run_id, frame=frame)
    active_store()
    tags = {TAG_KIND: "data", TAG_DIGEST: digest, TAG_TARGET: target, TAG_DATASET: name}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"data: {name}", tags=tags) as run:
        mlflow.log_params(
            {
                "dataset": name,
                "target": target,
                "test_size": test_size,
                "split_seed": seed,
                "rows": len(frame),
                "columns": frame.shape[1],
            }
        )
        dataset = mlflow.data.from_pandas(frame, name=name, targets=target, digest=digest)
        mlflow.log_input(dataset, context="full")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            frame.to_parquet(folder / "data.parquet", index=False)
            (folder / "split.json").write_text(json.dumps({"train": split.train, "test": split.test}))
            (folder / "feature_stats.json").write_text(
                json.dumps(feature_stats(frame.iloc[split.train], target), indent=1)
            )
            mlflow.log_artifacts(tmp, ARTIFACT_DIR)
    projects.set_data_run(experiment_id, run.info.run_id)
    return DatasetRecord(run.info.run_id, name, target, digest, frame, split)


def current_dataset_run(experiment_id: str):
    """The MLflow run holding the project's current data, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    run_id = projects.get_project(experiment_id).data_run_id
    if not run_id:
        return None
    try:
        run = MlflowClient().get_run(run_id)
    except MlflowException:
        return None
    return run if run.info.lifecycle_stage == "active" else None


def load_dataset(run_id: str, frame: pd.DataFrame | None = None) -> DatasetRecord:
    """Read a data run back: the frame, target and split every phase uses."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    active_store()
    try:
        run = MlflowClient().get_run(run_id)
    except MlflowException:
        raise DataError(f"The data run {run_id} no longer exists; choose the data again on the Data page.") from None
    params = run.data.params
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=ARTIFACT_DIR, dst_path=tmp))
            if frame is None:
                frame = pd.read_parquet(local / "data.parquet")
            positions = json.loads((local / "split.json").read_text())
    except (MlflowException, OSError) as exc:
        raise DataError(f"The stored data of run {run_id} cannot be read ({exc}); choose the data again.") from None
    split = Split(
        positions["train"],
        positions["test"],
        float(params["test_size"]),
        int(params["split_seed"]),
    )
    return DatasetRecord(
        run_id,
        params.get("dataset", ""),
        params["target"],
        run.data.tags.get(TAG_DIGEST, ""),
        frame,
        split,
    )


def load_feature_stats(run_id: str) -> dict[str, dict]:
    """Training ranges and categories logged with a data run (empty when the run has none)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    active_store()
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{ARTIFACT_DIR}/feature_stats.json")
    except (MlflowException, OSError, ValueError):
        return {}
