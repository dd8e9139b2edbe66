"""with_stack_room: a walk that keeps crossing a frame-stack chunk's edge stops mapping a chunk per call.

Each time CPython 3.11 opens a chunk it maps fresh memory, and touching it is a minor page fault: a leaf
called over and over at the depth of an edge faults once per call, anywhere else not at all.
"""

import resource
import sys

import pytest

from plum.core.stack_room import with_stack_room

CALLS = 500
DEPTHS = range(400)  # about 48 KiB of these frames: past two chunk edges, within the room


def leaf():
    return None


def at_depth(depth: int, then):
    return then() if depth == 0 else at_depth(depth - 1, then)


def many_leaves():
    for _ in range(CALLS):
        leaf()


def faults_by_depth() -> dict[int, int]:
    faults = {}
    for depth in DEPTHS:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        at_depth(depth, many_leaves)
        faults[depth] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return faults


def thrashing(faults: dict[int, int]) -> list[int]:
    return [depth for depth, count in faults.items() if count >= CALLS // 2]


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="CPython 3.13 keeps a spare chunk (python/cpython#142183)")
def test_without_room_some_depth_maps_a_chunk_for_every_call():
    """The naive variant: the probe sees the thrashing this module exists for."""
    assert thrashing(faults_by_depth())


def test_with_room_no_depth_maps_a_chunk_per_call():
    faults = with_stack_room(faults_by_depth)
    assert thrashing(faults) == []
    assert sum(faults.values()) < CALLS  # not one fault a call anywhere


def test_the_call_answers_its_own_value_and_raises_its_own_errors():
    assert with_stack_room(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        with_stack_room(lambda: 1 / 0)
