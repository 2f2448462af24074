"""K phase: the model card of a registered model version, built from what MLflow knows about it.

The card gathers the registry entry, the source run, its project (question and KPIs), the data run, the held-out
evaluation and the person's own notes (intended use and limitations, kept as model-version tags). Every source is
read on its own, so a model other code registered, or a deleted run, only leaves its sections saying what is not
known. Markdown and HTML are rendered from the same sections.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

from core import datastore, projects, registry
from core.errors import describe
from core.evidence import conclusion_text
from core.i18n import tr
from core.kpis import METRICS, SCORE_METRICS
from core.provenance import MLFLOW_COMMIT_TAG, TAG_COMMIT, TAG_VERSIONS
from core.training import TAG_ALGORITHM, TAG_DATA_RUN

TAG_INTENDED_USE = "qua3ck.card.intended_use"
TAG_LIMITATIONS = "qua3ck.card.limitations"
MAX_SECTION = 5000
CARD_DIR = "model_card"
TOP_FEATURES = 10
SETUP_PARAMS = {
    "cv_folds": "CV folds",
    "random_seed": "Random seed",
    "split_seed": "Split seed",
    "test_size": "Test size",
    "train_rows": "Training rows",
    "features": "Feature columns",
}
NOT_WRITTEN = {
    TAG_INTENDED_USE: "Not written yet — say who should use this model, for which decisions and on which data; "
    "write it on the Registry page.",
    TAG_LIMITATIONS: "Not written yet — say where the model is known to be weak (classes or value ranges it rarely "
    "saw, data it was not tested on, what it must not be used for); write it on the Registry page.",
}


@dataclass(frozen=True)
class Table:
    """A table of text cells with an optional caption."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


Block = str | dict[str, str] | Table  # a paragraph, facts (label -> value) or a table


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class ModelCard:
    """A model version's card: the title section first, then the sections in reading order."""

    name: str
    version: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def markdown(self) -> str:
        out = []
        for i, section in enumerate(self.sections):
            out.append(("# " if i == 0 else "## ") + section.title)
            out.extend(_md_block(block) for block in section.blocks)
        return "\n\n".join(out) + "\n"

    def html(self) -> str:
        """A standalone HTML document (inline CSS, no external resources); every value is escaped."""
        body = []
        for i, section in enumerate(self.sections):
            tag = "h1" if i == 0 else "h2"
            body.append(f"<section><{tag}>{_e(section.title)}</{tag}>")
            body.extend(_html_block(block) for block in section.blocks)
            body.append("</section>")
        title = _e(self.sections[0].title if self.sections else f"{self.name} v{self.version}")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Model card: {title}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body)
            + "\n</body></html>\n"
        )


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;"
    "line-height:1.45}h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #ccc;margin-top:2rem}"
    "p{white-space:pre-wrap}table{border-collapse:collapse;margin:.5rem 0}caption{text-align:left;"
    "font-weight:600;padding:.25rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "th{background:#f3f3f3}ul{padding-left:1.2rem}"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _md_cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|") or " "


def _md_block(block: Block) -> str:
    if isinstance(block, Table):
        lines = [f"**{block.caption}**", ""] if block.caption else []
        lines.append("| " + " | ".join(_md_cell(c) for c in block.columns) + " |")
        lines.append("|" + "---|" * len(block.columns))
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, dict):
        return "\n".join(f"- **{label}:** {' '.join(str(value).split())}" for label, value in block.items())
    return block


def _html_block(block: Block) -> str:
    if isinstance(block, Table):
        caption = f"<caption>{_e(block.caption)}</caption>" if block.caption else ""
        head = "".join(f"<th>{_e(c)}</th>" for c in block.columns)
        rows = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, dict):
        items = "".join(f"<li><strong>{_e(k)}:</strong> {_e(v)}</li>" for k, v in block.items())
        return f"<ul>{items}</ul>"
    return f"<p>{_e(block)}</p>"


def _table(columns: list[str], rows: list[list[object]], caption: str = "") -> Table:
    return Table(tuple(columns), tuple(tuple(str(c) for c in row) for row in rows), caption)


def _when(ms: object) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(ms) / 1000))
    except (TypeError, ValueError, OverflowError):
        return "unknown"


def _num(value: object, digits: int = 4) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return "—"


