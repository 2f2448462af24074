"""Q — the question: projects (MLflow experiments) and their KPIs."""
