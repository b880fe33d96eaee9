# A run() that returns json.dumps(...) itself, as many Azure ML scripts do: azmlinfsrv encodes the str again.
import json
import os

import joblib
import numpy as np


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "sklearn_regression_model.pkl"))
    print("json_dumps: model loaded")


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    return json.dumps({"result": model.predict(data).tolist()})
