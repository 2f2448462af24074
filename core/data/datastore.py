"""The project's data set and split, stored in MLflow as a 'data' run so every phase reads the same rows.

The data run holds the frame (Parquet), the stratified split, the column roles, the validation findings,
the schema that later checks prediction batches, and the profile report; ``mlflow.log_input`` records the
data set with its digest and schema.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.config import active_store
from core.common.i18n import tr
from core.data import profiling
from core.data.roles import USABLE_ROLES, coerce_for_roles, feature_columns_for, infer_roles
from core.data.sets import DEFAULT_SEED, DEFAULT_TEST_SIZE, DataError, Split, dataset_digest, feature_stats, make_split
from core.data.validation import (
    blocking,
    blocking_message,
    check_spec,
    infer_schema,
    validate_training_data,
    with_severity,
)
from core.question import projects

TAG_KIND = "qua3ck.kind"
TAG_DIGEST = "qua3ck.data_digest"
TAG_TARGET = "qua3ck.target"
TAG_DATASET = "qua3ck.dataset"
ARTIFACT_DIR = "dataset"


@dataclass(frozen=True)
class DatasetRecord:
    """A project's data set as stored in MLflow: the frame, its target, column roles and the fixed split."""

    run_id: str
    name: str
    target: str
    digest: str
    frame: pd.DataFrame
    split: Split
    roles: dict[str, str] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()

    @property
    def features(self) -> list[str]:
        """The columns the model sees: usable roles, not excluded, never the target."""
        if not self.roles:  # data runs written before roles existed: every column but the target
            return [c for c in self.frame.columns if c != self.target]
        return feature_columns_for(self.roles, self.target, set(self.excluded))

    @property
    def classes(self) -> list[str]:
        return sorted(self.frame[self.target].astype(str).unique().tolist())

    def train_xy(self) -> tuple[pd.DataFrame, pd.Series]:
        rows = self.frame.iloc[self.split.train]
        return rows[self.features], rows[self.target]

    def test_xy(self) -> tuple[pd.DataFrame, pd.Series]:
        rows = self.frame.iloc[self.split.test]
        return rows[self.features], rows[self.target]

    def schema(self) -> dict:
        """The validation schema of the model's inputs, inferred from the training rows."""

        return infer_schema(self.frame.iloc[self.split.train], self.features, self.roles_of_features())

    def roles_of_features(self) -> dict[str, str]:
        roles = self.roles or infer_roles(self.frame, self.target)
        return {c: roles[c] for c in self.features if c in roles}

    def stats(self) -> dict[str, dict]:
        """Training ranges and categories of the features (predict inputs)."""
        return feature_stats(self.frame.iloc[self.split.train][[*self.features, self.target]], self.target)


def check_dataset(
    frame: pd.DataFrame,
    target: str,
    roles: dict[str, str] | None = None,
    excluded: set[str] | frozenset[str] = frozenset(),
    test_size: float = DEFAULT_TEST_SIZE,
    cv_folds: int = 5,
):
    """Roles (inferred when not given), the feature columns and every validation finding for this data."""

    if target not in frame.columns:
        raise DataError(tr("data.errors.unknown_target", target=target))
    roles = {c: r for c, r in (roles or infer_roles(frame, target)).items() if c != target}
    features = feature_columns_for(roles, target, set(excluded))
    # columns the analyst excluded are not checked; id/constant/text columns keep their explanatory notes
    dropped = [c for c in excluded if roles.get(c) in USABLE_ROLES]
    findings = validate_training_data(frame.drop(columns=dropped), target, roles, cv_folds, test_size)
    if not features:
        raise DataError(tr("data.errors.no_usable_feature"))
    return roles, features, findings


def record_dataset(
    experiment_id: str,
    frame: pd.DataFrame,
    name: str,
    target: str,
    test_size: float = DEFAULT_TEST_SIZE,
    seed: int = DEFAULT_SEED,
    roles: dict[str, str] | None = None,
    excluded: set[str] | frozenset[str] = frozenset(),
    profile_html: str | None = None,
    profile_digest: str | None = None,
) -> DatasetRecord:
    """Validate, split and store the data as the project's data run; reuses an identical current one.

    Raises DataError, and writes nothing, when validation finds an error.
    """
    import mlflow

    roles, features, findings = check_dataset(frame, target, roles, excluded, test_size)
    errors = blocking(findings)
    if errors:
        raise DataError(blocking_message(findings))
    frame = coerce_for_roles(frame, roles).reset_index(drop=True)
    split = make_split(frame, target, test_size, seed)
    digest = dataset_digest(frame)
    excluded_sorted = tuple(sorted(excluded))
    current = current_dataset_run(experiment_id)
    if current is not None and _same(current, digest, name, target, test_size, seed, roles, excluded_sorted):
        if profile_html and profiling.TAG_PROFILE not in current.data.tags:
            profiling.store_profile(current.info.run_id, profile_html, profile_digest or digest)
        return load_dataset(current.info.run_id, frame=frame)
    active_store()
    record = DatasetRecord("", name, target, digest, frame, split, roles, excluded_sorted)
    schema = record.schema()
    check_spec(schema)  # a spec that would not check a batch is a bug: refuse it before anything is logged
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
                "features": len(features),
                "excluded": ",".join(excluded_sorted)[:500],
                "roles_digest": _roles_digest(roles, excluded_sorted),
            }
        )
        source = f"{run.info.artifact_uri}/{ARTIFACT_DIR}/data.parquet"
        mlflow.log_input(mlflow_dataset(frame, name, target, digest, source), context="full")
        mlflow.log_metrics({"validation_errors": 0, "validation_warnings": len(with_severity(findings, "warning"))})
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            frame.to_parquet(folder / "data.parquet", index=False)
            (folder / "split.json").write_text(json.dumps({"train": split.train, "test": split.test}))
            (folder / "feature_stats.json").write_text(json.dumps(record.stats(), indent=1))
            (folder / "roles.json").write_text(json.dumps({"roles": roles, "excluded": excluded_sorted}, indent=1))
            (folder / "schema.json").write_text(json.dumps(schema, indent=1, default=str))
            # the report in English, whatever language the page showed it in
            (folder / "validation.json").write_text(
                json.dumps([f.as_stored() for f in findings], indent=1, default=str)
            )
            mlflow.log_artifacts(tmp, ARTIFACT_DIR)
        if profile_html:
            profiling.store_profile(run.info.run_id, profile_html, profile_digest or digest)
    projects.set_data_run(experiment_id, run.info.run_id)
    return DatasetRecord(run.info.run_id, name, target, digest, frame, split, roles, excluded_sorted)


