"""SIGTERM to the API: open long polls answer at once, so a restart waits only for real work in flight.

uvicorn handles SIGTERM itself (stop accepting, let open requests finish, then end the lifespan), and a
long poll is an open request that could hold the exit for up to its whole wait. At startup the app puts
its own handler in front of uvicorn's: it sets the app's `draining` event, which every long poll waits on
beside its job's message, then passes the signal on to uvicorn's handler unchanged.
"""

import asyncio
import signal
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signal(draining: asyncio.Event) -> None:
    """Set `draining` when a stop signal arrives, then let the previous handler act; call it in the loop's thread."""
    if threading.current_thread() is not threading.main_thread():
        return  # an app served from another thread (in-process tests) gets no signals
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        signal.signal(sig, _chained(loop, draining, signal.getsignal(sig)))


def _chained(loop: asyncio.AbstractEventLoop, draining: asyncio.Event, previous):
    def handle(signum, frame):
        loop.call_soon_threadsafe(draining.set)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # not under uvicorn: the default action (exit), as before
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
    return handle
