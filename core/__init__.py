"""QUA³CK Workbench core library: the whole lifecycle as plain Python on top of MLflow.

Nothing here imports streamlit (except ``core.ui``) and nothing does work at import time.
"""
