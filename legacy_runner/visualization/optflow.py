"""Optical-flow visualisation (mmcv 1.x ``mmcv.visualization.optflow``): the Middlebury colour wheel."""
from typing import Optional, Union

import numpy as np

from ..image import rgb2bgr
from ..video import flowread
from .image import imshow


def flowshow(flow: Union[np.ndarray, str], win_name: str = '', wait_time: int = 0) -> None:
    """Show an optical flow (array or .flo path) as a colour image.

    Args:
        flow (ndarray | str): The flow or its path.
        win_name (str): The window name.
        wait_time (int): Same as :func:`imshow`.
    """
    flow = flowread(flow)
    flow_img = flow2rgb(flow)
    imshow(rgb2bgr(flow_img), win_name, wait_time)


def flow2rgb(flow: np.ndarray,
             color_wheel: Optional[np.ndarray] = None,
             unknown_thr: float = 1e6) -> np.ndarray:
    """An (h, w, 2) flow as an (h, w, 3) float RGB image in [0, 1] (direction -> hue, length -> saturation).

    Args:
        flow (ndarray): The flow.
        color_wheel (ndarray | None): (n, 3) colour wheel; :func:`make_color_wheel` by default.
        unknown_thr (float): Components beyond it (and NaN) are unknown and drawn black.

    Returns:
        ndarray: The RGB image.
    """
    assert flow.ndim == 3 and flow.shape[-1] == 2
    if color_wheel is None:
        color_wheel = make_color_wheel()
    assert color_wheel.ndim == 2 and color_wheel.shape[1] == 3
    num_bins = color_wheel.shape[0]

    dx = flow[:, :, 0].copy()
    dy = flow[:, :, 1].copy()

    ignore_inds = (np.isnan(dx) | np.isnan(dy) | (np.abs(dx) > unknown_thr) | (np.abs(dy) > unknown_thr))
    dx[ignore_inds] = 0
    dy[ignore_inds] = 0

    rad = np.sqrt(dx**2 + dy**2)
    if np.any(rad > np.finfo(float).eps):
        max_rad = np.max(rad)
        dx /= max_rad
        dy /= max_rad

    rad = np.sqrt(dx**2 + dy**2)
    angle = np.arctan2(-dy, -dx) / np.pi

    bin_real = (angle + 1) / 2 * (num_bins - 1)
    bin_left = np.floor(bin_real).astype(int)
    bin_right = (bin_left + 1) % num_bins
    w = (bin_real - bin_left.astype(np.float32))[..., None]
    flow_img = (1 - w) * color_wheel[bin_left, :] + w * color_wheel[bin_right, :]
    small_ind = rad <= 1
    flow_img[small_ind] = 1 - rad[small_ind, None] * (1 - flow_img[small_ind])
    flow_img[np.logical_not(small_ind)] *= 0.75

    flow_img[ignore_inds, :] = 0
    return flow_img


def make_color_wheel(bins: Optional[Union[list, tuple]] = None) -> np.ndarray:
    """The Middlebury colour wheel: (n, 3) float32 RGB, ``bins`` = segment lengths RY, YG, GC, CB, BM, MR.

    Args:
        bins (list[int] | tuple[int] | None): Six segment lengths; (15, 6, 4, 11, 13, 6) by default.

    Returns:
        ndarray: The colour wheel.
    """
    if bins is None:
        bins = [15, 6, 4, 11, 13, 6]
    assert len(bins) == 6
    RY, YG, GC, CB, BM, MR = tuple(bins)

    # Each segment ramps one RGB component up or down while the others stay at 0 or 1.
    ry = [1, np.arange(RY) / RY, 0]
    yg = [1 - np.arange(YG) / YG, 1, 0]
    gc = [0, 1, np.arange(GC) / GC]
    cb = [0, 1 - np.arange(CB) / CB, 1]
    bm = [np.arange(BM) / BM, 0, 1]
    mr = [1, 0, 1 - np.arange(MR) / MR]

    num_bins = RY + YG + GC + CB + BM + MR
    color_wheel = np.zeros((3, num_bins), dtype=np.float32)
    col = 0
    for i, color in enumerate([ry, yg, gc, cb, bm, mr]):
        for j in range(3):
            color_wheel[j, col:col + bins[i]] = color[j]
        col += bins[i]
    return color_wheel.T
