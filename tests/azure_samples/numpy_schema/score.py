# Decorated with inference-schema's NumpyParameterType (the Azure ML docs' Swagger sample, AZUREML_MODEL_DIR instead
# of azureml-core's Model.get_model_path): "data" arrives as a numpy array; an extra "method" key has a default.
import os

import joblib
import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema


def init():
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "sklearn_regression_model.pkl"))


@input_schema("method", StandardPythonParameterType("predict"))
@input_schema("data", NumpyParameterType(np.array([[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]], dtype="float64")))
@output_schema(NumpyParameterType(np.array([3726.995])))
def run(data, method="predict"):
    if method != "predict":
        raise ValueError(f"unknown method {method}")
    return model.predict(data).tolist()
