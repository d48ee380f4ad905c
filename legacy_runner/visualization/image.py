"""Show images and draw boxes (mmcv 1.x ``mmcv.visualization.image``); OpenCV imported at first call."""
from typing import List, Optional, Union

import numpy as np

from ..image import _deps, imread, imwrite
from .color import Color, color_val

# A type accepted by color_val().
ColorType = Union[Color, str, tuple, int, np.ndarray]


def imshow(img: Union[str, np.ndarray], win_name: str = '', wait_time: int = 0) -> None:
    """Show an image (array or path) in an OpenCV window.

    Args:
        img (str | ndarray): The image or its path.
        win_name (str): The window name.
        wait_time (int): Milliseconds to wait; 0 waits until a key is pressed or the window closes.
    """
    cv2 = _deps.cv2('imshow()')
    cv2.imshow(win_name, imread(img))
    if wait_time == 0:
        # Poll instead of cv2.waitKey(0), which never returns if the window is closed by hand.
        while True:
            ret = cv2.waitKey(1)
            closed = cv2.getWindowProperty(win_name, cv2.WND_PROP_VISIBLE) < 1
            if closed or ret != -1:
                break
    else:
        cv2.waitKey(wait_time)


def imshow_bboxes(img: Union[str, np.ndarray],
                  bboxes: Union[list, np.ndarray],
                  colors: Union[ColorType, List[ColorType]] = 'green',
                  top_k: int = -1,
                  thickness: int = 1,
                  show: bool = True,
                  win_name: str = '',
                  wait_time: int = 0,
                  out_file: Optional[str] = None) -> np.ndarray:
    """Draw groups of boxes on an image, each group in its colour.

    Args:
        img (str | ndarray): The image or its path.
        bboxes (list | ndarray): A list of (n, 4) arrays (or one array).
        colors (ColorType | list): One colour per group (or one for all).
        top_k (int): Draw only the first ``top_k`` boxes of each group (all when <= 0).
        thickness (int): Line thickness.
        show (bool): Show the image in a window.
        win_name (str): The window name.
        wait_time (int): Same as :func:`imshow`.
        out_file (str, optional): Write the drawn image there.

    Returns:
        ndarray: The image with the boxes drawn.
    """
    cv2 = _deps.cv2('imshow_bboxes()')
    img = imread(img)
    img = np.ascontiguousarray(img)

    if isinstance(bboxes, np.ndarray):
        bboxes = [bboxes]
    color_list = colors if isinstance(colors, list) else [colors for _ in range(len(bboxes))]
    bgr_colors = [color_val(c) for c in color_list]
    assert len(bboxes) == len(bgr_colors)

    for i, _bboxes in enumerate(bboxes):
        _bboxes = _bboxes.astype(np.int32)
        _top_k = _bboxes.shape[0] if top_k <= 0 else min(top_k, _bboxes.shape[0])
        for j in range(_top_k):
            left_top = (int(_bboxes[j, 0]), int(_bboxes[j, 1]))
            right_bottom = (int(_bboxes[j, 2]), int(_bboxes[j, 3]))
            cv2.rectangle(img, left_top, right_bottom, bgr_colors[i], thickness=thickness)

    if show:
        imshow(img, win_name, wait_time)
    if out_file is not None:
        imwrite(img, out_file)
    return img


def imshow_det_bboxes(img: Union[str, np.ndarray],
                      bboxes: np.ndarray,
                      labels: np.ndarray,
                      class_names: Optional[List[str]] = None,
                      score_thr: float = 0,
                      bbox_color: ColorType = 'green',
                      text_color: ColorType = 'green',
                      thickness: int = 1,
                      font_scale: float = 0.5,
                      show: bool = True,
                      win_name: str = '',
                      wait_time: int = 0,
                      out_file: Optional[str] = None) -> np.ndarray:
    """Draw detection boxes with their class label (and score) on an image.

    Args:
        img (str | ndarray): The image or its path (an array is drawn on in place).
        bboxes (ndarray): (n, 4) boxes or (n, 5) boxes with scores.
        labels (ndarray): (n,) class indices.
        class_names (list[str], optional): Names of the classes ('cls {label}' when None).
        score_thr (float): Draw only boxes scoring above it (needs (n, 5) boxes when > 0).
        bbox_color (ColorType): Colour of the boxes.
        text_color (ColorType): Colour of the texts.
        thickness (int): Line thickness.
        font_scale (float): Font scale of the texts.
        show (bool): Show the image in a window.
        win_name (str): The window name.
        wait_time (int): Same as :func:`imshow`.
        out_file (str, optional): Write the drawn image there.

    Returns:
        ndarray: The image with the boxes drawn.
    """
    assert bboxes.ndim == 2
    assert labels.ndim == 1
    assert bboxes.shape[0] == labels.shape[0]
    assert bboxes.shape[1] == 4 or bboxes.shape[1] == 5
    cv2 = _deps.cv2('imshow_det_bboxes()')
    img = imread(img)
    img = np.ascontiguousarray(img)

    if score_thr > 0:
        assert bboxes.shape[1] == 5
        scores = bboxes[:, -1]
        inds = scores > score_thr
        bboxes = bboxes[inds, :]
        labels = labels[inds]

    bbox_color = color_val(bbox_color)
    text_color = color_val(text_color)

    for bbox, label in zip(bboxes, labels):
        bbox_int = bbox.astype(np.int32)
        left_top = (int(bbox_int[0]), int(bbox_int[1]))
        right_bottom = (int(bbox_int[2]), int(bbox_int[3]))
        cv2.rectangle(img, left_top, right_bottom, bbox_color, thickness=thickness)
        label_text = class_names[label] if class_names is not None else f'cls {label}'
        if len(bbox) > 4:
            label_text += f'|{bbox[-1]:.02f}'
        cv2.putText(img, label_text, (int(bbox_int[0]), int(bbox_int[1]) - 2), cv2.FONT_HERSHEY_COMPLEX,
                    font_scale, text_color)

    if show:
        imshow(img, win_name, wait_time)
    if out_file is not None:
        imwrite(img, out_file)
    return img
