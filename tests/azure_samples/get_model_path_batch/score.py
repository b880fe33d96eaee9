# An Azure ML tabular batch script of v1 style for a model registered with azureml-core, written for these tests:
# init finds the model file with Model.get_model_path (azureml-models/<name>/<version>/ under AML_APP_ROOT), and
# run(mini_batch) returns one prediction per row.
import joblib
from azureml.core.model import Model

model = None


def init():
    global model
    model = joblib.load(Model.get_model_path("sklearn_regression_model.pkl"))


def run(mini_batch):
    return model.predict(mini_batch[[f"x{i}" for i in range(10)]].to_numpy()).tolist()
