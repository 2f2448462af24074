"""K phase: the model card of a registered model version, built from what MLflow knows about it.

The card gathers the registry entry, the source run, its project (question and KPIs), the data run, the held-out
evaluation and the person's own notes (intended use and limitations, kept as model-version tags). Every source is
read on its own, so a model other code registered, or a deleted run, only leaves its sections saying what is not
known. Markdown and HTML are rendered from the same sections.

The card is written in the reader's language (catalogue area ``card``, numbers and dates as the language writes
them); values from the data or from people (names, descriptions, notes, tags, reasons, URIs) stay as they are.
"""

from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass, field

import jinja2
from markupsafe import Markup

from core.common.errors import WorkbenchError, describe, describe_in_document
from core.common.i18n import (
    DEFAULT_LANGUAGE,
    catalogue,
    current_language,
    number,
    percent,
    significant,
    tr,
    translate,
    when,
)
from core.common.provenance import MLFLOW_COMMIT_TAG, TAG_COMMIT, TAG_VERSIONS
from core.compare.evaluation import load_evaluation, stored_reason
from core.compare.evidence import CONCLUSIONS, TAG_CONCLUSION, TAG_CONCLUSION_NOTE, conclusion_label
from core.data import datastore
from core.question import projects
from core.question.kpis import METRICS, SCORE_METRICS
from core.registry import model_registry
from core.registry.governance import REQUEST_PREFIX, RULES, verdict_word
from core.train.algorithms import ALGORITHMS
from core.train.features import PARAM_PREFIX, FeatureSteps, column_kinds
from core.train.recipe import read_search_json
from core.train.training import TAG_ALGORITHM, TAG_DATA_RUN, TAG_SEARCH

TAG_INTENDED_USE = "qua3ck.card.intended_use"
TAG_LIMITATIONS = "qua3ck.card.limitations"
MAX_SECTION = 5000
CARD_DIR = "model_card"
TOP_FEATURES = 10
SETUP_PARAMS = ("cv_folds", "random_seed", "split_seed", "test_size", "train_rows", "features")  # card.setup.*
NOT_WRITTEN = {TAG_INTENDED_USE: "card.note.intended_use", TAG_LIMITATIONS: "card.note.limitations"}


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
    """A model version's card: the title section first, then the sections in reading order, in ``language``."""

    name: str
    version: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
    language: str = DEFAULT_LANGUAGE

    def markdown(self) -> str:
        out = []
        for i, section in enumerate(self.sections):
            out.append(("# " if i == 0 else "## ") + section.title)
            out.extend(_md_block(block) for block in section.blocks)
        return "\n\n".join(out) + "\n"

    def html(self) -> str:
        """A standalone HTML document (inline CSS, no external resources); every value is escaped (Jinja2's
        autoescaping: nothing from the store reaches the page as markup)."""
        heading = self.sections[0].title if self.sections else f"{self.name} v{self.version}"
        sections = [(s.title, [(_kind(b), b) for b in s.blocks]) for s in self.sections]
        return _html_template().render(
            language=self.language,
            title=translate("card.html_title", self.language, title=heading),
            css=Markup(_CSS),  # our own constant
            sections=sections,
        )


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;"
    "line-height:1.45}h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #ccc;margin-top:2rem}"
    "p{white-space:pre-wrap}table{border-collapse:collapse;margin:.5rem 0}caption{text-align:left;"
    "font-weight:600;padding:.25rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "th{background:#f3f3f3}ul{padding-left:1.2rem}"
)


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


def _kind(block: Block) -> str:
    return "table" if isinstance(block, Table) else "facts" if isinstance(block, dict) else "text"


