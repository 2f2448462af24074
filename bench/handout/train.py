# The handout's train.py (Teil 4, Schritt 2 and 3), reproduced as the benchmark's baseline.
#
# Same libraries, calls and flow as the handout. Adaptations, each marked "ADAPTED" below:
#   1. the tracking URI comes from MLFLOW_TRACKING_URI (the handout hard-codes a team server at 127.0.0.1:5000);
#   2. mlflow.sklearn.log_model(rf, "random-forest-model") fails in MLflow 3.17: its default format is now skops,
#      which refuses to save a random forest without a list of trusted types ("untrusted types:
#      sklearn.tree._tree.Tree"). The call keeps its arguments and asks for cloudpickle, the format this call
#      produced when the handout was written (MLflow 2);
#   3. Schritt 3 (register the run's model and give it an alias) is clicks in the MLflow UI in the handout;
#      here the same two registry calls are made in code, with the model name from HANDOUT_MODEL_NAME. The
#      handout already uses an alias (production-candidate), not a stage, so nothing changes there.
import os

import mlflow
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

MODEL_NAME = os.environ.get("HANDOUT_MODEL_NAME", "iris-classifier")  # ADAPTED (3)
ALIAS = "production-candidate"

# MLflow tracking server for team work
mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000"))  # ADAPTED (1)
mlflow.set_experiment("Iris Classification Experiment")

# Load and split the data
iris = load_iris()
X, y = iris.data, iris.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

# Start an MLflow run
with mlflow.start_run() as run:
    params = {"n_estimators": 100, "max_depth": 5, "random_state": 42}
    mlflow.log_params(params)

    # Train the model
    rf = RandomForestClassifier(**params)
    rf.fit(X_train, y_train)

    # Log metrics
    acc = accuracy_score(y_test, rf.predict(X_test))
    mlflow.log_metric("accuracy", acc)

    # Log the model. The positional artifact path still works in MLflow 3.17 (with a deprecation warning
    # naming `name=`), so it stays as the handout has it.
    mlflow.sklearn.log_model(rf, "random-forest-model", serialization_format="cloudpickle")  # ADAPTED (2)

print(f"Accuracy: {acc}")

# ADAPTED (3): the handout's Schritt 3 in code: "Register Model" on the run, then the alias on the model.
version = mlflow.register_model(f"runs:/{run.info.run_id}/random-forest-model", MODEL_NAME)
mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, ALIAS, version.version)
