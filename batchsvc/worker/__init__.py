"""Dramatiq workers: the broker, the wake-up consumer, the actors (thin, over `jobs`), the process, its supervisor.

May import `jobs`, `storage` and the core modules; nothing imports it but the API and the scheduler
(to send messages) and the CLI.
"""