# The card's page. Autoescaped: titles, cells, facts and paragraphs are text, whatever they hold
_HTML = """<!DOCTYPE html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ title }}</title><style>{{ css }}</style></head>
<body>
{% for title, blocks in sections %}
{% set tag = "h1" if loop.first else "h2" %}
<section><{{ tag }}>{{ title }}</{{ tag }}>
{% for kind, block in blocks %}
{% if kind == "table" %}
<table>{% if block.caption %}<caption>{{ block.caption }}</caption>{% endif %}<thead><tr>
{%- for c in block.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{%- for row in block.rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% elif kind == "facts" %}
<ul>{% for k, v in block.items() %}<li><strong>{{ k }}:</strong> {{ v }}</li>{% endfor %}</ul>
{% else %}
<p>{{ block }}</p>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body></html>
"""


@functools.cache
def _html_template():

    environment = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return environment.from_string(_HTML)


def _table(columns: list[str], rows: list[list[object]], caption: str = "") -> Table:
    return Table(tuple(columns), tuple(tuple(str(c) for c in row) for row in rows), caption)


def _cols(*names: str) -> list[str]:
    """Table headers from their keys in the card's catalogue (``data.col_role`` is ``card.data.col_role``)."""
    return [tr(f"card.{name}") for name in names]


def _known(key: str) -> bool:
    return key in catalogue(DEFAULT_LANGUAGE)


def _word(key: str, code: object) -> str:
    """A stored code (a role, an alias action, a search status) in words when the catalogue has ``key``."""
    return tr(key) if _known(key) else str(code)


def _metric(metric: str) -> str:
    """A metric's name in the reader's language (a metric the workbench does not know: its code)."""
    if _known(f"metrics.{metric}"):
        return tr(f"metrics.{metric}")
    return METRICS[metric].label if metric in METRICS else metric


def _when(ms: object) -> str:
    try:
        return when(float(ms))
    except (TypeError, ValueError, OverflowError, OSError):
        return tr("card.unknown")


def _num(value: object, digits: int = 4) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "—"
    return number(value, digits) if math.isfinite(value) else str(value)


def _count(value: object) -> str:
    """A count of rows or cells, grouped as the language groups digits."""
    try:
        return number(int(value))
    except (TypeError, ValueError):
        return str(value)


def _share(share: float) -> str:
    return percent(share, 1)


class _Sources:
    """Everything the card reads; each read on its own, its failure noted in ``problems``."""

    def __init__(self, name: str, version: str) -> None:
        from mlflow import MlflowClient

        self.info = model_registry.get_version(name, version)  # an unknown version is the caller's mistake: it raises
        client = MlflowClient()
        self.problems: dict[str, str] = {}
        self.model = self._read("model", lambda: model_registry.get_model(name))
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

        # evaluate_run refuses runs other code logged, so only workbench runs can have an evaluation
        self.evaluation = self._read("evaluation", lambda: load_evaluation(run_id)) if self.workbench else None
        self.search = None
        if self.tags.get(TAG_SEARCH) == "1":
            self.search = self._read("search", lambda: read_search_json(run_id))

    def _read(self, key: str, read):
        try:
            return read()
        except Exception as exc:  # noqa: BLE001 — one missing piece degrades only its own section
            self.problems.setdefault(key, describe_in_document(exc))
            return None

    @property
    def workbench(self) -> bool:
        return bool(self.tags.get(TAG_ALGORITHM) or self.tags.get(TAG_DATA_RUN))

    @property
    def is_project(self) -> bool:
        return self.project is not None and (self.project.kpis_set or bool(self.project.question))

    def not_known(self, what: str) -> str:
        """The plain sentence saying the thing ``card.what.<what>`` is not known, and why."""
        thing = tr(f"card.what.{what}")
        if not self.info.run_id:
            return tr("card.not_known.no_run", what=thing)
        if self.run is None:
            why = self.problems.get("run") or tr("card.not_known.run_deleted")
            return tr("card.not_known.unreadable_run", run=self.info.run_id, why=why, what=thing)
        return tr("card.not_known.other_code", what=thing)


