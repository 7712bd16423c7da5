"""What the register's pages compute again and again, kept by each process for one state of
the register (engine.register.version): the first pages of recent searches, the autorités of
the search's filter. Every change of the register moves its state, and every key with it:
nothing kept is ever served for another state, and nothing is shared between processes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from engine.register.version import RegisterState, register_state

Value = TypeVar("Value")


class Remembered(Generic[Value]):
    """The `size` values used last, by register state and key (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        session: Session,
        state: RegisterState | None,
        key: Hashable,
        compute: Callable[[], Value],
    ) -> Value:
        """The value of `key` for the register as `session` sees it (its `state` when the
        caller has read it), computed by `compute` when it is not kept."""
        if state is None:
            state = register_state(session)
        # The database too: one process may serve several (tests, the bench).
        full_key = (session.get_bind().engine.url, state.key, key)
        with self._lock:
            if full_key in self._values:
                self._values.move_to_end(full_key)
                return self._values[full_key]
        value = compute()
        with self._lock:
            self._values[full_key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def forget(self) -> None:
        with self._lock:
            self._values.clear()
