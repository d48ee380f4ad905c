"""Frame-level video reading and writing (mmcv 1.x ``mmcv.video.io``); OpenCV imported at first use.

The ``CAP_PROP_*`` names hold OpenCV's (stable) integer values; ``VideoWriter_fourcc`` resolves to
cv2's function on first access.
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Iterator, List, Optional, Union

import numpy as np

from ..image import _deps
from ..utils import check_file_exist, mkdir_or_exist, scandir, track_progress

# cv2.CAP_PROP_* values.
CAP_PROP_POS_FRAMES = 1
CAP_PROP_FRAME_WIDTH = 3
CAP_PROP_FRAME_HEIGHT = 4
CAP_PROP_FPS = 5
CAP_PROP_FOURCC = 6
CAP_PROP_FRAME_COUNT = 7


def __getattr__(name: str) -> Any:
    if name == 'VideoWriter_fourcc':
        return _deps.cv2('VideoWriter_fourcc').VideoWriter_fourcc
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


class Cache:
    """A FIFO cache of at most ``capacity`` items (the oldest entry is evicted first)."""

    def __init__(self, capacity: int) -> None:
        self._cache: OrderedDict = OrderedDict()
        self._capacity = int(capacity)
        if capacity <= 0:
            raise ValueError('capacity must be a positive integer')

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def size(self) -> int:
        return len(self._cache)

    def put(self, key: Any, val: Any) -> None:
        """Store ``val`` under ``key`` unless the key is already there."""
        if key in self._cache:
            return
        if len(self._cache) >= self.capacity:
            self._cache.popitem(last=False)
        self._cache[key] = val

    def get(self, key: Any, default: Any = None) -> Any:
        return self._cache[key] if key in self._cache else default


class VideoReader:
    """A video as a sequence of frames: iteration, indexing (negative and slices) and a frame cache.

    Args:
        filename (str): A video file path or an http(s) URL.
        cache_capacity (int): How many decoded frames to keep.
    """

    def __init__(self, filename: str, cache_capacity: int = 10) -> None:
        cv2 = _deps.cv2('VideoReader()')
        if not filename.startswith(('https://', 'http://')):
            check_file_exist(filename, 'Video file not found: ' + filename)
        self._vcap = cv2.VideoCapture(filename)
        assert cache_capacity > 0
        self._cache = Cache(cache_capacity)
        self._position = 0
        self._width = int(self._vcap.get(CAP_PROP_FRAME_WIDTH))
        self._height = int(self._vcap.get(CAP_PROP_FRAME_HEIGHT))
        self._fps = self._vcap.get(CAP_PROP_FPS)
        self._frame_cnt = int(self._vcap.get(CAP_PROP_FRAME_COUNT))
        self._fourcc = self._vcap.get(CAP_PROP_FOURCC)

    @property
    def vcap(self) -> Any:
        """cv2.VideoCapture: The raw capture object."""
        return self._vcap

    @property
    def opened(self) -> bool:
        return self._vcap.isOpened()

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def resolution(self) -> tuple:
        """tuple: (width, height)."""
        return (self._width, self._height)

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def frame_cnt(self) -> int:
        return self._frame_cnt

    @property
    def fourcc(self) -> str:
        return self._fourcc

    @property
    def position(self) -> int:
        """int: Index of the next frame to read."""
        return self._position

    def _get_real_position(self) -> int:
        return int(round(self._vcap.get(CAP_PROP_POS_FRAMES)))

    def _set_real_position(self, frame_id: int) -> None:
        self._vcap.set(CAP_PROP_POS_FRAMES, frame_id)
        pos = self._get_real_position()
        # Seeking may land on an earlier key frame: read forward to the requested one.
        for _ in range(frame_id - pos):
            self._vcap.read()
        self._position = frame_id

    def read(self) -> Optional[np.ndarray]:
        """The next frame (None at the end)."""
        img = self._cache.get(self._position)
        if img is not None:
            ret = True
        else:
            if self._position != self._get_real_position():
                self._set_real_position(self._position)
            ret, img = self._vcap.read()
            if ret:
                self._cache.put(self._position, img)
        if ret:
            self._position += 1
        return img

    def get_frame(self, frame_id: int) -> Optional[np.ndarray]:
        """The frame ``frame_id`` (0-based); the next read continues after it."""
        if frame_id < 0 or frame_id >= self._frame_cnt:
            raise IndexError(f'"frame_id" must be between 0 and {self._frame_cnt - 1}')
        if frame_id == self._position:
            return self.read()
        img = self._cache.get(frame_id)
        if img is not None:
            self._position = frame_id + 1
            return img
        self._set_real_position(frame_id)
        ret, img = self._vcap.read()
        if ret:
            self._cache.put(self._position, img)
            self._position += 1
        return img

    def current_frame(self) -> Optional[np.ndarray]:
        """The frame read last (None before the first read)."""
        if self._position == 0:
            return None
        return self._cache.get(self._position - 1)

    def cvt2frames(self,
                   frame_dir: str,
                   file_start: int = 0,
                   filename_tmpl: str = '{:06d}.jpg',
                   start: int = 0,
                   max_num: int = 0,
                   show_progress: bool = True) -> None:
        """Write the frames as image files ``frame_dir/filename_tmpl.format(i)``.

        Args:
            frame_dir (str): Output folder (created).
            file_start (int): Index of the first file name.
            filename_tmpl (str): File name template.
            start (int): First frame to write.
            max_num (int): At most this many frames (0: all).
            show_progress (bool): Show a progress bar.
        """
        cv2 = _deps.cv2('VideoReader.cvt2frames()')
        mkdir_or_exist(frame_dir)
        if max_num == 0:
            task_num = self.frame_cnt - start
        else:
            task_num = min(self.frame_cnt - start, max_num)
        if task_num <= 0:
            raise ValueError('start must be less than total frame number')
        if start > 0:
            self._set_real_position(start)

        def write_frame(file_idx: int) -> None:
            img = self.read()
            if img is None:
                return
            filename = osp.join(frame_dir, filename_tmpl.format(file_idx))
            cv2.imwrite(filename, img)

        if show_progress:
            track_progress(write_frame, range(file_start, file_start + task_num))
        else:
            for i in range(task_num):
                write_frame(file_start + i)

    def __len__(self) -> int:
        return self.frame_cnt

    def __getitem__(self, index: Union[int, slice]) -> Union[Optional[np.ndarray], List[Any]]:
        if isinstance(index, slice):
            return [self.get_frame(i) for i in range(*index.indices(self.frame_cnt))]
        if index < 0:
            index += self.frame_cnt
            if index < 0:
                raise IndexError('index out of range')
        return self.get_frame(index)

    def __iter__(self) -> Iterator[np.ndarray]:
        self._set_real_position(0)
        return self

    def __next__(self) -> np.ndarray:
        img = self.read()
        if img is not None:
            return img
        raise StopIteration

    next = __next__

    def __enter__(self) -> 'VideoReader':
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self._vcap.release()


def frames2video(frame_dir: str,
                 video_file: str,
                 fps: float = 30,
                 fourcc: str = 'XVID',
                 filename_tmpl: str = '{:06d}.jpg',
                 start: int = 0,
                 end: int = 0,
                 show_progress: bool = True) -> None:
    """Write the images ``frame_dir/filename_tmpl.format(i)`` for i in [start, end) as a video.

    Args:
        frame_dir (str): Folder of the frames.
        video_file (str): Output video path.
        fps (float): Frames per second.
        fourcc (str): Four-character codec code.
        filename_tmpl (str): File name template.
        start (int): First frame index.
        end (int): End index (exclusive); 0 counts the files with the template's extension.
        show_progress (bool): Show a progress bar.
    """
    cv2 = _deps.cv2('frames2video()')
    if end == 0:
        ext = filename_tmpl.split('.')[-1]
        end = len([name for name in scandir(frame_dir, ext)])
    first_file = osp.join(frame_dir, filename_tmpl.format(start))
    check_file_exist(first_file, 'The start frame not found: ' + first_file)
    img = cv2.imread(first_file)
    height, width = img.shape[:2]
    resolution = (width, height)
    vwriter = cv2.VideoWriter(video_file, cv2.VideoWriter_fourcc(*fourcc), fps, resolution)

    def write_frame(file_idx: int) -> None:
        filename = osp.join(frame_dir, filename_tmpl.format(file_idx))
        vwriter.write(cv2.imread(filename))

    if show_progress:
        track_progress(write_frame, range(start, end))
    else:
        for i in range(start, end):
            write_frame(i)
    vwriter.release()
