"""Compiling and verifying a version's engine in a process of its own, never in an API process.

Importing onnx (skl2onnx's base) holds the GIL for seconds in one C call (2.3 s measured on a loaded 2-core
machine), and converting holds it in long stretches: in a thread of the API that stalls every other thread,
uvicorn's health check answer among them, and with `--workers N` uvicorn kills a process that does not answer
in 5 s. So each API process keeps one compile process (spawned at its first compile, and kept) and awaits its
answer; the event loop and the scoring threads run on meanwhile.
"""

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from batchsvc.errors import ModelError
from batchsvc.jobs.compile import compile_version
from batchsvc.settings import Settings
from batchsvc.storage.services import Services


class Compiler:
    """One spawned process that compiles versions; a process that dies is replaced at the next compile."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> "Compiler":
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_follow_parent, initargs=(os.getpid(),))
        return self

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def compile(self, meta: dict, sample: pd.DataFrame | None = None) -> dict:
        """compile_version in the compile process: the version's record with its `engine`."""
        if self._pool is None:
            self.start()
        assert self._pool is not None
        try:
            return await asyncio.wrap_future(self._pool.submit(_compile, self.settings, meta, sample))
        except BrokenProcessPool:
            self.stop()
            raise ModelError(f"the compile process of model {meta['name']}@{meta['version']} died (out of memory?); "
                             "compile it again with POST /v1/models/{name}/versions/{v}/compile") from None


PARENT_CHECK_S = 1.0  # how soon a compile process whose API process died (even by SIGKILL) exits too


def _follow_parent(parent: int) -> None:
    """In the compile process: exit once the API process that started it is gone, never left behind."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _compile(settings: Settings, meta: dict, sample: pd.DataFrame | None) -> dict:
    """In the compile process: compile with services of its own (its own Redis connection)."""
    return compile_version(_services(settings), meta, sample)


_services_by_settings: dict[str, Services] = {}


def _services(settings: Settings) -> Services:
    key = settings.model_dump_json()
    if key not in _services_by_settings:
        _services_by_settings[key] = Services(settings)
    return _services_by_settings[key]
