"""The whole lifecycle at once: the status board of a project and the guided tour."""
