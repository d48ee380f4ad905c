"""mmcv 1.x ``mmcv.video``: frame reading/writing, optical flow, and ffmpeg-based processing."""
from .io import Cache, VideoReader, frames2video
from .optflow import (
                      dequantize_flow,
                      flow_from_bytes,
                      flow_warp,
                      flowread,
                      flowwrite,
                      quantize_flow,
                      sparse_flow_from_bytes,
)
from .processing import concat_video, convert_video, cut_video, resize_video

__all__ = [
    'Cache', 'VideoReader', 'frames2video', 'convert_video', 'resize_video', 'cut_video', 'concat_video',
    'flowread', 'flowwrite', 'quantize_flow', 'dequantize_flow', 'flow_warp', 'flow_from_bytes',
    'sparse_flow_from_bytes'
]
