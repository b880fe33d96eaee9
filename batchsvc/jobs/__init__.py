"""A job's life: accept (validate, store, enqueue), plan its chunks, score them, finalize, cancel, sweep.

Pure of Dramatiq: the worker passes in how to send the next message. May import `storage`, `scoring`
and the core modules; never `worker`, `api`, `scheduling` or `cli`.
"""
