"""Security settings and guards (docs/security.md): config, inert user text, data-only uploads, safe names."""

from __future__ import annotations

import contextlib
import html
import io
import os
import pickle
import re
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pandas as pd
import pytest

from core.common import config
from core.data import loading
from core.data.sets import DataError
from core.registry import model_card
from core.ui.text import WORD_JOINER, plain
from core.ui.widgets.data import REPORT_SANDBOX, sandboxed_html

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    "**bold** [link](http://example.com) ![i](http://example.com/i.png) <b>x</b>",
    '<iframe src="http://example.com"></iframe> :red[red] `code` \\*',
    "www.example.com http://example.com # heading\n- item\n1. one\n> quote | a | b |\n# h\n  + p\n===\n3) x",
    "ana@example.com &lt;b&gt; :material/home: :smile:",
]


# ------------------------------------------------------------------------------------------------ config.toml


def test_config_keeps_xsrf_and_cors_protection_on_and_bounds_uploads():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert settings["enableXsrfProtection"] is True
    assert settings["enableCORS"] is True
    assert 1 <= settings["maxUploadSize"] <= 200  # MB


@pytest.mark.parametrize(("switch", "disabled"), [(None, "True"), ("false", "False")])
def test_mlflow_telemetry_is_off_unless_switched_on(switch, disabled):
    """Importing core (as the app, the CLI and the workers do first) switches MLflow's telemetry off before
    MLflow is imported; a deployment that sets MLFLOW_DISABLE_TELEMETRY=false keeps it on."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_DISABLE_TELEMETRY"}
    if switch is not None:
        env["MLFLOW_DISABLE_TELEMETRY"] = switch
    code = (
        "import core, mlflow\n"
        "from mlflow.environment_variables import MLFLOW_DISABLE_TELEMETRY\n"
        "print(MLFLOW_DISABLE_TELEMETRY.get())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == disabled


def test_secrets_file_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert any(line.strip().rstrip("/") in {".streamlit/secrets.toml", "secrets.toml"} for line in ignored)


# ------------------------------------------------------------------------------------------- plain user text


def _unescaped(text: str) -> str:
    """What a markdown renderer shows for backslash-escaped text."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_escapes_every_markdown_and_html_character(text):
    escaped = plain(text)
    assert _unescaped(escaped) == text  # shown exactly as written
    for char in "<>[]*_`|~$&":
        # every such character is preceded by a backslash that is not itself escaped
        for match in re.finditer(re.escape(char), escaped):
            backslashes = len(escaped[: match.start()]) - len(escaped[: match.start()].rstrip("\\"))
            assert backslashes % 2 == 1, (char, escaped)
    assert not re.search(r"(?<!\\)(http:|:red)", escaped)  # no autolink, no colour directive
    assert not re.search(r"(?i)https?:|www\.|@\w", escaped.replace("\\", ""))  # nor a bare link GFM would make
    # no line starts a heading, list, ordered list or setext rule
    assert not re.search(r"(?m)^[ \t]*([#+=-]|\d+[.)])", escaped)


def test_plain_with_code_keeps_our_code_spans_and_escapes_the_rest():
    text = "Question [x](http://e.com) · KPIs: `accuracy > 0.9`, `latency_ms < 500`"
    out = plain(text, code=True)
    assert "`accuracy > 0.9`" in out and "`latency_ms < 500`" in out
    assert f"\\[x\\](http{WORD_JOINER}://e.com)" in out
    # a backtick in user text cannot pull our code out of its span: outside spans it is escaped
    out = plain("name ` [l](http://e.com)", code=True)
    assert out == f"name \\` \\[l\\](http{WORD_JOINER}://e.com)"


# --------------------------------------------------------------------------------------- sandboxed report


def test_profile_report_is_wrapped_in_a_script_only_sandbox_under_a_strict_csp():
    report = '<html><body><p>"quoted" & <script>parent.document.body.remove()</script></p></body></html>'
    page = sandboxed_html(report)
    assert REPORT_SANDBOX == "allow-scripts"  # no allow-same-origin, forms, popups, top navigation or downloads
    assert page.count("<iframe") == 1 and f'sandbox="{REPORT_SANDBOX}"' in page
    assert "<script" not in page  # the wrapper runs nothing; the report's script is escaped into srcdoc
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)
    assert html.unescape(srcdoc) == report
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp and "http" not in csp  # nothing is loaded from anywhere


# ------------------------------------------------------------------------------------- uploads are data only


