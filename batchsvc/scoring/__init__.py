"""Pure scoring: plan and read chunks, check and coerce columns, predict, shape output, the sample model.

No Redis, no Dramatiq, no server state: it may import only the core modules (errors), pandas, pyarrow and
scikit-learn, so every step can be tested on in-memory data.
"""