def build_card(name: str, version: str, history: list[dict] | None = None) -> ModelCard:
    """The card of one model version in the current language; ``history`` is the alias audit trail (rendered
    newest first)."""
    language = current_language()
    src = _Sources(name, str(version))
    builders = [
        ("question", _question),
        ("intended_use", lambda s: _note(s, TAG_INTENDED_USE)),
        ("limitations", lambda s: _note(s, TAG_LIMITATIONS)),
        ("data", _data),
        ("algorithm", _algorithm),
        ("search", _search),
        ("test_results", _test_results),
        ("conclusion", _conclusion),
        ("registry", lambda s: _registry(s, history or [])),
        ("provenance", _provenance),
    ]
    sections = [_title(src)]
    for key, build in builders:
        try:
            blocks = build(src)
        except Exception as exc:  # noqa: BLE001 — a bug or odd data in one section must not lose the card
            blocks = [tr("card.section_failed", error=describe_in_document(exc))]
        if blocks is not None:
            sections.append(Section(tr(f"card.section.{key}"), tuple(blocks)))
    return ModelCard(name, str(version), tuple(sections), language)


def _aliases(aliases) -> str:
    return ", ".join(f"@{a}" for a in aliases) or tr("card.none")


def _title(s: _Sources) -> Section:
    blocks: list[Block] = [
        {tr("card.title.aliases"): _aliases(s.info.aliases), tr("card.title.built"): _when(time.time() * 1000)}
    ]
    if s.model and s.model.description:
        blocks.append(tr("card.title.model", description=s.model.description))
    if s.info.description:
        blocks.append(tr("card.title.version", description=s.info.description))
    return Section(f"{s.info.name} v{s.info.version}", tuple(blocks))


def _question(s: _Sources) -> list[Block]:
    if not s.is_project:
        sentence = s.not_known("question")
        if s.project is not None:
            sentence = tr("card.not_known.not_a_project", sentence=sentence.rstrip("."), experiment=s.project.name)
        return [sentence]
    p = s.project
    blocks: list[Block] = [
        {
            tr("card.question.project"): p.name,
            tr("card.question.question"): p.question or tr("card.question.not_written"),
        }
    ]
    if p.kpis:
        rows = [[k.shown(), _metric(k.metric)] for k in p.kpis]
        blocks.append(_table(_cols("question.col_kpi", "question.col_metric"), rows))
    else:
        blocks.append(tr("card.question.no_kpis"))
    return blocks


def _note(s: _Sources, tag: str) -> list[Block]:
    return [s.version_tags.get(tag, "").strip() or tr(NOT_WRITTEN[tag])]


def _data(s: _Sources) -> list[Block]:
    d = s.dataset
    if d is None:
        data_run = s.tags.get(TAG_DATA_RUN)
        if data_run:
            return [tr("card.data.unreadable", run=data_run, error=s.problems.get("data") or tr("card.unknown"))]
        blocks: list[Block] = [s.not_known("data")]
        inputs = s.run.inputs.dataset_inputs if s.run and s.run.inputs else []
        if inputs:
            rows = [[i.dataset.name, i.dataset.digest, i.dataset.source_type] for i in inputs]
            columns = _cols("data.col_name", "data.col_digest", "data.col_source_type")
            blocks.append(_table(columns, rows, tr("card.data.logged_caption")))
        return blocks
    frame = d.frame

    numeric, boolean, categorical = column_kinds(frame.drop(columns=[d.target]))
    cells = frame.size or 1
    split = tr(
        "card.data.split",
        train=len(d.split.train),
        test=len(d.split.test),
        test_size=d.split.test_size,
        seed=d.split.seed,
    )
    blocks = [
        {
            tr("card.data.data_set"): d.name,
            tr("card.data.source"): s.data_source or tr("card.data.source_run", run=d.run_id),
            tr("card.data.digest"): d.digest,
            tr("card.data.target"): d.target,
            tr("card.data.split_label"): split,
        },
        {
            tr("card.data.rows"): _count(len(frame)),
            tr("card.data.columns"): _count(frame.shape[1]),
            tr("card.data.missing_cells"): _share(frame.isna().sum().sum() / cells),
            tr("card.data.duplicates"): _count(frame.duplicated().sum()),
            tr("card.data.feature_columns"): tr(
                "card.data.kinds", numeric=len(numeric), categorical=len(categorical), boolean=len(boolean)
            ),
        },
    ]
    features = set(d.features)
    schema = []
    for column in frame.columns:
        if column == d.target:
            role = tr("card.data.role_target")
        elif column in d.roles:
            role = _word(f"data.role.{d.roles[column]}", d.roles[column])
        else:
            role = tr("card.data.role_feature") if column in features else "—"
        if column in d.excluded:
            role = tr("card.data.excluded", role=role)
        missing = frame[column].isna().mean() if len(frame) else 0.0
        schema.append([column, str(frame[column].dtype), role, _share(missing)])
    columns = _cols("data.col_column", "data.col_dtype", "data.col_role", "data.col_missing")
    blocks.append(_table(columns, schema, tr("card.data.schema_caption")))
    counts = frame[d.target].astype(str).value_counts()
    balance = [[label, _count(n), _share(n / max(len(frame), 1))] for label, n in counts.items()]
    columns = _cols("data.col_class", "data.col_rows", "data.col_share")
    blocks.append(_table(columns, balance, tr("card.data.balance_caption")))
    return blocks


