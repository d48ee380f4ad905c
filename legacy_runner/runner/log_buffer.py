"""LogBuffer: per-key value history with count-weighted averaging (mmcv 1.x semantics)."""
from collections import OrderedDict
from typing import Dict

import numpy as np


class LogBuffer:
    """Keeps ``val_history``/``n_history`` per key; ``average(n)`` fills ``output``.

    Histories are plain lists so that ``update`` is O(1) per value; ``average`` only
    touches the last ``n`` entries of each key.
    """

    def __init__(self) -> None:
        self.val_history: Dict[str, list] = OrderedDict()
        self.n_history: Dict[str, list] = OrderedDict()
        self.output: Dict[str, object] = OrderedDict()
        self.ready = False

    def clear(self) -> None:
        self.val_history.clear()
        self.n_history.clear()
        self.clear_output()

    def clear_output(self) -> None:
        self.output.clear()
        self.ready = False

    def update(self, vars: dict, count: int = 1) -> None:
        assert isinstance(vars, dict)
        for key, var in vars.items():
            if key not in self.val_history:
                self.val_history[key] = []
                self.n_history[key] = []
            self.val_history[key].append(var)
            self.n_history[key].append(count)

    def average(self, n: int = 0) -> None:
        """Average the latest ``n`` values of every key (all of them when n == 0)."""
        assert n >= 0
        for key in self.val_history:
            # `[-0:]` is the whole list, which is exactly mmcv's n == 0 meaning.
            values = np.array(self.val_history[key][-n:])
            nums = np.array(self.n_history[key][-n:])
            self.output[key] = np.sum(values * nums) / np.sum(nums)
        self.ready = True
