# The handout's app.py (Teil 4, Schritt 4), reproduced as the benchmark's baseline.
#
# Same libraries, calls and flow as the handout. One adaptation, marked "ADAPTED": the model name comes from
# HANDOUT_MODEL_NAME (default: the handout's iris-classifier). The tracking URI needs no change: the handout's
# app sets none, so MLflow reads MLFLOW_TRACKING_URI from the environment, which the benchmark sets. The
# handout's alias (production-candidate) is kept: it already uses an alias, not a stage.
# The user-facing strings are the handout's own.
import os

import mlflow
import pandas as pd
import streamlit as st

MODEL_URI = f"models:/{os.environ.get('HANDOUT_MODEL_NAME', 'iris-classifier')}@production-candidate"  # ADAPTED

st.title("Iris Flower Species Classifier")


# Loads the model and caches it
@st.cache_resource
def load_model():
    return mlflow.pyfunc.load_model(model_uri=MODEL_URI)


model = load_model()

# UI elements for the input
st.sidebar.header("Input Features")
sepal_length = st.sidebar.slider("Sepal Length (cm)", 4.0, 8.0, 5.4)
sepal_width = st.sidebar.slider("Sepal Width (cm)", 2.0, 4.5, 3.4)
petal_length = st.sidebar.slider("Petal Length (cm)", 1.0, 7.0, 1.4)
petal_width = st.sidebar.slider("Petal Width (cm)", 0.1, 2.5, 0.2)

# Prediction
if st.button("Predict Species"):
    input_data = pd.DataFrame(
        [[sepal_length, sepal_width, petal_length, petal_width]],
        columns=["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
    )
    prediction = model.predict(input_data)
    target_names = ["setosa", "versicolor", "virginica"]
    predicted_species = target_names[prediction[0]]
    st.success(f"The predicted species is: **{predicted_species.capitalize()}**")
