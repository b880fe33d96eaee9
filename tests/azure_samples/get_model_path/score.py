# An entry script of Azure ML's v1 style for a model registered with azureml-core, written for these tests: init
# finds the model file with Model.get_model_path, which searches azureml-models/<name>/<version>/ under AML_APP_ROOT
# (the registered model's name here is its file name, as in Microsoft's samples); run returns the error as text.
import json

import joblib
import numpy
from azureml.core.model import Model


def init():
    global model
    model_path = Model.get_model_path(model_name="sklearn_regression_model.pkl")
    model = joblib.load(model_path)


def run(raw_data):
    try:
        data = numpy.array(json.loads(raw_data)["data"])
        return {"result": model.predict(data).tolist()}
    except Exception as e:
        return {"error": str(e)}
