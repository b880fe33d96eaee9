"""The `batchsvc` command: server processes (api, worker, scheduler, up), client commands, API keys.

The top layer: it may import anything. Client commands import only `client`, so they start at once.
"""
