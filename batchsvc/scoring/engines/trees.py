"""Tree ensembles compiled exactly: scikit-learn's trees (forests, extra trees, gradient boosting) compare
float32(x) <= t, t a double; the graph does the same with float32 inputs and t rounded down to a float32
(for a float32 x, x <= t exactly when x <= that float), the features before the trees computed in double
(a scaler in float32 would land one float32 off near a split). HistGradientBoosting compares doubles: hist.py.
"""

import numpy as np

TREE_OPS = ("TreeEnsembleClassifier", "TreeEnsembleRegressor")


class TreesUnmatched(Exception):
    """The graph's trees are not the model's, node for node: the exact thresholds cannot be put in."""


def float32_trees(model) -> list | None:
    """The fitted trees (sklearn Tree objects) of a final forest or gradient boosting step, in skl2onnx's order."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    estimators = getattr(final, "estimators_", None)
    if estimators is None:
        return None
    trees = [getattr(e, "tree_", None) for e in np.asarray(estimators, dtype=object).ravel()]
    return trees if trees and all(t is not None for t in trees) else None


def make_exact(graph, trees: list) -> None:
    """Put each split's threshold, rounded down to float32, into the graph's tree nodes, and feed them float32."""
    from onnx import TensorProto, helper

    for node in [n for n in graph.graph.node if n.op_type in TREE_OPS]:
        attrs = {a.name: a for a in node.attribute}
        if "nodes_values" not in attrs:
            raise TreesUnmatched("the tree node holds no float thresholds")
        exact = _exact_thresholds(attrs, trees)
        attrs["nodes_values"].floats[:] = round_down32(exact).tolist()
        if _declared(graph).get(node.input[0]) == TensorProto.FLOAT:
            continue  # fed float32 already (trees compiled alone: onehot.py)
        cast = helper.make_node("Cast", [node.input[0]], [f"{node.input[0]}_float32"], to=TensorProto.FLOAT,
                                name=f"{node.name}_float32_input")
        node.input[0] = cast.output[0]
        graph.graph.node.insert(list(graph.graph.node).index(node), cast)
        _outputs_as_declared(graph, node)


def _outputs_as_declared(graph, node) -> None:
    """A tree node fed float32 answers float32: cast an output the graph declares double back to double."""
    from onnx import TensorProto, helper

    declared = _declared(graph)
    position = list(graph.graph.node).index(node) + 1
    for k, name in enumerate(list(node.output)):
        if declared.get(name) == TensorProto.DOUBLE:
            node.output[k] = f"{name}_float32"
            graph.graph.node.insert(position, helper.make_node("Cast", [node.output[k]], [name], to=TensorProto.DOUBLE,
                                                               name=f"{node.name}_{k}_as_double"))


def _declared(graph) -> dict[str, int]:
    """The element type of each tensor the graph declares (inputs, outputs, intermediate values)."""
    values = [*graph.graph.input, *graph.graph.value_info, *graph.graph.output]
    return {v.name: v.type.tensor_type.elem_type for v in values}


def _exact_thresholds(attrs: dict, trees: list) -> np.ndarray:
    """The double threshold of every node, checked against the graph's feature ids and float thresholds."""
    tree_ids, node_ids = list(attrs["nodes_treeids"].ints), list(attrs["nodes_nodeids"].ints)
    features, values = np.array(attrs["nodes_featureids"].ints), np.array(attrs["nodes_values"].floats)
    branch = np.array([m != b"LEAF" for m in attrs["nodes_modes"].strings])
    if max(tree_ids, default=-1) >= len(trees):
        raise TreesUnmatched(f"the graph has {max(tree_ids) + 1} trees, the model {len(trees)}")
    exact = np.array([trees[t].threshold[i] if b else v for t, i, b, v in zip(tree_ids, node_ids, branch, values)])
    model_features = np.array([trees[t].feature[i] for t, i in zip(tree_ids, node_ids)])
    close = np.abs(exact - values) <= 1e-6 * np.maximum(1.0, np.abs(exact))
    if not (np.array_equal(model_features[branch], features[branch]) and close[branch].all()):
        raise TreesUnmatched("the graph's splits are not the model's")
    return exact


def round_down32(values: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each value."""
    nearest = values.astype(np.float32)
    above = nearest.astype(np.float64) > values
    nearest[above] = np.nextafter(nearest[above], np.float32(-np.inf))
    return nearest
