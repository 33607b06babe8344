"""The demo's training clock: seconds per optimiser step, and an early estimate of the training
time on this machine (the demo's step count is fixed, so its duration scales with the CPU)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lightning.pytorch.callbacks import Callback

__all__ = ["TrainingClock"]


class TrainingClock(Callback):
    """Time a training run's optimiser steps and say, early on, how long the run will take.

    The rate is measured over steps ``first`` to ``first + window`` (the first steps include
    start-up work); the estimate is said once, when the window ends, as
    ``"<title>: <s> s per step on this machine; <n> steps: about <m> min"``. After training,
    :py:attr:`steps` and :py:attr:`seconds` hold the whole run's step count and duration
    (validation included).

    :param title: Name of the run in the message.
    :param say: Where the message goes.
    :param first: Step after which timing starts (capped at a quarter of the run).
    :param window: Steps timed for the estimate (capped at the end of the run).
    :param clock: Seconds counter (:py:func:`time.perf_counter`; replaceable for tests).
    """

    def __init__(
        self,
        title: str,
        say: Callable[[str], None],
        first: int = 10,
        window: int = 30,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.title, self.say, self.clock = title, say, clock
        self.first, self.window = first, window
        self.steps = 0
        self.seconds = 0.0
        self._start = self._window_start = 0.0
        self._total = 0
        self._window = (0, 0)

    @property
    def seconds_per_step(self) -> float:
        """The whole run's seconds per optimiser step (NaN before any step)."""
        return self.seconds / self.steps if self.steps else float("nan")

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._total = int(trainer.estimated_stepping_batches)
        begin = min(self.first, self._total // 4)
        self._window = (begin, min(begin + self.window, self._total))
        self._start = self._window_start = self.clock()

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        step = trainer.global_step
        begin, end = self._window
        if step == begin:
            self._window_start = self.clock()
        elif step == end and end > begin:
            rate = (self.clock() - self._window_start) / (end - begin)
            self.say(
                f"{self.title}: {rate:.2f} s per step on this machine; {self._total} steps: "
                f"about {rate * self._total / 60:.1f} min"
            )

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.steps = trainer.global_step
        self.seconds = self.clock() - self._start
