"""The Starlette app: the endpoint table, the request check, error mapping, the handlers, OpenAPI, /metrics.

Handlers are thin: they read the request, call `jobs`, `scheduling` or a store, and shape the answer.
Only `cli` imports this package.
"""
