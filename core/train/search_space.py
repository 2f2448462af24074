"""A3 — search spaces a person edits per hyperparameter, and the grid, random and Optuna TPE samplers over them."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pandas as pd

from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.train.algorithms import AlgorithmError, Param, choice_text, choice_value, clean_params, get_algorithm

METHODS = {
    "grid": "Grid search — every combination of a few values per hyperparameter",
    "random": "Random search — random combinations within the ranges",
    "optuna": "Bayesian search (Optuna TPE) — learns from finished trials where to look next",
}
DEFAULT_GRID_POINTS = 3
MAX_GRID_POINTS = 20
SPACE_COLUMNS = ["search", "hyperparameter", "name", "min", "max", "log", "choices", "grid points", "fixed"]


class SearchSpaceError(WorkbenchError):
    """A search space that cannot be searched; the message says which hyperparameter and why."""


@dataclass(frozen=True)
class Dimension:
    """The values one hyperparameter may take in a search."""

    name: str
    kind: str  # "int", "float", "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()
    points: int = DEFAULT_GRID_POINTS

    def grid_values(self) -> list:
        """The values a grid search tries: every choice, or ``points`` evenly (or log-evenly) spaced numbers."""
        if self.kind == "choice":
            return list(self.choices)
        if self.points == 1 or self.low == self.high:
            values = [self.low]
        elif self.log:
            step = (math.log(self.high) - math.log(self.low)) / (self.points - 1)
            values = [math.exp(math.log(self.low) + i * step) for i in range(self.points)]
        else:
            values = [self.low + i * (self.high - self.low) / (self.points - 1) for i in range(self.points)]
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [float(f"{v:.4g}") for v in values]

    def sample(self, rng: random.Random) -> object:
        """One random value: uniform, or uniform in the logarithm."""
        if self.kind == "choice":
            return rng.choice(self.choices)
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return int(round(value)) if self.kind == "int" else value

    def distribution(self):
        """This dimension as an Optuna distribution, the one form the Bayesian search and the fANOVA importance
        share (choices as their text: Optuna stores primitives only)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "choice":
            return CategoricalDistribution([choice_text(c) for c in self.choices])
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def suggest(self, trial) -> object:
        """The value an Optuna trial suggests from :meth:`distribution`."""
        found = self.distribution()
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, found.choices)
        if self.kind == "int":
            return trial.suggest_int(self.name, found.low, found.high, log=found.log)
        return trial.suggest_float(self.name, found.low, found.high, log=found.log)

    def as_dict(self) -> dict:
        """The dimension as stored in a search's search.json (choices as their text); read by :meth:`from_dict`."""
        return {**asdict(self), "choices": [choice_text(c) for c in self.choices]}

    @classmethod
    def from_dict(cls, data: dict, param: Param) -> Dimension:
        """A dimension stored by :meth:`as_dict`, its choices typed again by the hyperparameter's catalogue entry."""
        choices = tuple(choice_value(param, c) for c in data.get("choices") or ())
        return cls(**{**data, "choices": choices})

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.name} ∈ {{{', '.join(choice_text(c) for c in self.choices)}}}"
        return f"{self.name} ∈ [{self.low:g}, {self.high:g}]{' (log)' if self.log else ''}"


def default_space(key: str) -> tuple[Dimension, ...]:
    """The catalogue's default search space of an algorithm: its tuned hyperparameters over their search ranges."""
    dims = []
    for p in get_algorithm(key).params:
        if not p.tuned:
            continue
        if p.kind == "choice":
            dims.append(Dimension(p.name, "choice", choices=p.choices))
        else:
            low, high = p.search_range
            dims.append(Dimension(p.name, p.kind, low, high, p.log))
    return tuple(dims)


def space_table(
    key: str, space: tuple[Dimension, ...] | None = None, fixed: dict[str, object] | None = None
) -> pd.DataFrame:
    """Every hyperparameter of an algorithm as one editable row: ``search`` marks those in the space, the
    others keep their ``fixed`` value."""
    chosen = {d.name: d for d in (default_space(key) if space is None else space)}
    rows = []
    for p in get_algorithm(key).params:
        dim = chosen.get(p.name)
        low, high = (dim.low, dim.high) if dim and dim.kind != "choice" else p.search_range
        choices = dim.choices if dim and dim.kind == "choice" else p.choices
        rows.append(
            {
                "search": dim is not None,
                "hyperparameter": p.shown_label,
                "name": p.name,
                "min": None if p.kind == "choice" else float(low),
                "max": None if p.kind == "choice" else float(high),
                "log": bool(dim.log if dim else p.log) if p.kind != "choice" else False,
                "choices": choice_separator(p).join(choice_text(c) for c in choices) if p.kind == "choice" else "",
                "grid points": dim.points if dim else DEFAULT_GRID_POINTS,
                "fixed": choice_text(p.default if fixed is None or p.name not in fixed else fixed[p.name]),
            }
        )
    return pd.DataFrame(rows, columns=SPACE_COLUMNS)


