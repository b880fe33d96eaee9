"""Webhooks: which targets a hook may name (targets), how a delivery is signed (signing), one POST (post).

Pure of Redis and of the job model: jobs/notify.py decides what to send and when.
"""
