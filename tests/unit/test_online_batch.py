"""The batcher of online scoring (jobs/online_batch.py) with real threads: concurrent items of one key scored in
one call up to the row limit, each item's own result or error, a lone item scored at once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from batchsvc.jobs.online_batch import Batcher, BatchPolicy, Outcome

KEY = ("model", 1, "sha", "onnx")
WAIT_S = 60  # the bound of a wait for a thread that should end at once; reached only by a broken batcher
AN_HOUR_US = 3_600_000_000


class Scorer:
    """score_many for the tests: each item n is answered 10 * n; an item "bad" fails whichever call holds it;
    items "hold" block their call until `release` is set. Every call's items are kept."""

    def __init__(self) -> None:
        self.calls: list[list] = []
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, items: list) -> list:
        with self._lock:
            self.calls.append(list(items))
        if "hold" in items:
            assert self.release.wait(WAIT_S)
        if "bad" in items:
            raise ValueError("a bad item")
        return [item if item == "hold" else item * 10 for item in items]


def crowd(batcher: Batcher, scorer: Scorer, items: list, policy: BatchPolicy) -> list[Outcome]:
    """Every item scored from a thread of its own while an earlier item of the key holds its call (so every
    leader has company in flight and waits for its batch to fill)."""
    with ThreadPoolExecutor(len(items) + 1) as pool:
        held = pool.submit(batcher.score, KEY, "hold", 1, policy, scorer)
        _wait_until(lambda: scorer.calls == [["hold"]])
        futures = [pool.submit(batcher.score, KEY, item, 1, policy, scorer) for item in items]
        outcomes = [f.result(timeout=WAIT_S) for f in futures]
        scorer.release.set()
        assert held.result(timeout=WAIT_S).value == "hold"
    return outcomes


def _wait_until(condition) -> None:
    event = threading.Event()
    for _ in range(WAIT_S * 100):
        if condition():
            return
        event.wait(0.01)
    pytest.fail("the condition never held")


def test_concurrent_items_are_scored_together_each_with_its_own_result():
    # Given a batcher that takes 8 rows per call and waits up to an hour for them
    batcher, scorer = Batcher(), Scorer()
    # When 8 one-row items arrive from 8 threads while another item of the key is being scored
    outcomes = crowd(batcher, scorer, list(range(1, 9)), BatchPolicy(max_batch_size=8, max_wait_us=AN_HOUR_US))
    # Then they were scored in one call of 8, and each got its own answer
    assert [o.value for o in outcomes] == [n * 10 for n in range(1, 9)]
    assert all(o.error is None and o.batch == 8 for o in outcomes)
    assert sorted(map(len, scorer.calls)) == [1, 8]


def test_a_batch_never_takes_more_rows_than_its_limit():
    # Given a limit of 4 rows per call
    batcher, scorer = Batcher(), Scorer()
    # When 12 one-row items arrive at once
    outcomes = crowd(batcher, scorer, list(range(12)), BatchPolicy(max_batch_size=4, max_wait_us=AN_HOUR_US))
    # Then they went in calls of 4 (the held item alone), each answered with its own result
    assert [o.value for o in outcomes] == [n * 10 for n in range(12)]
    assert sorted(map(len, scorer.calls)) == [1, 4, 4, 4]
    assert {o.batch for o in outcomes} == {4}


def test_a_failing_batch_is_scored_item_by_item_so_each_gets_its_own_outcome():
    # Given a batch of 4 in which one item fails
    batcher, scorer = Batcher(), Scorer()
    outcomes = crowd(batcher, scorer, [1, "bad", 3, 4], BatchPolicy(max_batch_size=4, max_wait_us=AN_HOUR_US))
    # Then the bad item gets its error, and every other item its own result, scored alone
    assert isinstance(outcomes[1].error, ValueError) and outcomes[1].value is None
    assert [outcomes[i].value for i in (0, 2, 3)] == [10, 30, 40]
    assert all(o.batch == 1 for o in outcomes)
    assert sorted(map(len, scorer.calls)) == [1, 1, 1, 1, 1, 4]


def test_a_lone_item_is_scored_at_once_without_waiting_for_company():
    # Given a batcher that would wait an hour for a batch to fill
    batcher, scorer = Batcher(), Scorer()
    policy = BatchPolicy(max_batch_size=32, max_wait_us=AN_HOUR_US)
    # When one item is scored with nothing else in flight, Then it is answered alone (not after an hour)
    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(batcher.score, KEY, 5, 1, policy, scorer).result(timeout=WAIT_S)
    assert outcome == Outcome(50, None, 1)
    # And an item of more rows than the limit is scored alone too, its error its own
    assert batcher.score(KEY, "bad", 33, policy, scorer).error is not None
