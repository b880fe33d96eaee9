# An Azure ML tabular batch script: init() once, run(mini_batch) per chunk with a DataFrame, one result per row
# (what ParallelRunStep's append_row collects).
import os

import joblib

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "sklearn_regression_model.pkl"))


def run(mini_batch):
    features = mini_batch[[f"x{i}" for i in range(10)]].to_numpy()
    return [f"{row_id}: {value:.6f}" for row_id, value in zip(mini_batch["id"], model.predict(features))]
