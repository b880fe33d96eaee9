"""batchsvc: a self-hosted, asynchronous batch-scoring job service for scikit-learn models."""

__version__ = "0.1.0"
