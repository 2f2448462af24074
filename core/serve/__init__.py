"""Predict — loading a registered version and predicting one row or a file, and the prediction log."""
