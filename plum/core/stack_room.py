"""Run a deeply recursive walk in a fresh stretch of CPython's frame stack.

CPython 3.11 keeps Python frames in chunks of 16 KiB and unmaps a chunk as soon as the call that opened
it returns. A walk whose depth keeps going back and forth over a chunk's edge (graphql-core completing
the fields of a page of nodes, one after another) then maps and unmaps a chunk for every field: measured
on the GraphQL employees page, 2,500 mmap/munmap pairs a request and two thirds of its CPU. CPython fixed
it in 3.13 by keeping one spare chunk (python/cpython#142183); 3.11 only gets security fixes.

`with_stack_room(call)` calls `call()` from a frame of about 66 KiB. No chunk holds it, so CPython opens
one of 128 KiB for it, and everything `call` does within the 60 KiB left runs in that one chunk: one
mapping a request instead of thousands.
"""

from collections.abc import Callable

FRAME_LOCALS = 8_400  # 8 bytes each: about 66 KiB, more than half of a 128 KiB chunk


def _spacious_function() -> Callable:
    names = [f"_{n}" for n in range(FRAME_LOCALS)]
    # The locals are never assigned: they only have to exist for the frame to be large.
    source = f"def with_stack_room(call):\n    if False:\n        {' = '.join(names)} = None\n    return call()\n"
    namespace: dict = {}
    exec(compile(source, __name__, "exec"), namespace)  # noqa: S102 - fixed source, no input
    return namespace["with_stack_room"]


with_stack_room: Callable = _spacious_function()
with_stack_room.__doc__ = "call() from a frame that makes CPython open a roomy frame-stack chunk (see module)."
