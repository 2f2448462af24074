"""QUA³CK Workbench: entry point and router over the lifecycle pages, with the shared sidebar.

``streamlit run Home.py`` imports this file once to find ``app`` and serves it; that import also starts the
warm-up (core.warmup). Every browser session then runs this file as its script (``__main__``): the shell and
the selected page.
"""

import streamlit as st

if __name__ == "__main__":  # a session's script run
    from core.ui.shell import app_shell

    app_shell().run()
else:  # the server's import, once: warm up while it starts listening
    from core import warmup

    warmup.start()
    app = st.App("Home.py")
