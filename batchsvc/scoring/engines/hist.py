"""HistGradientBoosting compiled exactly: its trees compare float64 inputs with float64 thresholds, so the graph is
fed doubles (onehot.py's matrix) and holds each threshold, leaf weight and base value as a double (ai.onnx.ml
opset 3's `*_as_tensor` attributes, which onnxruntime's tree nodes read in double); missing values go where the
model's `missing_go_to_left` sends them, in the graph too.

skl2onnx 1.20's converter puts a Python bool into an integer attribute (`nodes_missing_value_tracks_true` of a leaf),
which onnx 1.23 refuses ("Expected an int, got a boolean"); the conversion runs with that one value made an int.
"""

from contextlib import contextmanager

import numpy as np

from batchsvc.scoring.engines.trees import TREE_OPS, TreesUnmatched

HIST = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")
ML_OPSET = 3  # the first ai.onnx.ml opset with double thresholds and weights


def hist_model(model):
    """The final HistGradientBoosting step of a pipeline (or the model itself), or None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return final if type(final).__name__ in HIST else None


def hist_splits(final) -> list[tuple[int, float]]:
    """(feature, threshold) of every split of every tree."""
    return [(int(n["feature_idx"]), float(n["num_threshold"])) for tree in _trees(final) for n in tree.nodes
            if not n["is_leaf"]]


@contextmanager
def bools_as_ints():
    """skl2onnx's tree helper with its missing-value flag given as an int (see the module's note)."""
    import skl2onnx.common.tree_ensemble as helper

    original = helper.add_node

    def add_node(*args, nodes_missing_value_tracks_true=0, **kwargs):
        return original(*args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs)

    helper.add_node = add_node
    try:
        yield
    finally:
        helper.add_node = original


def make_double(graph, final) -> None:
    """Feed the graph doubles and put the model's double thresholds, weights and base values in its tree node."""
    from onnx import TensorProto, helper, numpy_helper

    if any(n["is_categorical"] for tree in _trees(final) for n in tree.nodes):
        raise TreesUnmatched("native categorical splits are not compiled")
    for value in graph.graph.input:
        value.type.tensor_type.elem_type = TensorProto.DOUBLE
    for opset in graph.opset_import:
        if opset.domain == "ai.onnx.ml":
            opset.version = max(opset.version, ML_OPSET)
    for node in [n for n in graph.graph.node if n.op_type in TREE_OPS]:
        attrs = {a.name: a for a in node.attribute}
        doubles = {"nodes_values": _thresholds(attrs, final)}
        for name in ("class_weights", "target_weights", "base_values"):
            if name in attrs:
                doubles[name] = np.array(attrs[name].floats, dtype=np.float64)
        for name, values in doubles.items():
            node.attribute.remove(attrs[name])
            node.attribute.append(helper.make_attribute(f"{name}_as_tensor", numpy_helper.from_array(values)))


def _trees(final) -> list:
    return [tree for iteration in final._predictors for tree in iteration]


def _thresholds(attrs: dict, final) -> np.ndarray:
    """Each node's double threshold, checked against the graph's features and float thresholds."""
    trees = _trees(final)
    tree_ids, node_ids = list(attrs["nodes_treeids"].ints), list(attrs["nodes_nodeids"].ints)
    if max(tree_ids, default=-1) >= len(trees):
        raise TreesUnmatched(f"the graph has {max(tree_ids) + 1} trees, the model {len(trees)}")
    nodes = [trees[t].nodes[i] for t, i in zip(tree_ids, node_ids)]
    branch = np.array([not n["is_leaf"] for n in nodes])
    exact = np.array([float(n["num_threshold"]) if b else v
                      for n, b, v in zip(nodes, branch, attrs["nodes_values"].floats)])
    features = np.array([int(n["feature_idx"]) for n in nodes])
    close = np.isclose(np.array(attrs["nodes_values"].floats), exact, rtol=1e-6, atol=1e-6)
    if not (np.array_equal(features[branch], np.array(attrs["nodes_featureids"].ints)[branch]) and close[branch].all()):
        raise TreesUnmatched("the graph's splits are not the model's")
    return exact