def _algorithm(s: _Sources) -> list[Block]:
    if s.run is None:
        return [s.not_known("algorithm")]

    key = s.tags.get(TAG_ALGORITHM)
    if not key:
        blocks: list[Block] = [s.not_known("workbench_algorithm")]
        if s.params:
            columns = _cols("algorithm.col_param", "algorithm.col_value")
            blocks.append(_table(columns, sorted(s.params.items()), tr("card.algorithm.params_caption")))
        if s.metrics:
            rows = [[k, _num(v)] for k, v in sorted(s.metrics.items())]
            columns = _cols("algorithm.col_metric", "algorithm.col_value")
            blocks.append(_table(columns, rows, tr("card.algorithm.metrics_caption")))
        return blocks
    spec = ALGORITHMS.get(key)
    named = tr("card.algorithm.named", label=spec.shown_label, key=key) if spec else key
    blocks = [{tr("card.algorithm.algorithm"): named}]
    try:
        steps = FeatureSteps.from_params(s.params)
        described = steps.describe(spec.needs_scaling if spec else None, language=current_language())
        blocks.append(tr("card.algorithm.feature_steps", steps=described))
    except ValueError as exc:
        blocks.append(tr("card.algorithm.steps_unreadable", error=describe_in_document(exc)))
    skip = {"algorithm", *SETUP_PARAMS}
    hyper = [[k, v] for k, v in sorted(s.params.items()) if k not in skip and not k.startswith(("search.", "prep."))]
    if hyper:
        columns = _cols("algorithm.col_hyperparameter", "algorithm.col_value")
        blocks.append(_table(columns, hyper, tr("card.algorithm.hyper_caption")))
    else:
        blocks.append(tr("card.algorithm.no_hyper"))
    prep = [[k.removeprefix(PARAM_PREFIX), v] for k, v in sorted(s.params.items()) if k.startswith(PARAM_PREFIX)]
    if prep:
        columns = _cols("algorithm.col_step", "algorithm.col_value")
        blocks.append(_table(columns, prep, tr("card.algorithm.steps_caption")))
    setup = {tr(f"card.setup.{k}"): s.params[k] for k in SETUP_PARAMS if k in s.params}
    if setup:
        blocks.append(setup)
    cv = [
        [_metric(m), f"{_num(s.metrics[f'cv_{m}'])} ± {_num(s.metrics.get(f'cv_{m}_std'))}"]
        for m in SCORE_METRICS
        if f"cv_{m}" in s.metrics
    ]
    if cv:
        columns = _cols("algorithm.col_metric", "algorithm.col_mean_std")
        blocks.append(_table(columns, cv, tr("card.algorithm.cv_caption")))
    return blocks


