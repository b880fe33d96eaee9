"""Watson ML compatibility: the routes the ibm-watsonx-ai client and the lab's curl call, mapped onto native
deployments and jobs (no second store): `routes.py` is the endpoint table, `native.py` the one seam to the
native deployments, scoring and tokens."""
