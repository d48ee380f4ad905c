"""Random seeding helpers: ``mmcv.runner.set_random_seed`` and ``mmcv.utils.worker_init_fn``."""
import os
import random

import numpy as np
import torch


def set_random_seed(seed: int, deterministic: bool = False, use_rank_shift: bool = False) -> None:
    """Seed python, numpy and torch (CPU and every CUDA device) and set ``PYTHONHASHSEED``.

    Args:
        seed: the seed.
        deterministic: also make cuDNN deterministic (and disable its benchmark mode).
        use_rank_shift: add the distributed rank, so every process draws different numbers.
    """
    if use_rank_shift:
        from .dist import get_dist_info
        rank, _ = get_dist_info()
        seed += rank
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # Both are lazy no-ops without CUDA, so no guard is needed.
    torch.cuda.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ['PYTHONHASHSEED'] = str(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def worker_init_fn(worker_id: int, num_workers: int, rank: int, seed: int) -> None:
    """DataLoader worker seeding: every (rank, worker) pair gets ``num_workers*rank+worker_id+seed``."""
    worker_seed = num_workers * rank + worker_id + seed
    np.random.seed(worker_seed)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)
