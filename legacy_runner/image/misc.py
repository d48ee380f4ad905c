"""``tensor2imgs``: a batch of normalised image tensors back to uint8 images (torch imported on call)."""
import importlib
from typing import Any, List, Optional

import numpy as np


def __getattr__(name: str) -> Any:
    # mmcv.image.misc holds the `mmcv` package as a global; it resolves to whatever `mmcv` imports
    # to (the shim's, when it is active), and only on access.
    if name == 'mmcv':
        try:
            return importlib.import_module('mmcv')
        except ImportError:
            raise AttributeError(f'module {__name__!r} has no attribute {name!r} '
                                 '(no mmcv importable)') from None
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def tensor2imgs(tensor: Any,
                mean: Optional[tuple] = None,
                std: Optional[tuple] = None,
                to_rgb: bool = True) -> List[np.ndarray]:
    """Denormalise an (N, C, H, W) tensor (C = 1 or 3) into N contiguous uint8 (H, W, C) images.

    Args:
        tensor (torch.Tensor): The image batch.
        mean (tuple[float] | None): Per-channel mean; zeros by default.
        std (tuple[float] | None): Per-channel std; ones by default.
        to_rgb (bool): Passed to :func:`imdenormalize` as ``to_bgr`` (swaps R and B); must be False
            for one-channel images.

    Returns:
        list[ndarray]: The images.
    """
    try:
        import torch
    except ImportError:
        raise RuntimeError('pytorch is not installed') from None
    from .photometric import imdenormalize

    assert torch.is_tensor(tensor) and tensor.ndim == 4
    channels = tensor.size(1)
    assert channels in [1, 3]
    if mean is None:
        mean = (0, ) * channels
    if std is None:
        std = (1, ) * channels
    assert (channels == len(mean) == len(std) == 3) or \
        (channels == len(mean) == len(std) == 1 and not to_rgb)
    num_imgs = tensor.size(0)
    mean_arr = np.array(mean, dtype=np.float32)
    std_arr = np.array(std, dtype=np.float32)
    imgs = []
    for img_id in range(num_imgs):
        img = tensor[img_id, ...].cpu().numpy().transpose(1, 2, 0)
        img = imdenormalize(img, mean_arr, std_arr, to_bgr=to_rgb).astype(np.uint8)
        imgs.append(np.ascontiguousarray(img))
    return imgs
