"""QUA³CK Workbench core library: the whole lifecycle as plain Python on top of MLflow.

Nothing here imports streamlit (except ``core.ui``) and nothing does work at import time — but one default:
MLflow's usage telemetry is off (``MLFLOW_DISABLE_TELEMETRY=true`` unless the environment says otherwise), as
Streamlit's ``gatherUsageStats`` is off in .streamlit/config.toml: the app, the CLI and the search workers send
nothing about their use anywhere. MLflow reads the switch when it is imported, hence here, before any import of
mlflow.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