class _Sources:
    """Everything the card reads; each read on its own, its failure noted in ``problems``."""

    def __init__(self, name: str, version: str) -> None:
        import mlflow
        from mlflow import MlflowClient

        self.info = registry.get_version(name, version)  # an unknown version is the caller's mistake: it raises
        client = MlflowClient()
        self.problems: dict[str, str] = {}
        self.model = self._read("model", lambda: registry.get_model(name))
        self.version_tags = self._read("tags", lambda: dict(client.get_model_version(name, version).tags)) or {}
        run_id = self.info.run_id
        self.run = self._read("run", lambda: client.get_run(run_id)) if run_id else None
        self.tags = dict(self.run.data.tags) if self.run else {}
        self.params = dict(self.run.data.params) if self.run else {}
        self.metrics = dict(self.run.data.metrics) if self.run else {}
        experiment = self.run.info.experiment_id if self.run else None
        self.project = self._read("project", lambda: projects.get_project(experiment)) if experiment else None
        data_run = self.tags.get(TAG_DATA_RUN)
        self.dataset = self._read("data", lambda: datastore.load_dataset(data_run)) if data_run else None
        self.data_source = self._read("data", lambda: datastore.data_source_uri(data_run)) if self.dataset else None
        from core.evaluation import load_evaluation

        # evaluate_run refuses runs other code logged, so only workbench runs can have an evaluation
        self.evaluation = self._read("evaluation", lambda: load_evaluation(run_id)) if self.workbench else None
        self.search = None
        if self.tags.get("qua3ck.search") == "1":
            self.search = self._read("search", lambda: mlflow.artifacts.load_dict(f"runs:/{run_id}/search.json"))

    def _read(self, key: str, read):
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 — one missing piece degrades only its own section
            self.problems.setdefault(key, describe(exc))
            return None

    @property
    def workbench(self) -> bool:
        return bool(self.tags.get(TAG_ALGORITHM) or self.tags.get(TAG_DATA_RUN))

    @property
    def is_project(self) -> bool:
        return self.project is not None and (self.project.kpis_set or bool(self.project.question))

    def not_known(self, what: str) -> str:
        """The plain sentence saying ``what`` is not known, and why."""
        if not self.info.run_id:
            return f"This version was registered by other code without a source run: no {what} is recorded."
        if self.run is None:
            why = self.problems.get("run", "it was deleted")
            return f"The source run {self.info.run_id} of this version cannot be read ({why}), so no {what} is known."
        return f"This version was registered by other code: no {what} is recorded."


def build_card(name: str, version: str, history: list[dict] | None = None) -> ModelCard:
    """The card of one model version; ``history`` is the alias audit trail (rendered newest first)."""
    src = _Sources(name, str(version))
    builders = [
        ("Question and KPIs", _question),
        ("Intended use", lambda s: _note(s, TAG_INTENDED_USE)),
        ("Limitations", lambda s: _note(s, TAG_LIMITATIONS)),
        ("Data", _data),
        ("Features and algorithm", _algorithm),
        ("Search", _search),
        ("Test results", _test_results),
        ("Conclusion", _conclusion),
        ("Registry and audit history", lambda s: _registry(s, history or [])),
        ("Provenance", _provenance),
    ]
    sections = [_title(src)]
    for title, build in builders:
        try:
            blocks = build(src)
        except Exception as exc:  # noqa: BLE001 — a bug or odd data in one section must not lose the card
            blocks = [f"This section could not be built: {describe(exc)}"]
        if blocks is not None:
            sections.append(Section(title, tuple(blocks)))
    return ModelCard(name, str(version), tuple(sections))


def _title(s: _Sources) -> Section:
    aliases = ", ".join(f"@{a}" for a in s.info.aliases) or "none"
    blocks: list[Block] = [{"Aliases": aliases, "Card built": _when(time.time() * 1000)}]
    if s.model and s.model.description:
        blocks.append(f"Model: {s.model.description}")
    if s.info.description:
        blocks.append(f"This version: {s.info.description}")
    return Section(f"{s.info.name} v{s.info.version}", tuple(blocks))


def _question(s: _Sources) -> list[Block]:
    if not s.is_project:
        sentence = s.not_known("project question or KPI list")
        if s.project is not None:
            sentence = sentence.rstrip(".") + f" (its run is in experiment '{s.project.name}', not a project)."
        return [sentence]
    p = s.project
    blocks: list[Block] = [{"Project": p.name, "Question": p.question or "not written yet"}]
    if p.kpis:
        blocks.append(_table(["KPI", "metric"], [[str(k), METRICS[k.metric].label] for k in p.kpis]))
    else:
        blocks.append("The project has no KPIs.")
    return blocks


