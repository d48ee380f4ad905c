"""IterLoader: an endless iterator over a DataLoader that counts passes (epochs)."""
from typing import Any


class IterLoader:
    """Wraps ``dataloader``; when it is exhausted, bumps ``epoch``, calls
    ``sampler.set_epoch(epoch)`` if the sampler has it, and starts the next pass.

    ``set_epoch(0)`` is never called (mmcv parity). Unlike mmcv there is no 2 s sleep at the
    roll-over.
    """

    def __init__(self, dataloader: Any) -> None:
        self._dataloader = dataloader
        self.iter_loader = iter(self._dataloader)
        self._epoch = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    def __next__(self) -> Any:
        try:
            return next(self.iter_loader)
        except StopIteration:
            self._epoch += 1
            sampler = getattr(self._dataloader, 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(self._epoch)
            self.iter_loader = iter(self._dataloader)
            return next(self.iter_loader)

    def __len__(self) -> int:
        return len(self._dataloader)
