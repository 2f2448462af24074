# The floor under "first prediction after `streamlit run`" (bench/bench_floor.py): the handout's page (same title,
# sidebar sliders, button and alert) with no model at all. FLOOR_IMPORTS=1 adds only the imports any
# MLflow-backed page needs (mlflow, pandas, scikit-learn's forest), still without loading a model.
import os

import streamlit as st

if os.environ.get("FLOOR_IMPORTS") == "1":
    import mlflow  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.ensemble  # noqa: F401

st.title("Iris Flower Species Classifier")
st.sidebar.header("Input Features")
sepal_length = st.sidebar.slider("Sepal Length (cm)", 4.0, 8.0, 5.4)
sepal_width = st.sidebar.slider("Sepal Width (cm)", 2.0, 4.5, 3.4)
petal_length = st.sidebar.slider("Petal Length (cm)", 1.0, 7.0, 1.4)
petal_width = st.sidebar.slider("Petal Width (cm)", 0.1, 2.5, 0.2)
if st.button("Predict Species"):
    species = "setosa" if petal_length < 2.5 else "versicolor" if petal_width < 1.75 else "virginica"  # no model
    st.success(f"The predicted species is: **{species.capitalize()}**")