def _note(s: _Sources, tag: str) -> list[Block]:
    return [s.version_tags.get(tag, "").strip() or NOT_WRITTEN[tag]]


def _data(s: _Sources) -> list[Block]:
    d = s.dataset
    if d is None:
        data_run = s.tags.get(TAG_DATA_RUN)
        if data_run:
            return [f"The data run {data_run} of this version cannot be read ({s.problems.get('data', 'unknown')})."]
        blocks: list[Block] = [s.not_known("data set")]
        inputs = s.run.inputs.dataset_inputs if s.run and s.run.inputs else []
        if inputs:
            rows = [[i.dataset.name, i.dataset.digest, i.dataset.source_type] for i in inputs]
            blocks.append(_table(["name", "digest", "source type"], rows, "Data sets the run logged with MLflow"))
        return blocks
    frame = d.frame
    from core.features import column_kinds

    numeric, boolean, categorical = column_kinds(frame.drop(columns=[d.target]))
    cells = frame.size or 1
    blocks = [
        {
            "Data set": d.name,
            "Source": s.data_source or f"data run {d.run_id}",
            "Digest": d.digest,
            "Target": d.target,
            "Split": f"{len(d.split.train)} training / {len(d.split.test)} test rows "
            f"(test size {d.split.test_size:g}, seed {d.split.seed})",
        },
        {
            "Rows": str(len(frame)),
            "Columns": str(frame.shape[1]),
            "Missing cells": f"{100 * frame.isna().sum().sum() / cells:.1f} %",
            "Duplicate rows": str(int(frame.duplicated().sum())),
            "Feature columns": f"{len(numeric)} numeric, {len(categorical)} categorical, {len(boolean)} boolean",
        },
    ]
    features = set(d.features)
    schema = []
    for column in frame.columns:
        role = "target" if column == d.target else d.roles.get(column, "feature" if column in features else "—")
        if column in d.excluded:
            role += " (excluded)"
        missing = 100 * frame[column].isna().mean() if len(frame) else 0.0
        schema.append([column, str(frame[column].dtype), role, f"{missing:.1f} %"])
    blocks.append(_table(["column", "dtype", "role", "missing"], schema, "Schema"))
    counts = frame[d.target].astype(str).value_counts()
    balance = [[label, int(n), f"{100 * n / max(len(frame), 1):.1f} %"] for label, n in counts.items()]
    blocks.append(_table(["class", "rows", "share"], balance, "Class balance"))
    return blocks


def _algorithm(s: _Sources) -> list[Block]:
    if s.run is None:
        return [s.not_known("algorithm or parameter")]
    from core.algorithms import ALGORITHMS
    from core.features import PARAM_PREFIX, FeatureSteps

    key = s.tags.get(TAG_ALGORITHM)
    if not key:
        blocks: list[Block] = [s.not_known("workbench algorithm")]
        if s.params:
            blocks.append(_table(["param", "value"], sorted(s.params.items()), "Parameters the run logged"))
        if s.metrics:
            rows = [[k, _num(v)] for k, v in sorted(s.metrics.items())]
            blocks.append(_table(["metric", "value"], rows, "Metrics the run logged"))
        return blocks
    spec = ALGORITHMS.get(key)
    blocks = [{"Algorithm": f"{spec.label} ({key})" if spec else key}]
    try:
        steps = FeatureSteps.from_params(s.params)
        blocks.append("Feature steps: " + steps.describe(spec.needs_scaling if spec else None))
    except ValueError as exc:
        blocks.append(f"The feature steps cannot be read: {describe(exc)}")
    skip = {"algorithm", *SETUP_PARAMS}
    hyper = [[k, v] for k, v in sorted(s.params.items()) if k not in skip and not k.startswith(("search.", "prep."))]
    blocks.append(_table(["hyperparameter", "value"], hyper, "Hyperparameters") if hyper else "No hyperparameters.")
    prep = [[k.removeprefix(PARAM_PREFIX), v] for k, v in sorted(s.params.items()) if k.startswith(PARAM_PREFIX)]
    if prep:
        blocks.append(_table(["step", "value"], prep, "Feature step settings"))
    setup = {label: s.params[k] for k, label in SETUP_PARAMS.items() if k in s.params}
    if setup:
        blocks.append(setup)
    cv = [
        [METRICS[m].label, f"{_num(s.metrics[f'cv_{m}'])} ± {_num(s.metrics.get(f'cv_{m}_std'))}"]
        for m in SCORE_METRICS
        if f"cv_{m}" in s.metrics
    ]
    if cv:
        blocks.append(_table(["metric", "mean ± std"], cv, "Cross-validation on the training split"))
    return blocks


