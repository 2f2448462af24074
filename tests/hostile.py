"""A store full of hostile names, for the tests that render every page from it (AppTest and the browser).

Every field MLflow can hold and the workbench shows carries markup that would run script, load remote content,
draw links or format text if any page rendered it as markdown or HTML: the project (an experiment) and its tag,
the question, the data's name, a column name and two class labels, run names, a run's param and tag, a model
name (with link and image syntax written as HTML entities, which its name rule lets through, and backticks that
would end a code span), an alias that would be bold, a version's description and tag, the model card's texts, the
person who moved an alias and their reason. Remote references all point at ``EVIL``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVIL = "example.com"  # every remote reference below points here; no attribute of the page may name it
MARKUP = (
    '**bold** [link](http://example.com) <b>x</b> <iframe src="http://example.com/f"></iframe> '
    "![img](http://example.com/i.png) http://example.com <a href=http://example.com>a</a> :red[red]"
)
COLUMN = '<img src=x onerror="window.__pwned=1"> ![c](http://example.com/c.png)'
LABEL_SCRIPT = "<script>window.__pwned=2</script>"
LABEL_LINK = '[l](http://example.com) **b** <a href="http://example.com">a</a> <b>x</b>'
PROJECT = f"P {MARKUP}"
# registered model names may not contain '/', ':', '%', '#' or '?', so the URLs are written as HTML entities,
# which markdown decodes inside link targets; a backtick and a double one would end the code spans names sit in
MODEL = (
    '<img src=x onerror="window.__pwned=3"> **m** [l](x) <b>y '
    "![i](https&colon;&sol;&sol;example.com&sol;i.png) [e](https&colon;&sol;&sol;example.com) a`b ``c"
)
ALIAS = "__bold__"  # aliases allow only letters, digits, '_' and '-': enough for emphasis
REASON = f"Because {MARKUP} <img src=x onerror=window.__pwned=4>"
WHO = "<b>Eve</b> [x](http://example.com)"
UPLOAD_NAME = 'up <img src=x onerror="window.__pwned=5"> **f** [l](http:example.com).csv'
RUN_NAME = f"run {MARKUP} `"
# words that must never be drawn bold or emphasised: they are bold or emphasised only in the hostile text
EMPHASISED = ("bold", "m", "b", "f")


def hostile_frame(rows_per_class: int = 20) -> pd.DataFrame:
    """Three classes, two of them hostile labels; one hostile feature name, one ordinary one."""
    rng = np.random.default_rng(7)
    labels = [LABEL_SCRIPT, LABEL_LINK, "plain"]
    y = np.repeat(labels, rows_per_class)
    centre = np.repeat(np.arange(3.0), rows_per_class)
    return pd.DataFrame(
        {
            COLUMN: centre + rng.normal(0, 0.3, len(y)),
            "width": centre * 2 + rng.normal(0, 0.3, len(y)),
            "species": y,
        }
    )


@dataclass(frozen=True)
class Seeded:
    experiment_id: str
    data_run_id: str
    run_ids: tuple[str, ...]


def fill_store() -> Seeded:
    """Into the active store: project, question, data, two evaluated runs with hostile names, params and tags, two
    registered versions, the model card's texts and audited alias moves (one to a hostile alias)."""
    from mlflow import MlflowClient

    from core.compare import evaluation
    from core.data import datastore
    from core.question import projects
    from core.question.kpis import KPI
    from core.registry import governance, model_card
    from core.registry import model_registry as registry
    from core.train import training

    client = MlflowClient()
    kpis = [KPI("accuracy", ">", 0.5)]
    project = projects.create_project(PROJECT, f"Question {MARKUP}", kpis)
    client.set_experiment_tag(project.experiment_id, "note", MARKUP)
    record = datastore.record_dataset(project.experiment_id, hostile_frame(), f"data {MARKUP}", "species")
    projects.set_data_run(project.experiment_id, record.run_id)
    runs = []
    for algorithm in ("logistic_regression", "gaussian_nb"):
        run = training.train_model(project.experiment_id, record, algorithm)
        evaluation.evaluate_run(run.run_id, kpis)
        client.set_tag(run.run_id, evaluation.TAG_VERDICT, "pass")
        client.set_tag(run.run_id, "mlflow.runName", f"{RUN_NAME} {algorithm}")
        client.set_tag(run.run_id, "note", MARKUP)
        client.log_param(run.run_id, "note", MARKUP)
        registry.register(run.run_id, MODEL, description=f"Description {MARKUP}", tags={"note": MARKUP})
        runs.append(run.run_id)
    model_card.save_card_sections(MODEL, "1", f"Use {MARKUP}", f"Limits {MARKUP}")
    governance.move_alias(MODEL, "production", "1", governance.Actor(WHO), reason=REASON)
    governance.move_alias(MODEL, "champion", "2", governance.Actor(WHO), reason=REASON)
    governance.move_alias(MODEL, ALIAS, "2", governance.Actor(WHO), reason=REASON)
    return Seeded(project.experiment_id, record.run_id, tuple(runs))
