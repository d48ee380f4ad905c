"""IterLoader: an endless iterator over a DataLoader that counts passes (epochs)."""
from typing import Any, Dict, Optional

from ..continuation import EndlessLoader


class IterLoader(EndlessLoader):
    """Wraps ``dataloader``; when it is exhausted, bumps ``epoch``, calls
    ``sampler.set_epoch(epoch)`` if the sampler has it, and starts the next pass.

    ``set_epoch(0)`` is never called (mmcv parity). Unlike mmcv there is no 2 s sleep at the
    roll-over. ``state`` (from :meth:`state_dict`) re-enters a pass where a checkpoint left it.
    """

    def __init__(self, dataloader: Any, state: Optional[Dict[str, Any]] = None) -> None:
        if state is None:
            super().__init__(dataloader)
        else:
            super().__init__(dataloader, int(state['epoch']), state['pass'])

    def __len__(self) -> int:
        return len(self._dataloader)