def _search(s: _Sources) -> list[Block] | None:
    if s.tags.get("qua3ck.search") != "1":
        return None  # only a search parent has this section
    m = s.metrics
    blocks: list[Block] = [
        {
            "Status": s.tags.get("qua3ck.search_status", "unknown"),
            "Trials": _num(m.get("search.trials"), 0),
            "Failed trials": _num(m.get("search.failed_trials"), 0),
            "Best trial": _num(m.get("search.best_trial"), 0),
            "Best trial run": s.tags.get("qua3ck.best_trial_run", "—"),
        }
    ]
    config = s.search
    if not config:
        blocks.append(f"The search settings (search.json) cannot be read ({s.problems.get('search', 'missing')}).")
        return blocks
    budget = config.get("time_budget_s")
    blocks.append(
        {
            "Method": str(config.get("method")),
            "Optimised score": str(config.get("metric")),
            "Trial budget": str(config.get("max_trials") or "none"),
            "Time budget": f"{budget:g} s" if isinstance(budget, int | float) else "none",
            "CV folds": str(config.get("cv_folds")),
            "Seed": str(config.get("seed")),
        }
    )
    rows = []
    for d in config.get("space") or []:
        values = ", ".join(map(str, d.get("choices") or [])) or f"{d.get('low')} to {d.get('high')}"
        rows.append([d.get("name"), d.get("kind"), values, "yes" if d.get("log") else "no"])
    if rows:
        blocks.append(_table(["hyperparameter", "kind", "values", "log scale"], rows, "Search space"))
    return blocks


def _test_results(s: _Sources) -> list[Block]:
    ev = s.evaluation
    if ev is None:
        if s.run is None or not s.workbench:
            return [s.not_known("held-out evaluation")]
        if "evaluation" in s.problems:
            return [f"The stored evaluation cannot be read ({s.problems['evaluation']})."]
        return ["Not evaluated yet — evaluate this run on its held-out rows on the Compare page (C phase)."]
    scores = [[METRICS[m].label, _num(ev.metrics[m])] for m in SCORE_METRICS if m in ev.metrics]
    blocks: list[Block] = [
        _table(["metric", "test value"], scores, f"Held-out test metrics ({ev.test_rows} rows)"),
        {
            "Single-row latency p50": f"{_num(ev.metrics.get('latency_ms_p50'), 2)} ms",
            "Single-row latency p95": f"{_num(ev.metrics.get('latency_ms'), 2)} ms",
        },
    ]
    if s.is_project and s.project.kpis:
        results = ev.kpi_results(s.project.kpis)
        rows = [[str(r.kpi), _num(r.value), "PASS" if r.passed else "FAIL"] for r in results]
        blocks.append(_table(["KPI", "measured", "result"], rows, "KPI verdict"))
        blocks.append(f"Overall verdict: {ev.verdict(s.project.kpis).upper()}.")
    elif s.tags.get("qua3ck.kpi_verdict"):
        blocks.append(f"Recorded KPI verdict: {s.tags['qua3ck.kpi_verdict']}.")
    matrix = [[label, *row] for label, row in zip(ev.labels, ev.confusion, strict=False)]
    caption = "Confusion matrix (rows: true class, columns: predicted class)"
    blocks.append(_table(["true \\ predicted", *ev.labels], matrix, caption))
    importance = ev.importance_frame()
    if importance is not None:
        rows = [[r.feature, _num(r.mean), _num(r.std)] for r in importance.head(TOP_FEATURES).itertuples()]
        metric = (ev.importance or {}).get("metric", "score")
        blocks.append(_table(["feature", "mean drop", "std"], rows, f"Permutation importance ({metric}), top features"))
    elif ev.no_importance:
        blocks.append(f"Permutation importance: {ev.no_importance}")
    return blocks


def _conclusion(s: _Sources) -> list[Block]:
    if s.run is None or not s.workbench:
        return [s.not_known("conclusion")]
    return [conclusion_text(s.tags) or "No conclusion recorded yet — record one on the Compare page (C phase)."]


