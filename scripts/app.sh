#!/usr/bin/env bash
# Set up the environment and start the workbench on the embedded store (or $MLFLOW_TRACKING_URI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh requirements.txt
exec .venv/bin/streamlit run Home.py "$@"
