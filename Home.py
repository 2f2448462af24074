"""QUA³CK Workbench: entry point and router over the lifecycle pages, with the shared sidebar."""

from core.ui.shell import app_shell, run_page

run_page(app_shell(deferred=True))