def mlflow_dataset(frame: pd.DataFrame, name: str, target: str, digest: str, source: str | None):
    """An ``mlflow.data`` data set with digest and schema, and its stored Parquet file as source when MLflow
    knows how to describe that URI (it does for files; some artifact-store schemes have no resolver)."""

    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        with warnings.catch_warnings():
            # MLflow registers its local artifact source twice and says so on every call; harmless
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            return mlflow.data.from_pandas(frame, source=source, name=name, targets=target, digest=digest)
    except MlflowException:
        return mlflow.data.from_pandas(frame, name=name, targets=target, digest=digest)


def data_source_uri(run_id: str) -> str:
    """Where a data run's Parquet file lives in the artifact store."""
    from mlflow import MlflowClient

    active_store()
    return f"{MlflowClient().get_run(run_id).info.artifact_uri}/{ARTIFACT_DIR}/data.parquet"


def _roles_digest(roles: dict[str, str], excluded: tuple[str, ...]) -> str:

    text = json.dumps({"roles": roles, "excluded": list(excluded)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _same(run, digest, name, target, test_size, seed, roles, excluded) -> bool:
    params = run.data.params
    return (
        run.data.tags.get(TAG_DIGEST) == digest
        and params.get("dataset") == name
        and params.get("target") == target
        and params.get("test_size") == str(test_size)
        and params.get("split_seed") == str(seed)
        and params.get("roles_digest") == _roles_digest(roles, excluded)
    )


def live_run(run_id: str | None):
    """The MLflow run, or None when there is no id, no such run, or it was deleted."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if not run_id:
        return None
    active_store()
    try:
        run = MlflowClient().get_run(run_id)
    except MlflowException:
        return None
    return run if run.info.lifecycle_stage == "active" else None


def current_dataset_run(experiment_id: str):
    """The MLflow run holding the project's current data, or None."""
    return live_run(projects.get_project(experiment_id).data_run_id)


def load_dataset(run_id: str, frame: pd.DataFrame | None = None) -> DatasetRecord:
    """Read a data run back: the frame, target, roles and split every phase uses."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    active_store()
    try:
        run = MlflowClient().get_run(run_id)
    except MlflowException:
        raise DataError(tr("data.errors.run_gone", run=run_id)) from None
    params = run.data.params
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=ARTIFACT_DIR, dst_path=tmp))
            if frame is None:
                frame = _missing_as_nan(pd.read_parquet(local / "data.parquet"))
            positions = json.loads((local / "split.json").read_text())
            roles_file = local / "roles.json"
            stored_roles = json.loads(roles_file.read_text()) if roles_file.exists() else {}
    except (MlflowException, OSError, KeyError) as exc:
        raise DataError(tr("data.errors.run_unreadable", run=run_id, error=exc)) from None
    split = Split(positions["train"], positions["test"], float(params["test_size"]), int(params["split_seed"]))
    return DatasetRecord(
        run_id,
        params.get("dataset", ""),
        params["target"],
        run.data.tags.get(TAG_DIGEST, ""),
        frame,
        split,
        stored_roles.get("roles", {}),
        tuple(stored_roles.get("excluded", ())),
    )


def _missing_as_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet gives missing text back as None; make it NaN, as it was when recorded (the imputers look for NaN)."""

    for column in frame.select_dtypes(include="object").columns:
        if frame[column].isna().any():
            frame[column] = frame[column].where(frame[column].notna(), np.nan)
    return frame


def load_json_artifact(run_id: str, name: str) -> dict | list | None:
    """A JSON artifact of a data run's dataset folder (schema, validation, feature stats), or None."""
    import mlflow
    from mlflow.exceptions import MlflowException

    active_store()
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{ARTIFACT_DIR}/{name}")
    except (MlflowException, OSError, ValueError):
        return None


def load_feature_stats(run_id: str) -> dict[str, dict]:
    """Training ranges and categories logged with a data run (empty when the run has none)."""
    return load_json_artifact(run_id, "feature_stats.json") or {}
