"""Azure ML's dialect: an entry script's scoring URI, its swagger, per-deployment keys and tokens, the Azure view.

A sibling adapter over the one online core (jobs/online.py): translation only. Routes in routes.py.
"""
