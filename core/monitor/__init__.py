"""Monitor and CT — drift, monitoring a model's KPIs over time, and retraining."""