def _search(s: _Sources) -> list[Block] | None:
    if s.tags.get(TAG_SEARCH) != "1":
        return None  # only a search parent has this section
    m = s.metrics
    status = s.tags.get("qua3ck.search_status")
    blocks: list[Block] = [
        {
            tr("card.search.status"): _word(f"card.search.ended.{status}", status) if status else tr("card.unknown"),
            tr("card.search.trials"): _num(m.get("search.trials"), 0),
            tr("card.search.failed_trials"): _num(m.get("search.failed_trials"), 0),
            tr("card.search.best_trial"): _num(m.get("search.best_trial"), 0),
            tr("card.search.best_trial_run"): s.tags.get("qua3ck.best_trial_run", "—"),
        }
    ]
    config = s.search
    if not config:
        error = s.problems.get("search") or tr("card.missing")
        blocks.append(tr("card.search.settings_unreadable", error=error))
        return blocks
    budget = config.get("time_budget_s")
    trials = config.get("max_trials")
    blocks.append(
        {
            tr("card.search.method"): str(config.get("method")),
            tr("card.search.metric"): str(config.get("metric")),
            tr("card.search.trial_budget"): _count(trials) if trials else tr("card.search.unlimited"),
            tr("card.search.time_budget"): f"{significant(budget, 6)} s"
            if isinstance(budget, int | float) and not isinstance(budget, bool)
            else tr("card.search.unlimited"),
            tr("card.search.cv_folds"): str(config.get("cv_folds")),
            tr("card.search.seed"): str(config.get("seed")),
        }
    )
    rows = []
    for d in config.get("space") or []:
        values = ", ".join(map(str, d.get("choices") or [])) or tr(
            "card.search.range", low=d.get("low"), high=d.get("high")
        )
        rows.append([d.get("name"), d.get("kind"), values, tr("common.yes") if d.get("log") else tr("common.no")])
    if rows:
        columns = _cols("search.col_hyperparameter", "search.col_kind", "search.col_values", "search.col_log")
        blocks.append(_table(columns, rows, tr("card.search.space_caption")))
    return blocks


def _test_results(s: _Sources) -> list[Block]:

    ev = s.evaluation
    if ev is None:
        if s.run is None or not s.workbench:
            return [s.not_known("evaluation")]
        if "evaluation" in s.problems:
            return [tr("card.test.unreadable", error=s.problems["evaluation"])]
        return [tr("card.test.not_evaluated")]
    scores = [[_metric(m), _num(ev.metrics[m])] for m in SCORE_METRICS if m in ev.metrics]
    blocks: list[Block] = [
        _table(_cols("test.col_metric", "test.col_value"), scores, tr("card.test.metrics_caption", rows=ev.test_rows)),
        {
            tr("card.test.latency_p50"): f"{_num(ev.metrics.get('latency_ms_p50'), 2)} ms",
            tr("card.test.latency_p95"): f"{_num(ev.metrics.get('latency_ms'), 2)} ms",
        },
    ]
    if s.is_project and s.project.kpis:
        results = ev.kpi_results(s.project.kpis)
        rows = [[r.kpi.shown(), _num(r.value), verdict_word("pass" if r.passed else "fail").upper()] for r in results]
        columns = _cols("test.col_kpi", "test.col_measured", "test.col_result")
        blocks.append(_table(columns, rows, tr("card.test.kpi_caption")))
        blocks.append(tr("card.test.overall", verdict=verdict_word(ev.verdict(s.project.kpis)).upper()))
    elif s.tags.get("qua3ck.kpi_verdict"):
        blocks.append(tr("card.test.recorded", verdict=verdict_word(s.tags["qua3ck.kpi_verdict"])))
    matrix = [[label, *map(_count, row)] for label, row in zip(ev.labels, ev.confusion, strict=False)]
    columns = [tr("card.test.col_true_predicted"), *ev.labels]
    blocks.append(_table(columns, matrix, tr("card.test.confusion_caption")))
    importance = ev.importance_frame()
    if importance is not None:
        rows = [[r.feature, _num(r.mean), _num(r.std)] for r in importance.head(TOP_FEATURES).itertuples()]
        metric = (ev.importance or {}).get("metric")
        shown = _metric(metric) if metric else tr("card.test.importance_score")
        columns = _cols("test.col_feature", "test.col_mean_drop", "test.col_std")
        blocks.append(_table(columns, rows, tr("card.test.importance_caption", metric=shown)))
    elif ev.no_importance:
        blocks.append(tr("card.test.no_importance", reason=stored_reason(ev.no_importance)))
    return blocks


