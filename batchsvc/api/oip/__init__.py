"""The Open Inference Protocol (KServe v2, as MLServer and Triton speak it over REST): deployments and model
references served as models, translated onto the one online core (jobs/online.py): `routes.py` is the endpoint
table, `tensors.py` turns tensors into rows and predictions into tensors, `targets.py` says which deployment or
model version a name means, `errors.py` gives errors the protocol's shape."""
