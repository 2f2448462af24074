"""U — the data: built-in sets and the split (sets), reading files (loading), column roles, validation and the
training schema, the data run in MLflow (datastore), and profiling."""