def _conclusion(s: _Sources) -> list[Block]:
    if s.run is None or not s.workbench:
        return [s.not_known("conclusion")]
    verdict = s.tags.get(TAG_CONCLUSION)
    if verdict not in CONCLUSIONS:
        return [tr("card.conclusion.none_yet")]
    note = s.tags.get(TAG_CONCLUSION_NOTE, "")
    return [conclusion_label(verdict) + (f" — {note}" if note else "")]


def _registry(s: _Sources, history: list[dict]) -> list[Block]:
    model_aliases = ", ".join(f"@{a} → v{v}" for a, v in sorted((s.model.aliases if s.model else {}).items()))
    blocks: list[Block] = [
        {
            tr("card.registry.registered_model"): s.info.name,
            tr("card.registry.version"): s.info.version,
            tr("card.registry.version_aliases"): _aliases(s.info.aliases),
            tr("card.registry.model_aliases"): model_aliases or tr("card.none"),
            tr("card.registry.created"): _when(s.info.created),
            tr("card.registry.source"): s.info.source or tr("card.unknown"),
        }
    ]
    tags = [
        [k, v]
        for k, v in sorted(s.version_tags.items())
        if k not in NOT_WRITTEN and not k.startswith(REQUEST_PREFIX)  # requests: their own table below
    ]
    if tags:
        columns = _cols("registry.col_tag", "registry.col_value")
        blocks.append(_table(columns, tags, tr("card.registry.tags_caption")))
    blocks.append(_versions(s.info.name))
    asked = _requests(history, s.info.version)
    if asked is not None:
        blocks.append(asked)
    if not history:
        blocks.append(tr("card.registry.no_history"))
        return blocks
    rows = []
    for h in sorted(history, key=lambda h: h.get("when") or 0, reverse=True):
        action = h.get("action", "")
        if action in RULES:  # a change of the KPIs: what the rules were and became
            none = tr("question.no_kpis")
            move = f"{h.get('before') or none} → {h.get('after') or none}"
        else:
            move = f"{'v' + str(h['from_version']) if h.get('from_version') else '—'} → "
            move += f"v{h['to_version']}" if h.get("to_version") else "—"
        rows.append(
            [
                _when(h.get("when")),
                h.get("who") or tr("card.unknown"),
                _word(f"registry.action_{action}", action) if action else "",
                f"@{h['alias']}" if h.get("alias") else "—",
                move,
                h.get("reason") or "",
                tr("common.yes") if h.get("override") else tr("common.no"),
            ]
        )
    audit = ("when", "who", "action", "alias", None, "reason", "override")  # the audit trail's own headers
    columns = [tr(f"registry.audit_{name}") if name else tr("card.registry.col_versions") for name in audit]
    blocks.append(_table(columns, rows, tr("card.registry.history_caption")))
    return blocks


def _requests(history: list[dict], version: str) -> Table | None:
    """This version's promotion requests from the trail: who asked and why, who approved, how it ended."""
    steps: dict[str, list[dict]] = {}
    for h in sorted(history, key=lambda h: h.get("when") or 0):
        if h.get("request"):
            steps.setdefault(h["request"], []).append(h)
    rows = []
    for rid, entries in steps.items():
        ask = next((e for e in entries if e.get("action") == "request"), None)
        if ask is None or str(ask.get("to_version")) != str(version):
            continue
        approvals = [e.get("who") or "" for e in entries if e.get("action") == "approve"]
        ended = next((e for e in entries if e.get("action") in ("set", "reject", "withdraw")), None)
        state = {"set": "approved", "reject": "rejected", "withdraw": "withdrawn"}.get(
            (ended or {}).get("action"), "open"
        )
        decision = "—"
        if ended is not None and ended.get("action") != "set":
            decision = f"{ended.get('who')}: {ended.get('reason') or '—'}"
        rows.append(
            [
                f"{rid} · @{ask.get('alias')}",
                f"{ask.get('who')}, {_when(ask.get('when'))}: {ask.get('reason') or ''}",
                _word(f"requests.state_{state}", state),
                ", ".join(approvals) or "—",
                decision,
            ]
        )
    if not rows:
        return None
    columns = _cols(
        "registry.col_request",
        "registry.col_asked",
        "registry.col_state",
        "registry.col_approved_by",
        "registry.col_decision",
    )
    return _table(columns, list(reversed(rows)), tr("card.registry.requests_caption"))


