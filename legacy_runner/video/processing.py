"""Video conversion through the ``ffmpeg`` executable (mmcv 1.x ``mmcv.video.processing``)."""
import os
import os.path as osp
import subprocess
import tempfile
from typing import List, Optional, Union

from ..utils import requires_executable

_LOG_LEVELS = ['quiet', 'panic', 'fatal', 'error', 'warning', 'info', 'verbose', 'debug', 'trace']


@requires_executable('ffmpeg')
def convert_video(in_file: str, out_file: str, print_cmd: bool = False, pre_options: str = '',
                  **kwargs: Union[str, bool, int, float]) -> None:
    """Run ``ffmpeg -y {pre_options} -i in_file {options} out_file``.

    Each keyword becomes an ffmpeg option: ``k=True`` -> ``-k`` (False: omitted), ``log_level=v`` ->
    ``-loglevel v``, anything else -> ``-k v``.

    Args:
        in_file (str): Input video.
        out_file (str): Output video.
        print_cmd (bool): Print the command first.
        pre_options (str): Options placed before ``-i``.
    """
    options = []
    for k, v in kwargs.items():
        if isinstance(v, bool):
            if v:
                options.append(f'-{k}')
        elif k == 'log_level':
            assert v in _LOG_LEVELS
            options.append(f'-loglevel {v}')
        else:
            options.append(f'-{k} {v}')
    cmd = f'ffmpeg -y {pre_options} -i {in_file} {" ".join(options)} {out_file}'
    if print_cmd:
        print(cmd)
    subprocess.call(cmd, shell=True)


@requires_executable('ffmpeg')
def resize_video(in_file: str,
                 out_file: str,
                 size: Optional[tuple] = None,
                 ratio: Union[tuple, float, None] = None,
                 keep_ar: bool = False,
                 log_level: str = 'info',
                 print_cmd: bool = False) -> None:
    """Resize a video to ``size`` = (w, h) or by ``ratio`` (one of them).

    Args:
        in_file (str): Input video.
        out_file (str): Output video.
        size (tuple): Target (w, h); -1 for one edge keeps the aspect ratio.
        ratio (tuple | float): Scale factor(s) (w, h).
        keep_ar (bool): With ``size``, fit inside it keeping the aspect ratio.
        log_level (str): ffmpeg log level.
        print_cmd (bool): Print the command first.
    """
    if size is None and ratio is None:
        raise ValueError('expected size or ratio must be specified')
    if size is not None and ratio is not None:
        raise ValueError('size and ratio cannot be specified at the same time')
    options = {'log_level': log_level}
    if size:
        if not keep_ar:
            options['vf'] = f'scale={size[0]}:{size[1]}'
        else:
            options['vf'] = f'scale=w={size[0]}:h={size[1]}:force_original_aspect_ratio=decrease'
    else:
        if not isinstance(ratio, tuple):
            ratio = (ratio, ratio)
        options['vf'] = f'scale="trunc(iw*{ratio[0]}):trunc(ih*{ratio[1]})"'
    convert_video(in_file, out_file, print_cmd, **options)


@requires_executable('ffmpeg')
def cut_video(in_file: str,
              out_file: str,
              start: Optional[float] = None,
              end: Optional[float] = None,
              vcodec: Optional[str] = None,
              acodec: Optional[str] = None,
              log_level: str = 'info',
              print_cmd: bool = False) -> None:
    """Cut the clip [start, end) seconds of a video (streams copied).

    Args:
        in_file (str): Input video.
        out_file (str): Output video.
        start (float | None): Start time in seconds.
        end (float | None): End time in seconds.
        vcodec (str | None): None copies the video stream; a codec name is not passed on (mmcv 1.x
            behaves the same), so ffmpeg picks its default.
        acodec (str | None): None copies the audio stream; same rule as ``vcodec``.
        log_level (str): ffmpeg log level.
        print_cmd (bool): Print the command first.
    """
    options = {'log_level': log_level}
    if vcodec is None:
        options['vcodec'] = 'copy'
    if acodec is None:
        options['acodec'] = 'copy'
    if start:
        options['ss'] = start  # type: ignore[assignment]
    else:
        start = 0
    if end:
        options['t'] = end - start  # type: ignore[assignment]
    convert_video(in_file, out_file, print_cmd, **options)


@requires_executable('ffmpeg')
def concat_video(video_list: List[str],
                 out_file: str,
                 vcodec: Optional[str] = None,
                 acodec: Optional[str] = None,
                 log_level: str = 'info',
                 print_cmd: bool = False) -> None:
    """Concatenate videos with ffmpeg's concat demuxer (streams copied).

    Args:
        video_list (list[str]): Input videos.
        out_file (str): Output video.
        vcodec (str | None): None copies the video stream.
        acodec (str | None): None copies the audio stream.
        log_level (str): ffmpeg log level.
        print_cmd (bool): Print the command first.
    """
    tmp_filehandler, tmp_filename = tempfile.mkstemp(suffix='.txt', text=True)
    with open(tmp_filename, 'w') as f:
        for filename in video_list:
            f.write(f'file {osp.abspath(filename)}\n')
    options = {'log_level': log_level}
    if vcodec is None:
        options['vcodec'] = 'copy'
    if acodec is None:
        options['acodec'] = 'copy'
    convert_video(tmp_filename, out_file, print_cmd, pre_options='-f concat -safe 0', **options)
    os.close(tmp_filehandler)
    os.remove(tmp_filename)
