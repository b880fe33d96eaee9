"""The onnx engine: compile a fitted scikit-learn model with skl2onnx, score it with onnxruntime.

Text features are fed as string tensors, numbers as float32 (a double graph fails to load on the
credit-risk pipeline: a Normalizer float/double mismatch), or as float64 for a tree ensemble (its splits
made exact by trees.py); probabilities come back as one array. A tree ensemble behind one-hot encoders and
scalers is compiled alone, its preprocessing done in numpy (onehot.py: the graph's string one-hot cost more
than its trees), the plan kept in the graph's metadata; HistGradientBoosting so too, in doubles (hist.py).
"""

import json

import numpy as np

from batchsvc.scoring.engines import ONNX, Engine, Features, Scores
from batchsvc.scoring.engines.feed import number_column, text_column
from batchsvc.scoring.engines.hist import bools_as_ints, hist_model, make_double
from batchsvc.scoring.engines.onehot import INPUT, PLAN_KEY, OneHot, onehot_plan
from batchsvc.scoring.engines.steps import walk
from batchsvc.scoring.engines.trees import TreesUnmatched, float32_trees, make_exact
from batchsvc.scoring.modelinfo import ModelInfo

ERROR_CHARS = 300  # how much of a converter's message a refusal keeps


class Refused(Exception):
    """The model cannot have this engine; the message is the reason the version's record shows."""


def compile_onnx(model, info: ModelInfo) -> bytes:
    """The model as an ONNX graph; raises Refused naming the step that cannot be converted."""
    check_supported(model)
    from skl2onnx import to_onnx

    options = {id(model): {"zipmap": False}} if info.task == "classification" else None
    trees, hist = float32_trees(model), hist_model(model)
    tree_model = trees is not None or hist is not None
    plan = onehot_plan(model, double=hist is not None) if tree_model and info.named_features else None
    if hist is not None and plan is None:
        raise Refused("HistGradientBoosting compiles only behind one ColumnTransformer of one-hot encoders, "
                      "standard scalers and passthrough columns")
    try:
        with bools_as_ints():
            graph = (_trees_alone(model.steps[-1][1], plan, info) if plan is not None else
                     to_onnx(model, initial_types=input_types(info, double=trees is not None), options=options))
    except Exception as exc:
        raise Refused(f"unsupported step: {type(exc).__name__}: {exc}"[:ERROR_CHARS]) from None
    _exact_trees(graph, trees, hist)
    return graph.SerializeToString()


def _exact_trees(graph, trees: list | None, hist) -> None:
    """A tree ensemble's thresholds made the model's own: float32 rounded down (trees.py) or doubles (hist.py)."""
    try:
        if trees is not None:
            make_exact(graph, trees)
        elif hist is not None:
            make_double(graph, hist)
    except TreesUnmatched as exc:
        raise Refused(f"tree ensemble: {exc}") from None


def _trees_alone(final, plan: dict, info: ModelInfo):
    """The final tree ensemble as a graph over the matrix the plan makes (float32 here; hist.py makes a
    HistGradientBoosting graph take doubles), the plan in its metadata."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(final): {"zipmap": False}} if info.task == "classification" else None
    graph = to_onnx(final, initial_types=[(INPUT, FloatTensorType([None, plan["width"]]))], options=options)
    graph.metadata_props.add(key=PLAN_KEY, value=json.dumps(plan))
    return graph


def check_supported(model) -> None:
    """Fail fast, before converting: every step needs a skl2onnx converter, and no category may be missing."""
    from skl2onnx._supported_operators import sklearn_operator_name_map as converters

    for step in walk(model):
        if type(step) not in converters:
            raise Refused(f"unsupported step {type(step).__name__}: skl2onnx has no converter for it")
        for categories in getattr(step, "categories_", None) or []:
            if any(_missing(c) for c in categories):
                raise Refused(f"unsupported step {type(step).__name__}: a missing value is one of its categories")


def input_types(info: ModelInfo, double: bool = False) -> list:
    """One [None, 1] tensor per named feature (string for text, float for numbers), or one float matrix;
    numbers as doubles where `double` (a tree ensemble: trees.py)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType

    number = DoubleTensorType if double else FloatTensorType
    if not info.named_features:
        return [("X", number([None, len(info.features)]))]
    numeric = set(info.numeric_features)
    return [(f, number([None, 1]) if f in numeric else StringTensorType([None, 1])) for f in info.features]