def _versions(name: str) -> Table:
    """The model's history: every version in the order it was registered, with its held-out scores and aliases."""
    rows = [
        [
            f"v{v['version']}",
            _when(v["created"]),
            v["algorithm"] or "—",
            _num(v["test_accuracy"]),
            _num(v["test_f1_macro"]),
            v["aliases"] or "—",
        ]
        for v in sorted(model_registry.versions_table(name), key=lambda v: v["created"])
    ]
    columns = _cols(
        "registry.col_version",
        "registry.col_registered",
        "registry.col_algorithm",
        "registry.col_accuracy",
        "registry.col_f1",
        "registry.col_aliases",
    )
    return _table(columns, rows, tr("card.registry.versions_caption"))


def _provenance(s: _Sources) -> list[Block]:
    facts = {
        tr("card.provenance.run"): s.info.run_id or tr("card.provenance.no_run"),
        tr("card.provenance.source_uri"): s.info.source or tr("card.unknown"),
    }
    if s.run is None:
        return [facts, s.not_known("provenance")]
    facts[tr("card.provenance.experiment")] = s.project.name if s.project else s.run.info.experiment_id
    commit = s.tags.get(TAG_COMMIT) or s.tags.get(MLFLOW_COMMIT_TAG)
    facts[tr("card.provenance.git_commit")] = commit or tr("card.provenance.not_recorded")
    if s.run.info.lifecycle_stage == "deleted":
        facts[tr("card.provenance.run_state")] = tr("card.provenance.deleted")
    for label, tag in (("card.provenance.source", "mlflow.source.name"), ("card.provenance.user", "mlflow.user")):
        if s.tags.get(tag):
            facts[tr(label)] = s.tags[tag]
    blocks: list[Block] = [facts]
    versions = [v.split("=", 1) for v in s.tags.get(TAG_VERSIONS, "").split() if "=" in v]
    if versions:
        columns = _cols("provenance.col_package", "provenance.col_version")
        blocks.append(_table(columns, versions, tr("card.provenance.packages_caption")))
    else:
        blocks.append(s.not_known("packages") if not s.workbench else tr("card.provenance.no_packages"))
    return blocks


def save_card_sections(name: str, version: str, intended_use: str, limitations: str) -> None:
    """Store the person's intended use and limitations as tags of the model version (empty clears them)."""
    from mlflow import MlflowClient

    texts = {TAG_INTENDED_USE: (intended_use or "").strip(), TAG_LIMITATIONS: (limitations or "").strip()}
    for tag, text in texts.items():
        if len(text) > MAX_SECTION:
            key = "registry.card_too_long_use" if tag == TAG_INTENDED_USE else "registry.card_too_long_limits"
            raise WorkbenchError(tr(key, limit=MAX_SECTION, length=len(text)))
    model_registry.get_version(name, version)  # refuses unknown versions before anything is written
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

    info = model_registry.get_version(name, version)
    if not info.run_id:
        raise WorkbenchError(tr("registry.card_no_run", name=name, version=version))
    client = MlflowClient()
    paths = []
    try:
        for ext, text in (("md", card.markdown()), ("html", card.html())):
            path = f"{CARD_DIR}/{filename(name, version, ext)}"
            client.log_text(info.run_id, text, path)
            paths.append(path)
    except MlflowException as exc:
        raise WorkbenchError(tr("registry.card_log_failed", run=info.run_id, error=describe(exc))) from None
    return paths
