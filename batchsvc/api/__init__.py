"""The Starlette app: routes, error mapping, OpenAPI."""
