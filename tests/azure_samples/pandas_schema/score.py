# Decorated with inference-schema as the Azure ML docs show: the body's "data" key becomes a pandas DataFrame.
import os

import joblib
import numpy as np
import pandas as pd
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
from inference_schema.schema_decorators import input_schema, output_schema

COLUMNS = [f"x{i}" for i in range(10)]


def init():
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "sklearn_regression_model.pkl"))


@input_schema("data", PandasParameterType(pd.DataFrame([[1.0] * 10], columns=COLUMNS)))
@output_schema(NumpyParameterType(np.array([3726.995])))
def run(data):
    return model.predict(data[COLUMNS].to_numpy()).tolist()
