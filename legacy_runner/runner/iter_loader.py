"""IterLoader: an endless iterator over a DataLoader that counts passes (epochs)."""
from typing import Any, Dict, Optional

from ..continuation import ResumablePass


class IterLoader:
    """Wraps ``dataloader``; when it is exhausted, bumps ``epoch``, calls
    ``sampler.set_epoch(epoch)`` if the sampler has it, and starts the next pass.

    ``set_epoch(0)`` is never called (mmcv parity). Unlike mmcv there is no 2 s sleep at the
    roll-over. ``state`` (from :meth:`state_dict`) re-enters a pass where a checkpoint left it.
    """

    def __init__(self, dataloader: Any, state: Optional[Dict[str, Any]] = None) -> None:
        self._dataloader = dataloader
        self._epoch = 0 if state is None else int(state['epoch'])
        if self._epoch:
            self._set_sampler_epoch()
        self.iter_loader = ResumablePass(dataloader, None if state is None else state['pass'])

    @property
    def epoch(self) -> int:
        return self._epoch

    def _set_sampler_epoch(self) -> None:
        sampler = getattr(self._dataloader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch)

    def __next__(self) -> Any:
        try:
            return next(self.iter_loader)
        except StopIteration:
            self._epoch += 1
            self._set_sampler_epoch()
            self.iter_loader = ResumablePass(self._dataloader)
            return next(self.iter_loader)

    def __len__(self) -> int:
        return len(self._dataloader)

    def state_dict(self) -> Dict[str, Any]:
        return dict(epoch=self._epoch, **{'pass': self.iter_loader.state_dict()})