def _ticked(value) -> bool:
    """A checkbox cell: an emptied cell (None/NaN) is unticked."""
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(value)


def _number(value, what: str) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise SearchSpaceError(tr("search.empty_number", what=what))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SearchSpaceError(tr("search.not_a_number", what=what, value=value)) from None
    if not math.isfinite(number):
        raise SearchSpaceError(tr("search.not_finite", what=what, value=value))
    return number


def space_from_table(key: str, table: pd.DataFrame) -> tuple[Dimension, ...]:
    """The search space of an edited table, checked: refused with a specific message before anything runs."""
    params = {p.name: p for p in get_algorithm(key).params}
    dims = []
    for row in table.to_dict("records"):
        if not _ticked(row.get("search")):
            continue
        name = str(row.get("name"))
        if name not in params:
            raise SearchSpaceError(tr("search.no_such_param", algorithm=get_algorithm(key).shown_label, name=name))
        p = params[name]
        points_value = row.get("grid points")
        points = DEFAULT_GRID_POINTS if points_value is None or pd.isna(points_value) else points_value
        points = int(_number(points, tr("search.what_grid_points", label=p.shown_label)))
        if p.kind == "choice":
            dims.append(Dimension(name, "choice", choices=tuple(_choices(p, str(row.get("choices") or ""))), points=1))
            continue
        low = _number(row.get("min"), tr("search.what_min", label=p.shown_label))
        high = _number(row.get("max"), tr("search.what_max", label=p.shown_label))
        dims.append(Dimension(name, p.kind, low, high, _ticked(row.get("log")), points=points))
    space = tuple(dims)
    validate_space(key, space)
    return space


def choice_separator(p: Param) -> str:
    """How choices are separated in a table cell: ';' where a choice itself has commas (hidden layers 50,50)."""
    return "; " if any(isinstance(c, tuple) for c in p.choices) else ", "


def _choices(p: Param, text: str) -> list:
    """The catalogue choices named in a cell, e.g. 'rbf, linear' or '50; 100; 50,50'."""
    parts = [t.strip() for t in text.split(choice_separator(p).strip())]
    parts = [t for t in parts if t]
    if not parts:
        raise SearchSpaceError(tr("search.no_value", label=p.shown_label))
    values = []
    for part in parts:
        try:
            values.append(choice_value(p, part))
        except AlgorithmError as exc:
            raise SearchSpaceError(str(exc)) from None
    return list(dict.fromkeys(values))


def validate_space(key: str, space: tuple[Dimension, ...]) -> None:
    """Refuse a space that cannot be searched: nothing chosen, min > max, out of range, log ≤ 0, no choices."""
    algorithm = get_algorithm(key)
    params = {p.name: p for p in algorithm.params}
    if not space:
        raise SearchSpaceError(tr("search.nothing_to_search", algorithm=algorithm.shown_label))
    for dim in space:
        p = params.get(dim.name)
        if p is None:
            raise SearchSpaceError(tr("search.no_such_param", algorithm=algorithm.shown_label, name=dim.name))
        label = p.shown_label
        if p.kind != dim.kind:
            raise SearchSpaceError(tr("search.wrong_kind", label=label, kind=p.kind, asked=dim.kind))
        if dim.kind == "choice":
            if not dim.choices:
                raise SearchSpaceError(tr("search.no_value", label=label))
            for choice in dim.choices:
                if choice not in p.choices:
                    options = ", ".join(choice_text(c) for c in p.choices)
                    raise SearchSpaceError(
                        tr("search.not_a_choice", label=label, choice=choice_text(choice), options=options)
                    )
            continue
        if dim.low is None or dim.high is None:
            raise SearchSpaceError(tr("search.min_and_max", label=label))
        if dim.low > dim.high:
            raise SearchSpaceError(tr("search.min_above_max", label=label, low=dim.low, high=dim.high))
        if dim.low < p.low or dim.high > p.high:
            raise SearchSpaceError(tr("search.outside_range", label=label, low=p.low, high=p.high))
        if dim.kind == "int" and not (float(dim.low).is_integer() and float(dim.high).is_integer()):
            raise SearchSpaceError(tr("search.whole_range", label=label))
        if dim.log and dim.low <= 0:
            raise SearchSpaceError(tr("search.log_needs_positive", label=label))
        if not 1 <= dim.points <= MAX_GRID_POINTS:
            raise SearchSpaceError(tr("search.grid_points_range", label=label, most=MAX_GRID_POINTS))


