"""Pure scoring: read chunks, check and coerce columns, predict, write parts. No Redis, no Dramatiq."""
