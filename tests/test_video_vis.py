"""mmcv 1.x image I/O, video, optical-flow and visualisation behaviour that the recorded golden calls
do not cover: file round trips, decoding backends, lazy optional imports, drawing, flow formats,
VideoReader on a real (tiny) video and the ffmpeg command lines."""
import os
import os.path as osp
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import legacy_runner.arraymisc as arraymisc
import legacy_runner.image as image
import legacy_runner.video as video
import legacy_runner.visualization as vis
from legacy_runner.image import geometric
from legacy_runner.image import io as image_io

cv2 = pytest.importorskip('cv2')
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(osp.dirname(__file__), 'data', 'mmcv_surface')


@pytest.fixture(scope='module')
def golden():
    with np.load(osp.join(DATA, 'image_outputs.npz')) as data:
        yield {k: data[k] for k in data.files}


def run_python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.pop('LEGACY_RUNNER_SHIM', None)
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


# --- imports stay light, constants equal OpenCV's -------------------------------------------------

def test_import_loads_neither_cv2_pil_nor_torch():
    proc = run_python(
        'import sys\n'
        'import legacy_runner.image, legacy_runner.video, legacy_runner.visualization\n'
        'import legacy_runner.arraymisc\n'
        'import legacy_runner.image.io, legacy_runner.image.geometric, legacy_runner.video.io\n'
        "print(sorted(m for m in ('cv2', 'PIL', 'torch', 'turbojpeg', 'tifffile') if m in sys.modules))\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == '[]'


def test_module_constants_equal_cv2():
    assert geometric.cv2_interp_codes == {
        'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR, 'bicubic': cv2.INTER_CUBIC,
        'area': cv2.INTER_AREA, 'lanczos': cv2.INTER_LANCZOS4}
    assert geometric.cv2_border_modes == {
        'constant': cv2.BORDER_CONSTANT, 'replicate': cv2.BORDER_REPLICATE, 'reflect': cv2.BORDER_REFLECT,
        'wrap': cv2.BORDER_WRAP, 'reflect_101': cv2.BORDER_REFLECT_101,
        'transparent': cv2.BORDER_TRANSPARENT, 'isolated': cv2.BORDER_ISOLATED}
    for name in ('IMREAD_COLOR', 'IMREAD_GRAYSCALE', 'IMREAD_UNCHANGED', 'IMREAD_IGNORE_ORIENTATION'):
        assert getattr(image_io, name) == getattr(cv2, name), name
    assert image_io.imread_flags == {
        'color': cv2.IMREAD_COLOR, 'grayscale': cv2.IMREAD_GRAYSCALE, 'unchanged': cv2.IMREAD_UNCHANGED,
        'color_ignore_orientation': cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_COLOR,
        'grayscale_ignore_orientation': cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_GRAYSCALE}
    for name in ('CAP_PROP_FOURCC', 'CAP_PROP_FPS', 'CAP_PROP_FRAME_COUNT', 'CAP_PROP_FRAME_HEIGHT',
                 'CAP_PROP_FRAME_WIDTH', 'CAP_PROP_POS_FRAMES'):
        assert getattr(video.io, name) == getattr(cv2, name), name
    assert video.io.VideoWriter_fourcc is cv2.VideoWriter_fourcc
    assert image.supported_backends == ['cv2', 'turbojpeg', 'pillow', 'tifffile']
    assert image.supported_backends is image_io.supported_backends
    assert geometric.imread_backend == 'cv2'


def test_pillow_interp_codes_are_pillows():
    from PIL import Image
    modes = getattr(Image, 'Resampling', Image)
    codes = geometric.pillow_interp_codes
    assert codes['nearest'] is modes.NEAREST and codes['bilinear'] is modes.BILINEAR
    assert codes['bicubic'] is modes.BICUBIC and codes['box'] is modes.BOX
    assert codes['lanczos'] is modes.LANCZOS and codes['hamming'] is modes.HAMMING


def test_optional_decoders_resolve_to_none_when_missing():
    for name, module in (('TurboJPEG', 'turbojpeg'), ('TJPF_BGR', 'turbojpeg'), ('tifffile', 'tifffile')):
        try:
            __import__(module)
        except ImportError:
            assert getattr(image_io, name) is None
        else:
            assert getattr(image_io, name) is not None
    assert image_io.jpeg is None or image_io.imread_backend == 'turbojpeg'


def test_missing_opencv_gives_one_clear_line():
    proc = run_python(
        'import sys\n'
        "sys.modules['cv2'] = None\n"
        'import numpy as np\n'
        'import legacy_runner.image as image\n'
        'try:\n'
        '    image.imresize(np.zeros((4, 4, 3), np.uint8), (2, 2))\n'
        'except ImportError as e:\n'
        '    print(repr(str(e)))\n')
    assert proc.returncode == 0, proc.stderr
    msg = eval(proc.stdout.strip())
    assert '\n' not in msg
    assert msg.startswith('imresize() needs OpenCV')
    assert "pip install 'legacy-runner[image]'" in msg and 'opencv-python-headless' in msg


def test_missing_pillow_names_the_call():
    proc = run_python(
        'import sys\n'
        "sys.modules['PIL'] = None\n"
        'import numpy as np\n'
        'import legacy_runner.image as image\n'
        'try:\n'
        "    image.imresize(np.zeros((4, 4, 3), np.uint8), (2, 2), backend='pillow')\n"
        'except ImportError as e:\n'
        '    print(str(e))\n'
        "print(hasattr(image.geometric, 'pillow_interp_codes'))\n")
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.strip().splitlines()
    assert first.startswith("imresize(backend='pillow') needs Pillow")
    assert "pip install 'legacy-runner[image]'" in first
    assert second == 'False'  # as in mmcv: no pillow_interp_codes without Pillow


# --- imread / imwrite / imfrombytes / use_backend ------------------------------------------------

def test_imwrite_imread_round_trip_str_and_pathlib(tmp_path, golden):
    img = golden['IMG']
    out = tmp_path / 'a' / 'b' / 'img.png'  # parent folders are created
    assert image.imwrite(img, out) is True
    assert np.array_equal(image.imread(out), img)
    assert np.array_equal(image.imread(str(out)), img)
    assert np.array_equal(image.imread(out, channel_order='rgb'), img[..., ::-1])
    # the decoder's own grey conversion, as mmcv recorded it for the same pixels (golden c003)
    assert np.array_equal(image.imread(out, flag='grayscale'), golden['c003_0'])
    # the written file is a real PNG that OpenCV itself reads back
    assert np.array_equal(cv2.imread(str(out)), img)

    gray_path = str(tmp_path / 'gray.png')
    image.imwrite(golden['GRAY'], gray_path)
    unchanged = image.imread(gray_path, flag='unchanged')
    assert unchanged.shape == golden['GRAY'].shape and np.array_equal(unchanged, golden['GRAY'])

    jpg = tmp_path / 'q.jpg'
    image.imwrite(img, jpg, params=[cv2.IMWRITE_JPEG_QUALITY, 100])
    high = np.abs(image.imread(jpg).astype(int) - img).mean()
    image.imwrite(img, jpg, params=[cv2.IMWRITE_JPEG_QUALITY, 5])
    low = np.abs(image.imread(jpg).astype(int) - img).mean()
    assert high < low  # params reach the encoder

    with pytest.warns(UserWarning, match='auto_mkdir'):
        image.imwrite(img, tmp_path / 'c.png', auto_mkdir=True)


def test_imread_array_passthrough_and_bad_input(tmp_path):
    arr = np.zeros((2, 2, 3), np.uint8)
    assert image.imread(arr) is arr
    with pytest.raises(TypeError, match='numpy array or a str or a pathlib.Path'):
        image.imread(3)
    with pytest.raises(FileNotFoundError):
        image.imread(str(tmp_path / 'missing.png'))
    with pytest.raises(ValueError, match="backend: nope is not supported"):
        image.imread(arr, backend='nope')


def test_imfrombytes_cv2_and_pillow(golden):
    png, jpg = golden['PNG'].tobytes(), golden['JPG'].tobytes()
    img = golden['IMG']
    # PNG is lossless: both decoders return the encoded image
    assert np.array_equal(image.imfrombytes(png), img)
    assert np.array_equal(image.imfrombytes(png, backend='pillow'), img)
    assert np.array_equal(image.imfrombytes(png, backend='pillow', channel_order='rgb'), img[..., ::-1])
    gray = image.imfrombytes(png, flag='grayscale', backend='pillow')
    assert gray.shape == img.shape[:2] and gray.dtype == np.uint8
    unchanged = image.imfrombytes(png, flag='unchanged', backend='pillow')
    assert np.array_equal(unchanged, img)  # BGR order for 'unchanged' colour images too
    with pytest.raises(ValueError, match='channel order'):
        image.imfrombytes(png, backend='pillow', channel_order='xyz')
    with pytest.raises(ValueError, match='flag must be'):
        image.imfrombytes(png, backend='pillow', flag='nope')
    # JPEG through both decoders: mmcv's recorded outputs (golden c002, c006)
    assert np.array_equal(image.imfrombytes(jpg), golden['c002_0'])
    assert np.array_equal(image.imfrombytes(jpg, backend='pillow', channel_order='rgb'), golden['c006_0'])


def la_png() -> bytes:
    """A 2x1 grey+alpha PNG: an opaque grey pixel and a transparent one."""
    from io import BytesIO

    from PIL import Image
    la = Image.new('LA', (2, 1))
    la.putpixel((0, 0), (200, 255))
    la.putpixel((1, 0), (10, 0))
    buff = BytesIO()
    la.save(buff, format='PNG')
    return buff.getvalue()


def test_imfrombytes_pillow_la_uses_mmcvs_canvas():
    out = image.imfrombytes(la_png(), backend='pillow', channel_order='rgb')
    assert out[0, 0].tolist() == [200, 200, 200]
    assert out[0, 1].tolist() == [124, 117, 104]  # transparent pixels on mmcv's fixed canvas colour
    assert image.imfrombytes(la_png())[0, 1].tolist() == [10, 10, 10]  # cv2 drops alpha instead


@pytest.mark.parametrize('backend,package', [('turbojpeg', 'turbojpeg'), ('tifffile', 'tifffile')])
def test_optional_backends_fail_clearly_when_missing(backend, package, golden):
    try:
        __import__(package)
    except ImportError:
        pass
    else:
        pytest.skip(f'{package} is installed here')
    with pytest.raises(ImportError, match=rf"imfrombytes\(backend='{backend}'\) needs .*pip install") as err:
        image.imfrombytes(golden['JPG'].tobytes(), backend=backend)
    assert '\n' not in str(err.value)
    before = image_io.imread_backend
    with pytest.raises(ImportError, match=rf"use_backend\('{backend}'\) needs .*pip install"):
        image.use_backend(backend)
    assert image_io.imread_backend == before  # a failed switch keeps the previous backend


def test_use_backend_changes_decoding_but_not_resize(golden):
    img = golden['IMG']
    try:
        image.use_backend('pillow')
        assert image_io.imread_backend == 'pillow'
        # Pillow decodes by default now (its LA handling differs from cv2's)
        assert image.imfrombytes(la_png())[0, 1].tolist() == [104, 117, 124]
        # geometric/photometric bound imread_backend at import in mmcv: resizing stays on cv2
        cv2_resized = cv2.resize(img, (31, 17), interpolation=cv2.INTER_LINEAR)
        assert np.array_equal(image.imresize(img, (31, 17)), cv2_resized)
        assert not np.array_equal(golden['c013_0'], cv2_resized)  # golden pillow resize differs
    finally:
        image.use_backend('cv2')
    assert image.imfrombytes(la_png())[0, 1].tolist() == [10, 10, 10]
    with pytest.raises(AssertionError):
        image.use_backend('nope')


# --- geometric extras ------------------------------------------------------------------------------

def test_imrotate_180_equals_diagonal_flip_and_flip_inplace(golden):
    img = golden['IMG']
    assert np.array_equal(image.imrotate(img, 180), image.imflip(img, 'diagonal'))
    assert np.array_equal(image.imrotate(img, 180, interpolation='nearest', border_mode='replicate'),
                          img[::-1, ::-1])
    with pytest.raises(ValueError, match='auto_bound'):
        image.imrotate(img, 10, center=(1, 1), auto_bound=True)
    work = img.copy()
    out = image.imflip_(work, 'vertical')
    assert out is work and np.array_equal(work, img[::-1])


def test_cutout_fills_one_rectangle(golden):
    img = golden['IMG']
    np.random.seed(3)
    out = image.cutout(img, (6, 9), pad_val=(1, 2, 3))
    changed = np.any(out != img, axis=-1)
    ys, xs = np.nonzero(changed)
    assert 0 < ys.max() - ys.min() + 1 <= 6 and 0 < xs.max() - xs.min() + 1 <= 9
    region = out[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    assert (region == [1, 2, 3]).all()
    assert np.array_equal(out[~changed], img[~changed])
    assert not np.shares_memory(out, img)
    with pytest.raises(TypeError, match='pad_val'):
        image.cutout(img, 4, pad_val=[0, 0, 0])


def test_impad_shape_never_crops_and_pad_to_multiple_value(golden):
    img = golden['IMG']
    out = image.impad(img, shape=(30, 60), pad_val=9)
    # a number reaches cv2 as the scalar (9, 0, 0, 0): only channel 0 is 9, as in mmcv (golden c033)
    assert out.shape == (37, 60, 3) and (out[:, 53:] == [9, 0, 0]).all()
    padded = image.impad_to_multiple(img, 16, pad_val=(4, 5, 6))
    assert padded.shape == (48, 64, 3) and (padded[40:, :, :] == [4, 5, 6]).all()
    with pytest.raises(ValueError, match='Padding must be'):
        image.impad(img, padding=(1, 2, 3))


# --- visualisation ---------------------------------------------------------------------------------

def test_imshow_det_bboxes_writes_drawn_image(tmp_path):
    img = np.zeros((60, 80, 3), np.uint8)
    bboxes = np.array([[10, 20, 50, 45, 0.9], [60, 30, 75, 50, 0.1]], dtype=np.float32)
    labels = np.array([1, 0])
    out_file = str(tmp_path / 'vis' / 'det.png')
    drawn = vis.imshow_det_bboxes(img.copy(), bboxes, labels, class_names=['cat', 'dog'], score_thr=0.5,
                                  bbox_color='red', text_color='white', show=False, out_file=out_file)
    saved = cv2.imread(out_file)
    assert np.array_equal(saved, drawn)
    red = [0, 0, 255]
    # box edges (thickness 1) in red, inside untouched; the label's descenders cross the top edge
    # (white text over red keeps the red channel at 255)
    assert (saved[20, 10:51, 2] == 255).all() and (saved[45, 10:51] == red).all()
    assert (saved[20:46, 10] == red).all() and (saved[20:46, 50] == red).all()
    assert (saved[22:44, 12:49] == 0).all()
    # the label 'dog|0.90' is written in white just above the box
    assert (saved[:19, 10:80] == 255).all(axis=-1).any()
    # the low-score box was filtered out
    assert (saved[25:, 55:] == 0).all()


def test_imshow_bboxes_groups_colours_and_top_k(tmp_path):
    img = np.zeros((40, 40, 3), np.uint8)
    groups = [np.array([[1, 1, 10, 10], [20, 20, 30, 30]]), np.array([[2, 25, 12, 35]])]
    out = vis.imshow_bboxes(img, groups, colors=['blue', (1, 2, 3)], top_k=1, show=False,
                            out_file=str(tmp_path / 'b.png'))
    assert (out[1, 1:11] == [255, 0, 0]).all()
    assert (out[20:31, 20:31] == 0).all()  # second box of group 0 beyond top_k
    assert (out[25, 2:13] == [1, 2, 3]).all()
    assert np.array_equal(cv2.imread(str(tmp_path / 'b.png')), out)


def test_color_val():
    assert vis.color_val('green') == (0, 255, 0)
    assert vis.color_val(vis.Color.red) == (0, 0, 255)
    assert vis.color_val(7) == (7, 7, 7)
    assert vis.color_val((1, 2, 3)) == (1, 2, 3)
    assert vis.color_val(np.array([3, 2, 1])) == (3, 2, 1)
    with pytest.raises(TypeError, match='Invalid type for color'):
        vis.color_val([1, 2, 3])
    with pytest.raises(KeyError):
        vis.color_val('chartreuse')


def test_flow2rgb_and_color_wheel_match_mmcv_numbers():
    # numbers from mmcv's tests (test_optflow.py)
    flow = np.array([[[0, 0], [0.5, 0.5], [1, 1], [2, 1], [3, np.inf]]], dtype=np.float32)
    np.testing.assert_array_almost_equal(vis.flow2rgb(flow), np.array(
        [[[1., 1., 1.], [1., 0.826074731, 0.683772236], [1., 0.652149462, 0.367544472],
          [1., 0.265650552, 5.96046448e-08], [0., 0., 0.]]], dtype=np.float32))
    wheel = vis.make_color_wheel([2, 2, 2, 2, 2, 2])
    np.testing.assert_array_equal(wheel, np.array(
        [[1, 0, 0], [1, .5, 0], [1, 1, 0], [.5, 1, 0], [0, 1, 0], [0, 1, .5], [0, 1, 1], [0, .5, 1],
         [0, 0, 1], [.5, 0, 1], [1, 0, 1], [1, 0, .5]], dtype=np.float32))
    default = vis.make_color_wheel()
    assert default.shape == (55, 3) and default.dtype == np.float32
    np.testing.assert_array_almost_equal(default[[1, 16, 26, 37, 50]], np.array(
        [[1., 0.06666667, 0.], [0.8333333, 1., 0.], [0., 0.90909094, 1.], [0.07692308, 0., 1.],
         [1., 0., 0.8333333]], dtype=np.float32))


# --- optical flow ----------------------------------------------------------------------------------

def test_quantize_flow_round_trip_against_formula():
    rng = np.random.RandomState(0)
    h, w, max_val = 6, 9, 0.02
    flow = rng.uniform(-0.3, 0.3, (h, w, 2)).astype(np.float32)
    dx, dy = video.quantize_flow(flow, max_val=max_val)
    # independent formula: 255 bins over [-max_val, max_val] of the size-normalised flow
    for q, comp, size in ((dx, flow[..., 0], w), (dy, flow[..., 1], h)):
        norm = np.clip(comp / size, -max_val, max_val) + max_val
        expected = np.minimum(np.floor(255 * norm / (2 * max_val)), 254).astype(np.uint8)
        assert q.dtype == np.uint8 and np.array_equal(q, expected)
    back = video.dequantize_flow(dx, dy, max_val=max_val)
    assert back.shape == (h, w, 2)
    centre_x = ((dx.astype(np.float64) + 0.5) * 2 * max_val / 255 - max_val) * w
    centre_y = ((dy.astype(np.float64) + 0.5) * 2 * max_val / 255 - max_val) * h
    np.testing.assert_allclose(back[..., 0], centre_x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(back[..., 1], centre_y, rtol=0, atol=1e-12)
    # round trip error: at most half a bin where the normalised flow is inside the range
    inside = np.abs(flow[..., 0] / w) < max_val
    assert inside.sum() > 10
    assert np.abs(back[..., 0] - flow[..., 0])[inside].max() <= max_val / 255 * w + 1e-6
    # zero flow comes back as zero (255 levels keep 0 at a bin centre)
    zx, zy = video.quantize_flow(np.zeros((2, 3, 2), np.float32))
    assert np.abs(video.dequantize_flow(zx, zy)).max() < 1e-12
    with pytest.raises(ValueError, match='levels must be a positive integer'):
        arraymisc.quantize(flow, 0, 1, 1)
    with pytest.raises(ValueError, match='min_val'):
        arraymisc.dequantize(dx, 1, 1, 16)


def test_flowwrite_flowread_formats(tmp_path):
    rng = np.random.RandomState(1)
    flow = rng.uniform(-2, 2, (5, 7, 2)).astype(np.float32)
    flo = str(tmp_path / 'f.flo')
    video.flowwrite(flow, flo)
    with open(flo, 'rb') as f:
        raw = f.read()
    assert raw[:4] == b'PIEH' and np.frombuffer(raw[4:12], np.int32).tolist() == [7, 5]
    assert np.array_equal(video.flowread(flo), flow)
    assert np.array_equal(video.flow_from_bytes(raw), flow)
    assert video.flowread(flow) is flow
    with pytest.raises(ValueError, match='Invalid flow with shape'):
        video.flowread(flow[..., :1])

    png = str(tmp_path / 'q.png')
    for axis in (0, 1):
        video.flowwrite(flow, png, quantize=True, concat_axis=axis, max_val=0.5)
        stacked = cv2.imread(png, cv2.IMREAD_UNCHANGED)
        assert stacked.shape == ((10, 7) if axis == 0 else (5, 14))
        back = video.flowread(png, quantize=True, concat_axis=axis, max_val=0.5)
        dx, dy = video.quantize_flow(flow, max_val=0.5)
        assert back.dtype == np.float32
        np.testing.assert_allclose(back, video.dequantize_flow(dx, dy, max_val=0.5), rtol=1e-6)

    bad = tmp_path / 'bad.flo'
    bad.write_bytes(b'NOPE' + bytes(8))
    with pytest.raises(OSError, match='header does not contain PIEH'):
        video.flowread(str(bad))


def test_flow_warp_matches_mmcv_numbers():
    img = np.zeros((5, 5, 1))
    img[2, 2, 0] = 1
    img[2, 3, 0] = 0.75
    flow = np.zeros((5, 5, 2))
    flow[2, 2, :] = [0.5, 0.7]
    expected = img.copy()
    expected[2, 2] = 0.5 * 0.3 + 0.75 * 0.5 * 0.3  # mmcv's test value
    with pytest.warns(UserWarning, match='prototyping'):
        out = video.flow_warp(img, flow, interpolate_mode='bilinear')
    np.testing.assert_array_almost_equal(out, expected, decimal=5)
    img3 = np.zeros((5, 5, 3))
    img3[2, 2, 0] = 1
    ones = np.ones((5, 5, 2))
    with pytest.warns(UserWarning):
        np.testing.assert_array_almost_equal(video.flow_warp(img3, ones),
                                             video.flow_warp(img3, ones, interpolate_mode='bilinear'),
                                             decimal=5)
    with pytest.warns(UserWarning), pytest.raises(NotImplementedError):
        video.flow_warp(img, flow, interpolate_mode='xxx')


def test_sparse_flow_from_bytes():
    u = np.array([[1.5, -2.0]], np.float64)
    v = np.array([[0.25, 3.0]], np.float64)
    valid = np.array([[1, 0]], np.uint16)
    rgb = np.stack([u * 64 + 2 ** 15, v * 64 + 2 ** 15, valid], -1).astype(np.uint16)
    ok, buff = cv2.imencode('.png', rgb[..., ::-1])
    assert ok
    flow, got_valid = video.sparse_flow_from_bytes(buff.tobytes())
    assert np.array_equal(flow[..., 0], u) and np.array_equal(flow[..., 1], v)
    assert np.array_equal(got_valid, valid)


# --- VideoReader / frames2video on a tiny real video -----------------------------------------------

LEVELS = [0, 40, 80, 120, 160, 200, 240]


@pytest.fixture(scope='module')
def tiny_video(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('video') / 'tiny.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (32, 24))
    if not writer.isOpened():
        pytest.skip('OpenCV here cannot write MJPG .avi (codec missing)')
    for level in LEVELS:
        writer.write(np.full((24, 32, 3), level, np.uint8))
    writer.release()
    return path


def frame_level(frame: np.ndarray) -> int:
    """Which of LEVELS a (lossy-compressed) frame shows."""
    return min(LEVELS, key=lambda lv: abs(float(frame.mean()) - lv))


def test_video_reader(tiny_video):
    with video.VideoReader(tiny_video, cache_capacity=3) as reader:
        assert reader.opened and len(reader) == 7 and reader.frame_cnt == 7
        assert reader.resolution == (32, 24) and reader.width == 32 and reader.height == 24
        assert reader.fps == pytest.approx(10)
        assert reader.current_frame() is None
        assert frame_level(reader.read()) == 0 and reader.position == 1
        assert frame_level(reader.current_frame()) == 0
        assert frame_level(reader[4]) == 160 and reader.position == 5
        assert frame_level(reader[-1]) == 240
        assert [frame_level(f) for f in reader[1:6:2]] == [40, 120, 200]
        assert frame_level(reader.get_frame(2)) == 80
        with pytest.raises(IndexError):
            reader.get_frame(7)
        with pytest.raises(IndexError):
            reader[-8]
        assert [frame_level(f) for f in reader] == LEVELS
        assert reader.read() is None


def test_cvt2frames_and_frames2video(tiny_video, tmp_path):
    frame_dir = str(tmp_path / 'frames')
    reader = video.VideoReader(tiny_video)
    reader.cvt2frames(frame_dir, show_progress=False)
    names = sorted(os.listdir(frame_dir))
    assert names == [f'{i:06d}.jpg' for i in range(7)]
    assert [frame_level(cv2.imread(osp.join(frame_dir, n))) for n in names] == LEVELS

    partial = str(tmp_path / 'partial')
    video.VideoReader(tiny_video).cvt2frames(partial, file_start=10, filename_tmpl='{:03d}.png', start=2,
                                             max_num=3, show_progress=False)
    assert sorted(os.listdir(partial)) == ['010.png', '011.png', '012.png']
    assert frame_level(cv2.imread(osp.join(partial, '010.png'))) == 80

    out = str(tmp_path / 'back.avi')
    video.frames2video(frame_dir, out, fps=5, fourcc='MJPG', show_progress=False)
    back = video.VideoReader(out)
    assert len(back) == 7 and back.fps == pytest.approx(5)
    assert [frame_level(f) for f in back] == LEVELS
    with pytest.raises(FileNotFoundError, match='Video file not found'):
        video.VideoReader(str(tmp_path / 'none.avi'))


def test_cache():
    cache = video.Cache(2)
    cache.put('a', 1)
    cache.put('b', 2)
    cache.put('a', 5)  # existing key: unchanged
    cache.put('c', 3)  # evicts the oldest ('a')
    assert cache.get('a') is None and cache.get('b') == 2 and cache.get('c') == 3
    assert cache.size == 2 and cache.capacity == 2
    with pytest.raises(ValueError):
        video.Cache(0)


# --- ffmpeg command lines ----------------------------------------------------------------------------

@pytest.fixture
def fake_ffmpeg(tmp_path, monkeypatch):
    """An ``ffmpeg`` on PATH that records its arguments (and, for concat, the list file)."""
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    log = tmp_path / 'ffmpeg.log'
    script = bindir / 'ffmpeg'
    script.write_text('#!/bin/sh\n'
                      f'echo "$@" >> {log}\n'
                      'prev=""\n'
                      'for a in "$@"; do\n'
                      f'  if [ "$prev" = "-i" ] && [ -f "$a" ]; then cat "$a" >> {log}; fi\n'
                      '  prev="$a"\n'
                      'done\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', str(bindir) + os.pathsep + os.environ.get('PATH', ''))
    return log


def test_ffmpeg_command_lines(fake_ffmpeg, tmp_path):
    video.convert_video('in.mp4', 'out.mp4', vcodec='h264', an=True, dn=False, log_level='error')
    video.resize_video('in.mp4', 'r1.mp4', size=(64, 48))
    video.resize_video('in.mp4', 'r2.mp4', size=(64, 48), keep_ar=True, log_level='quiet')
    video.resize_video('in.mp4', 'r3.mp4', ratio=0.5)
    video.cut_video('in.mp4', 'c.mp4', start=2, end=5)
    a, b = tmp_path / 'a.mp4', tmp_path / 'b.mp4'
    video.concat_video([str(a), str(b)], 'cat.mp4')
    lines = fake_ffmpeg.read_text().splitlines()
    assert lines[0] == '-y -i in.mp4 -vcodec h264 -an -loglevel error out.mp4'
    assert lines[1] == '-y -i in.mp4 -loglevel info -vf scale=64:48 r1.mp4'
    assert lines[2] == ('-y -i in.mp4 -loglevel quiet -vf '
                        'scale=w=64:h=48:force_original_aspect_ratio=decrease r2.mp4')
    assert lines[3] == '-y -i in.mp4 -loglevel info -vf scale=trunc(iw*0.5):trunc(ih*0.5) r3.mp4'
    assert lines[4] == '-y -i in.mp4 -loglevel info -vcodec copy -acodec copy -ss 2 -t 3 c.mp4'
    assert lines[5].startswith('-y -f concat -safe 0 -i ') and lines[5].endswith(
        ' -loglevel info -vcodec copy -acodec copy cat.mp4')
    assert lines[6:] == [f'file {a}', f'file {b}']
    with pytest.raises(ValueError, match='size and ratio'):
        video.resize_video('in.mp4', 'x.mp4', size=(1, 1), ratio=2)


def test_ffmpeg_missing_is_reported(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv('PATH', str(tmp_path))
    with pytest.raises(RuntimeError, match='Prerequisites not meet'):  # mmcv's wording
        video.convert_video('in.mp4', 'out.mp4')
    assert 'Prerequisites "ffmpeg" are required in method "convert_video"' in capsys.readouterr().out


# --- tensor2imgs -----------------------------------------------------------------------------------

def test_tensor2imgs_gray_and_errors():
    import torch
    t = torch.arange(2 * 1 * 3 * 4, dtype=torch.float32).reshape(2, 1, 3, 4)
    imgs = image.tensor2imgs(t, mean=(1,), std=(2,), to_rgb=False)
    # cv2 drops the single channel axis, so mmcv returns (H, W) images here
    assert len(imgs) == 2 and imgs[0].shape == (3, 4) and imgs[0].dtype == np.uint8
    assert np.array_equal(imgs[1], (t[1, 0].numpy() * 2 + 1).astype(np.uint8))
    with pytest.raises(AssertionError):
        image.tensor2imgs(t, mean=(1,), std=(2,), to_rgb=True)
    with pytest.raises(AssertionError):
        image.tensor2imgs(t[0])


def test_pathlib_helpers_are_mmcvs():
    assert image_io.Path is Path
    assert image_io.is_filepath(Path('x')) and image_io.is_str('x')