def _registry(s: _Sources, history: list[dict]) -> list[Block]:
    model_aliases = ", ".join(f"@{a} → v{v}" for a, v in sorted((s.model.aliases if s.model else {}).items()))
    blocks: list[Block] = [
        {
            "Registered model": s.info.name,
            "Version": s.info.version,
            "Aliases of this version": ", ".join(f"@{a}" for a in s.info.aliases) or "none",
            "Aliases of the model": model_aliases or "none",
            "Created": _when(s.info.created),
            "Source": s.info.source or "unknown",
        }
    ]
    tags = [[k, v] for k, v in sorted(s.version_tags.items()) if k not in NOT_WRITTEN]
    if tags:
        blocks.append(_table(["tag", "value"], tags, "Version tags"))
    if not history:
        blocks.append("No alias changes are recorded for this model.")
        return blocks
    rows = []
    for h in sorted(history, key=lambda h: h.get("when") or 0, reverse=True):
        move = f"{'v' + str(h['from_version']) if h.get('from_version') else '—'} → "
        move += f"v{h['to_version']}" if h.get("to_version") else "—"
        rows.append(
            [
                _when(h.get("when")),
                h.get("who") or "unknown",
                h.get("action", ""),
                f"@{h.get('alias', '')}",
                move,
                h.get("reason") or "",
                "yes" if h.get("override") else "no",
            ]
        )
    columns = ["when", "who", "action", "alias", "versions", "reason", "override"]
    blocks.append(_table(columns, rows, "Alias history (newest first)"))
    return blocks


def _provenance(s: _Sources) -> list[Block]:
    facts = {"Run": s.info.run_id or "none", "Model source URI": s.info.source or "unknown"}
    if s.run is None:
        return [facts, s.not_known("git commit or package version")]
    facts["Experiment"] = s.project.name if s.project else s.run.info.experiment_id
    commit = s.tags.get(TAG_COMMIT) or s.tags.get(MLFLOW_COMMIT_TAG)
    facts["Git commit"] = commit or "not recorded"
    if s.run.info.lifecycle_stage == "deleted":
        facts["Run state"] = "deleted (its artifacts may be gone)"
    for label, tag in (("Source", "mlflow.source.name"), ("User", "mlflow.user")):
        if s.tags.get(tag):
            facts[label] = s.tags[tag]
    blocks: list[Block] = [facts]
    versions = [v.split("=", 1) for v in s.tags.get(TAG_VERSIONS, "").split() if "=" in v]
    if versions:
        blocks.append(_table(["package", "version"], versions, "Package versions"))
    else:
        blocks.append(s.not_known("package version") if not s.workbench else "No package versions were recorded.")
    return blocks


def save_card_sections(name: str, version: str, intended_use: str, limitations: str) -> None:
    """Store the person's intended use and limitations as tags of the model version (empty clears them)."""
    from mlflow import MlflowClient

    texts = {TAG_INTENDED_USE: (intended_use or "").strip(), TAG_LIMITATIONS: (limitations or "").strip()}
    for tag, text in texts.items():
        if len(text) > MAX_SECTION:
            key = "registry.card_too_long_use" if tag == TAG_INTENDED_USE else "registry.card_too_long_limits"
            raise ValueError(tr(key, limit=MAX_SECTION, length=len(text)))
    registry.get_version(name, version)  # refuses unknown versions before anything is written
    client = MlflowClient()
    for tag, text in texts.items():
        client.set_model_version_tag(name, str(version), tag, text)


def filename(name: str, version: str, ext: str) -> str:
    """A download file name safe on every system: ``iris-classifier-v3.html``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    safe_version = re.sub(r"[^0-9A-Za-z]+", "", str(version)) or "0"
    return f"{safe[:100]}-v{safe_version}.{ext.lstrip('.')}"


def log_card(name: str, version: str, card: ModelCard) -> list[str]:
    """Log the card as Markdown and HTML artifacts of the version's source run; returns the artifact paths."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    info = registry.get_version(name, version)
    if not info.run_id:
        raise ValueError(tr("registry.card_no_run", name=name, version=version))
    client = MlflowClient()
    paths = []
    try:
        for ext, text in (("md", card.markdown()), ("html", card.html())):
            path = f"{CARD_DIR}/{filename(name, version, ext)}"
            client.log_text(info.run_id, text, path)
            paths.append(path)
    except MlflowException as exc:
        raise ValueError(tr("registry.card_log_failed", run=info.run_id, error=describe(exc))) from None
    return paths
