# The Azure ML docs' entry script for AKS/ACI web services ("how to deploy and where", v1), as shipped: the model
# found through AZUREML_MODEL_DIR, and the error returned as a string (an answer 200) rather than raised.
import json
import os

import joblib
import numpy as np


def init():
    global model
    model_path = os.path.join(os.getenv('AZUREML_MODEL_DIR'), 'sklearn_regression_model.pkl')
    model = joblib.load(model_path)


def run(raw_data):
    try:
        data = json.loads(raw_data)['data']
        data = np.array(data)
        result = model.predict(data)
        # you can return any data type, as long as it is JSON serializable
        return result.tolist()
    except Exception as e:
        error = str(e)
        return error
