"""Code the workbench writes for people: a run exported as a standalone script, and the "show the code" snippets of
every page."""
