"""Everything batchsvc keeps: Redis key names, the record codec, one store per kind of record, the file store.

Only this package talks to Redis or touches files. It may import the core modules (errors, settings,
clock, status, roles, schemas) and `scoring` (to inspect a model at registration), nothing above.
"""
