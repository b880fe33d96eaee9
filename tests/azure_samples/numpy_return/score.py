# A run() that returns a numpy array, which JSON cannot encode: azmlinfsrv answers 500 (internal error); None -> {}.
import json
import os

import joblib
import numpy as np


def init():
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "sklearn_regression_model.pkl"))


def run(raw_data):
    body = json.loads(raw_data)
    if body.get("nothing"):
        return None
    return model.predict(np.array(body["data"]))
