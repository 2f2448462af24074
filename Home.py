"""QUA³CK Workbench: entry point and router over the lifecycle pages, with the shared sidebar."""

import streamlit as st

from core.config import activate_store
from core.ui.common import error_message
from core.ui.sidebar import render_sidebar

st.set_page_config(page_title="QUA³CK Workbench", page_icon="🦆", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home: lifecycle board", icon="🏠", default=True),
    st.Page("pages/question.py", title="Q — Question & KPIs", icon="❓"),
    st.Page("pages/data.py", title="U — Understand the data", icon="📊"),
    st.Page("pages/train.py", title="A³ — Train & tune", icon="⚙️"),
    st.Page("pages/compare.py", title="C — Conclude & compare", icon="⚖️"),
    st.Page("pages/registry.py", title="K — Registry", icon="🏷️"),
    st.Page("pages/predict.py", title="Predict", icon="🔮"),
]

navigation = st.navigation(PAGES)
try:
    activate_store()
except Exception as exc:  # noqa: BLE001 — say what is wrong instead of a traceback
    st.error(f"The MLflow store cannot be opened: {error_message(exc)}")
    st.stop()
render_sidebar()
navigation.run()