class OnnxEngine(Engine):
    name = ONNX
    takes_arrow = True

    def __init__(self, artefact: bytes, info: ModelInfo, strict: dict[str, set], threads: int = 1,
                 allow_nan: bool = False, exact: Engine | None = None):
        """`exact`: the model's own engine, which scores batches with a missing number (a tree graph routes NaN
        otherwise than scikit-learn does), so a missing value gets what scikit-learn gives it."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(artefact, options, providers=["CPUExecutionProvider"])
        self.info, self.strict, self.allow_nan, self.exact = info, strict, allow_nan, exact
        plan = self.session.get_modelmeta().custom_metadata_map.get(PLAN_KEY)
        self.onehot = OneHot(plan) if plan else None
        inputs = self.session.get_inputs()
        self.text = self.onehot.text if self.onehot else {i.name for i in inputs if i.type == "tensor(string)"}
        self.number = np.float64 if self.onehot or any(i.type == "tensor(double)" for i in inputs) else np.float32
        names = [o.name for o in self.session.get_outputs()]
        self.output = "probabilities" if info.has_proba and "probabilities" in names else names[-1]
        self.classes = _classes(info.classes)

    def predict(self, features: Features) -> Scores:
        """One session run over the batch."""
        feed = self.feed(features)
        if self.exact is not None and _has_nan(feed, self.text):
            return self.exact.predict(features)
        return self.predict_arrays(feed)

    def predict_arrays(self, feed: dict[str, np.ndarray]) -> Scores:
        """One session run over inputs already shaped as the session takes them (the online fast path's), or
        over one (n, 1) array per feature where the engine makes its matrix itself."""
        if self.onehot is not None and INPUT not in feed:
            feed = {INPUT: self.onehot.matrix(feed)}
        if not self.allow_nan:
            _refuse_nan(feed, self.text)
        (out,) = self.session.run([self.output], feed)
        if self.classes is not None and self.output == "probabilities":
            proba = out.astype(np.float64)
            return Scores(self.classes[proba.argmax(axis=1)], proba)
        return Scores(np.asarray(out, dtype=np.float64).ravel())

    def feed(self, features: Features) -> dict[str, np.ndarray]:
        """The session's inputs, one array per feature (or one matrix for a model fitted on an array or for
        trees compiled alone)."""
        if self.onehot is not None:
            return {INPUT: self.onehot.matrix(features)}
        if not self.info.named_features:
            return {"X": np.hstack([number_column(features, f, self.number) for f in self.info.features])}
        return {f: text_column(features, f) if f in self.text else number_column(features, f, self.number)
                for f in self.info.features}


def _refuse_nan(feed: dict[str, np.ndarray], text: set[str]) -> None:
    """scikit-learn refuses NaN where the model does not allow it; a graph would score it: refuse it too."""
    for name, values in feed.items():
        if name not in text and np.isnan(values).any():
            raise ValueError(f"Input {name} contains NaN.")


def _has_nan(feed: dict[str, np.ndarray], text: set[str]) -> bool:
    return any(name not in text and np.isnan(values).any() for name, values in feed.items())


def allows_nan(model) -> bool:
    """Whether scikit-learn's own input checks let NaN through this model: its tags say so, or it is a
    HistGradientBoosting behind one-hot encoders and scalers (which pass NaN on; the tags of a ColumnTransformer
    say no), whose graph sends NaN where the model does (hist.py)."""
    from sklearn.utils import get_tags

    if hist_model(model) is not None and onehot_plan(model, double=True) is not None:
        return True
    try:
        return bool(get_tags(model).input_tags.allow_nan)
    except Exception:
        return False


def _classes(classes: list | None) -> np.ndarray | None:
    """Class labels as scikit-learn holds them: text as an object array."""
    if classes is None:
        return None
    array = np.asarray(classes)
    return array.astype(object) if array.dtype.kind == "U" else array


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