def grid_size(space: tuple[Dimension, ...]) -> int:
    return math.prod(len(d.grid_values()) for d in space)


def trial_params(key: str, base: dict[str, object], values: dict[str, object]) -> dict[str, object]:
    """The full hyperparameters of a trial: the base settings overridden by the sampled values, as logged."""
    params = {**{p.name: p.default for p in get_algorithm(key).params}, **base, **values}
    clean_params(key, params)  # a bad combination fails here, before a worker is asked
    return params


class Sampler:
    """Proposes trials one at a time and learns from their scores (only Optuna learns)."""

    def __init__(self, method: str, space: tuple[Dimension, ...], seed: int, metric_direction: str = "maximize"):
        if method not in METHODS:
            raise SearchSpaceError(tr("search.unknown_method", choices=", ".join(METHODS), method=method))
        self.method, self.space = method, space
        self._open: dict[int, object] = {}
        self._count = 0
        if method == "grid":
            self._grid: Iterator = itertools.product(*(d.grid_values() for d in space))
        elif method == "random":
            self._rng = random.Random(seed)
        else:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, len(space) * 2)))
            self._study = optuna.create_study(direction=metric_direction, sampler=sampler)

    def ask(self) -> tuple[int, dict[str, object]] | None:
        """The next trial's number and sampled values, or None when a grid is exhausted."""
        number = self._count
        if self.method == "grid":
            combo = next(self._grid, None)
            if combo is None:
                return None
            values = dict(zip((d.name for d in self.space), combo, strict=True))
        elif self.method == "random":
            values = {d.name: d.sample(self._rng) for d in self.space}
        else:
            trial = self._study.ask()
            self._open[number] = trial
            values = {d.name: d.suggest(trial) for d in self.space}
        self._count += 1
        return number, values

    def tell(self, number: int, score: float | None) -> None:
        """Report a finished trial's score (None: it failed)."""
        trial = self._open.pop(number, None)
        if trial is None:
            return
        import optuna

        if score is None or not math.isfinite(score):
            self._study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self._study.tell(trial, score)


def fixed_values(key: str, table: pd.DataFrame) -> dict[str, object]:
    """The hyperparameters a search keeps fixed: the ``fixed`` value of every row not searched, checked."""
    algorithm = get_algorithm(key)
    params = {p.name: p for p in algorithm.params}
    fixed = {}
    for row in table.to_dict("records"):
        name = str(row.get("name"))
        if _ticked(row.get("search")) or name not in params:
            continue
        value = row.get("fixed")
        fixed[name] = params[name].default if value is None or str(value).strip() == "" else str(value).strip()
    try:
        clean_params(key, fixed)
    except AlgorithmError as exc:
        raise SearchSpaceError(str(exc)) from None
    return fixed


def space_with_overrides(key: str, fixed: set[str], overrides: list[str]) -> tuple[Dimension, ...]:
    """The catalogue's default space without the ``fixed`` hyperparameters, changed by the command line's
    ``--space`` items (``NAME=LOW:HIGH[:log|:linear][:POINTS]`` for a number, ``NAME=a,b,c`` for a choice), checked."""
    algorithm = get_algorithm(key)
    kinds = {p.name: p.kind for p in algorithm.params}
    rows = space_table(key, tuple(d for d in default_space(key) if d.name not in fixed))
    records = {row["name"]: row for row in rows.to_dict("records")}
    for item in overrides:
        name, sep, text = (part.strip() for part in item.partition("="))
        if not sep or not name or not text:
            raise SearchSpaceError(tr("search.override_shape", item=item))
        if name not in kinds:
            raise SearchSpaceError(tr("search.no_such_param", algorithm=algorithm.shown_label, name=name))
        if name in fixed:
            raise SearchSpaceError(tr("search.override_fixed", name=name))
        row = records[name]
        row["search"] = True
        if kinds[name] == "choice":
            row["choices"] = text
            continue
        low, _, rest = text.partition(":")
        high, *extra = rest.split(":") if rest else [""]
        if not rest or not high:
            raise SearchSpaceError(tr("search.override_range", name=name, text=text))
        row["min"], row["max"] = low, high  # checked (numbers, order, range) by space_from_table
        for token in (t.strip().lower() for t in extra):
            if token in ("log", "linear"):
                row["log"] = token == "log"
            elif token.isdigit():
                row["grid points"] = int(token)
            else:
                raise SearchSpaceError(tr("search.override_token", name=name, token=token))
    return space_from_table(key, pd.DataFrame(list(records.values())))
