"""``python -m core retrain`` in real subprocesses against the test's temporary store: a shifted batch is
promoted through the gate (exit 0), a noisy one is refused (exit 3), bad input is one line on stderr (exit 2).

Too few rows, unknown labels and the rest of the batch checks are covered in tests/unit/test_retrain.py."""

from __future__ import annotations

import numpy as np

from core.registry import model_registry as registry
from tests.cli.test_cli import assert_one_line_error, describe, json_out, ok, run_cli
from tests.unit.test_retrain import MODEL, iris, make_champion, shifted_batch, store_counts


def test_retrain_promotes_a_better_challenger_and_refuses_a_worse_one(store, tmp_path):
    make_champion()
    shifted = tmp_path / "shifted.csv"
    shifted_batch().to_csv(shifted, index=False)
    proc = ok(run_cli("retrain", "--model", MODEL, "--input", str(shifted), "--promote", "--json", "--by", "ci"))
    payload = json_out(proc)
    assert payload["challenger_version"] == "2" and payload["better"] is True, describe(proc)
    assert payload["held_out_rows"] > 0 and payload["combine"] == "append"
    assert payload["promotion"]["moved"] is True and payload["promotion"]["to_version"] == "2"
    assert "trial" not in proc.stdout  # progress lines go to stderr with --json
    assert registry.get_model(MODEL).aliases == {"champion": "2", "challenger": "2"}

    noisy = tmp_path / "noisy.csv"
    batch = iris()
    batch["species"] = np.random.default_rng(0).permutation(batch["species"].to_numpy())
    batch.to_csv(noisy, index=False)
    args = ("retrain", "--model", MODEL, "--input", str(noisy), "--combine", "replace", "--promote", "--json")
    proc = ok(run_cli(*args, "--by", "ci"), code=3)
    payload = json_out(proc)  # the result is still reported on stdout
    assert payload["challenger_version"] == "3" and payload["promotion"]["moved"] is False
    (line,) = proc.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: @champion is protected") and "not a pass" in line, describe(proc)
    assert registry.get_model(MODEL).aliases == {"champion": "2", "challenger": "3"}


def test_retrain_bad_input_is_one_line_and_writes_nothing(store, tmp_path):
    make_champion()
    before = store_counts()
    other = tmp_path / "other.csv"
    iris().assign(flower_id=range(150)).drop(columns="petal width (cm)").to_csv(other, index=False)
    line = assert_one_line_error(run_cli("retrain", "--model", MODEL, "--input", str(other), "--by", "ci"))
    assert "missing 'petal width (cm)'" in line and "'flower_id'" in line
    line = assert_one_line_error(run_cli("retrain", "--model", MODEL, "--input", str(other), "--force"))
    assert "--promote" in line
    assert store_counts() == before