class _Marker:
    """Unpickling this creates a file: proof that something was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _pickles(marker: Path) -> dict[str, bytes]:
    import joblib

    joblib_bytes = io.BytesIO()
    joblib.dump(_Marker(marker), joblib_bytes)
    frame_pickle = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_pickle(frame_pickle)
    return {
        f"protocol{p}": pickle.dumps(_Marker(marker), protocol=p) for p in range(2, pickle.HIGHEST_PROTOCOL + 1)
    } | {"joblib": joblib_bytes.getvalue(), "frame": frame_pickle.getvalue()}


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".tsv", ".parquet", ".xlsx", ".pkl", ".joblib", ".pickle"])
def test_pickle_and_joblib_uploads_are_refused_and_never_unpickled(tmp_path, suffix):
    marker = tmp_path / "unpickled"
    for kind, content in _pickles(marker).items():
        with pytest.raises(DataError) as refused:
            loading.read_table(content, f"model{suffix}")
        assert not marker.exists(), f"{kind} as {suffix} was unpickled"
        message = str(refused.value)
        assert f"model{suffix}" in message
        if suffix in loading.PICKLE_SUFFIXES or content.startswith(loading.PICKLE_PROTOCOLS):
            assert "pickle" in message and "never opened" in message
    assert pickle.loads(pickle.dumps(_Marker(marker))) is None and marker.exists()  # the marker does work


def test_protocol_zero_pickle_text_under_a_csv_name_is_read_as_text_not_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    content = pickle.dumps(_Marker(marker), protocol=0)  # ASCII: a (strange) text file, parsed as a table at most
    with contextlib.suppress(DataError):
        loading.read_table(content, "model.csv", min_rows=1)
    assert not marker.exists()


def test_only_table_formats_are_accepted():
    assert set(loading.SUPPORTED_SUFFIXES) == {".csv", ".txt", ".tsv", ".parquet", ".xlsx"}
    source = Path(loading.__file__).read_text()
    for call in ("read_pickle", "pickle.load", "joblib.load", "cloudpickle", "eval(", "exec("):
        assert call not in source


# ------------------------------------------------------------------------------------------ names in paths


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..", ".", "a/../../b", "..\\..\\windows\\system32", "/abs/path", "~/x", "C:\\x", *HOSTILE],
)
@pytest.mark.parametrize("version", ["1", "../2", "3/../../4"])
def test_model_card_file_names_never_leave_the_card_folder(name, version):
    for ext in ("md", "html"):  # extensions are ours; names and versions come from the registry
        file = model_card.filename(name, version, ext)
        assert "/" not in file and "\\" not in file and file not in {".", ".."} and not file.startswith(".")
        path = PurePosixPath(model_card.CARD_DIR) / file
        assert path.parent == PurePosixPath(model_card.CARD_DIR)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", file)


# -------------------------------------------------------------------------------------------- secrets shown


@pytest.mark.parametrize(
    ("uri", "secret"),
    [
        ("postgresql://user:pw-123@db.example:5432/mlflow", "pw-123"),
        ("postgresql+psycopg://ana:s3cr@t@host/db?sslmode=require", "s3cr@t"),
        ("https://user:hunter2@mlflow.example.com", "hunter2"),
        ("https://ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@mlflow.example.com", "ghp_0123456789abcdef"),
        ("https://mlflow.example.com/?token=abc123&x=1", "abc123"),
        ("postgresql://u@host/db?password=topsecret", "topsecret"),
    ],
)
def test_store_description_never_shows_credentials(uri, secret):
    store = config.resolve_store({"MLFLOW_TRACKING_URI": uri})
    assert secret not in store.description
    assert "***" in store.description
    both = config.resolve_store({"MLFLOW_TRACKING_URI": "http://tracking:5000", "MLFLOW_REGISTRY_URI": uri})
    assert secret not in both.description and "http://tracking:5000" in both.description


@pytest.mark.parametrize(
    "uri", ["http://localhost:5000", "postgresql://ana@db/mlflow", "databricks", "https://mlflow.example.com/x?y=1"]
)
def test_store_description_shows_uris_without_secrets_unchanged(uri):
    assert config.resolve_store({"MLFLOW_TRACKING_URI": uri}).description.endswith(uri)


def test_embedded_store_description_names_the_folder(tmp_path):
    store = config.resolve_store({config.DATA_DIR_ENV: str(tmp_path)})
    assert store.description == f"Embedded SQLite store in {tmp_path.resolve()}"


# ------------------------------------------------------------------------------------------------ charts


def test_chart_labels_from_data_cannot_draw_links_or_markup():
    from core.ui.charts import compare as compare_charts
    from core.ui.common import inert_figure

    labels = ['<a href="http://example.com">a</a>', "<b>bold</b>", '<span style="fill:url(http://e.com/x)">s</span>']
    figure = compare_charts.confusion_heatmap(labels, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], title=labels[0])
    spec = inert_figure(figure).to_plotly_json()
    text = repr(spec)
    assert "<a" not in text and "<b>" not in text and "<span" not in text
    assert "&lt;a href" in text
    assert "<br>" in spec["data"][0]["hovertemplate"] and "<extra></extra>" in spec["data"][0]["hovertemplate"]
    assert list(spec["data"][0]["x"]) == [label.replace("<", "&lt;") for label in labels]


def test_no_page_or_widget_renders_raw_html_or_an_unescaped_chart():
    sources = [*ROOT.glob("pages/*.py"), *ROOT.glob("core/ui/**/*.py"), ROOT / "Home.py"]
    for path in sources:
        text = path.read_text()
        for call in ("unsafe_allow_html=True", "st.html(", "components.html(", "components.iframe("):
            assert call not in text, f"{path.name} uses {call}"
        if path.name != "common.py":  # inert_chart itself calls plotly_chart
            assert ".plotly_chart(" not in text, f"{path.name}: use inert_chart(where, figure, …)"
        if path != ROOT / "core/ui/widgets/data.py":  # embed_report wraps untrusted HTML in its sandbox
            assert "st.iframe(" not in text, f"{path.name}: untrusted HTML goes through widgets.data.embed_report"
