"""Transformer bricks of mmcv 1.x: attention / FFN / layer / layer-sequence modules, their
registries' builders, and the patch embedding / merging layers of ViT and Swin."""
import copy
import math
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn
from torch.nn import functional as F

from ...base_module import BaseModule, ModuleList, Sequential
from ...config.config_dict import ConfigDict
from ...registry import build_from_cfg
from ...utils.helpers import deprecated_api_warning, to_2tuple
from .activation import build_activation_layer
from .conv import build_conv_layer
from .drop import build_dropout
from .norm import build_norm_layer
from .registry import (
    ATTENTION,
    FEEDFORWARD_NETWORK,
    POSITIONAL_ENCODING,
    TRANSFORMER_LAYER,
    TRANSFORMER_LAYER_SEQUENCE,
)
from .wrappers import Linear

IntOrPair = Union[int, Tuple[int, int]]


# mmcv (with its ops, as here) says this at import, as an ImportWarning (hidden by the default filters)
warnings.warn(ImportWarning(
    '``MultiScaleDeformableAttention`` has been moved to ``mmcv.ops.multi_scale_deform_attn``, please change '
    'original path ``from mmcv.cnn.bricks.transformer import MultiScaleDeformableAttention`` to '
    '``from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttention`` '))


def __getattr__(name: str) -> Any:
    # mmcv re-exported MultiScaleDeformableAttention here after moving it to ops; importing it
    # lazily keeps this module free of an import cycle with the ops package.
    if name == 'MultiScaleDeformableAttention':
        from ...ops.multi_scale_deform_attn import MultiScaleDeformableAttention
        return MultiScaleDeformableAttention
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def build_positional_encoding(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a POSITIONAL_ENCODING entry."""
    return build_from_cfg(cfg, POSITIONAL_ENCODING, default_args)


def build_attention(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build an ATTENTION entry."""
    return build_from_cfg(cfg, ATTENTION, default_args)


def build_feedforward_network(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a FEEDFORWARD_NETWORK entry."""
    return build_from_cfg(cfg, FEEDFORWARD_NETWORK, default_args)


def build_transformer_layer(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a TRANSFORMER_LAYER entry."""
    return build_from_cfg(cfg, TRANSFORMER_LAYER, default_args)


def build_transformer_layer_sequence(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a TRANSFORMER_LAYER_SEQUENCE entry (an encoder or decoder)."""
    return build_from_cfg(cfg, TRANSFORMER_LAYER_SEQUENCE, default_args)


class AdaptivePadding(nn.Module):
    """Zero-pad the input so the kernel/stride/dilation cover it completely.

    ``padding='same'`` splits the padding over both sides (TensorFlow "SAME"); 'corner' puts it
    all at the bottom/right.
    """

    def __init__(self, kernel_size: IntOrPair = 1, stride: IntOrPair = 1, dilation: IntOrPair = 1,
                 padding: str = 'corner') -> None:
        super().__init__()
        assert padding in ('same', 'corner')
        self.padding = padding
        self.kernel_size = to_2tuple(kernel_size)
        self.stride = to_2tuple(stride)
        self.dilation = to_2tuple(dilation)

    def get_pad_shape(self, input_shape: Sequence[int]) -> Tuple[int, int]:
        """``(pad_h, pad_w)`` for an input of spatial size ``input_shape`` (H, W)."""
        input_h, input_w = input_shape
        kernel_h, kernel_w = self.kernel_size
        stride_h, stride_w = self.stride
        output_h = math.ceil(input_h / stride_h)
        output_w = math.ceil(input_w / stride_w)
        pad_h = max((output_h - 1) * stride_h + (kernel_h - 1) * self.dilation[0] + 1 - input_h, 0)
        pad_w = max((output_w - 1) * stride_w + (kernel_w - 1) * self.dilation[1] + 1 - input_w, 0)
        return pad_h, pad_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad_h, pad_w = self.get_pad_shape(x.size()[-2:])
        if pad_h > 0 or pad_w > 0:
            if self.padding == 'corner':
                x = F.pad(x, [0, pad_w, 0, pad_h])
            else:
                x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return x


def _conv_out_size(size: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                   padding: Sequence[int], dilation: Sequence[int]) -> Tuple[int, int]:
    # the output size formula of torch.nn.Conv2d / nn.Unfold
    return tuple((size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                 for i in range(2))  # type: ignore[return-value]


class PatchEmbed(BaseModule):
    """Image to patch embedding: a conv (``projection``), then an optional ``norm``.

    Args:
        in_channels, embed_dims: conv input / output channels.
        conv_type: CONV_LAYERS type of the projection.
        kernel_size, stride (None: kernel_size), dilation, bias: the projection conv's.
        padding: int/tuple for the conv, or 'same'/'corner' for an :class:`AdaptivePadding`.
        norm_cfg: norm applied to the (B, L, C) tokens.
        input_size: when given, ``init_out_size`` holds the patch grid size for that input.
        init_cfg: BaseModule init config.

    ``forward`` returns ``(tokens of shape (B, out_h * out_w, embed_dims), (out_h, out_w))``.
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 768, conv_type: str = 'Conv2d',
                 kernel_size: IntOrPair = 16, stride: Optional[IntOrPair] = 16,
                 padding: Union[int, tuple, str] = 'corner', dilation: IntOrPair = 1, bias: bool = True,
                 norm_cfg: Optional[Dict] = None, input_size: Optional[IntOrPair] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        if stride is None:
            stride = kernel_size
        kernel_size = to_2tuple(kernel_size)
        stride = to_2tuple(stride)
        dilation = to_2tuple(dilation)
        if isinstance(padding, str):
            self.adaptive_padding: Optional[AdaptivePadding] = AdaptivePadding(
                kernel_size=kernel_size, stride=stride, dilation=dilation, padding=padding)
            padding = 0  # the adaptive padding replaces the conv's
        else:
            self.adaptive_padding = None
        padding = to_2tuple(padding)
        self.projection = build_conv_layer(dict(type=conv_type), in_channels=in_channels,
                                           out_channels=embed_dims, kernel_size=kernel_size,
                                           stride=stride, padding=padding, dilation=dilation, bias=bias)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1] if norm_cfg is not None else None
        if input_size:
            input_size = to_2tuple(input_size)
            self.init_input_size = input_size
            if self.adaptive_padding:
                pad_h, pad_w = self.adaptive_padding.get_pad_shape(input_size)
                input_size = (input_size[0] + pad_h, input_size[1] + pad_w)
            self.init_out_size = _conv_out_size(input_size, kernel_size, stride, padding, dilation)
        else:
            self.init_input_size = None
            self.init_out_size = None

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        if self.adaptive_padding:
            x = self.adaptive_padding(x)
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        if self.norm is not None:
            x = self.norm(x)
        return x, out_size


class PatchMerging(BaseModule):
    """Merge neighbouring patches (Swin): unfold ``kernel_size`` windows, norm, then a linear
    ``reduction`` to ``out_channels``.

    Args:
        in_channels, out_channels: token channels in / out.
        kernel_size, stride (None: kernel_size), dilation: of the unfold.
        padding: int/tuple for the unfold, or 'same'/'corner' for an :class:`AdaptivePadding`.
        bias: bias of the reduction.
        norm_cfg: norm over the ``kernel_size**2 * in_channels`` merged features.
        init_cfg: BaseModule init config.

    ``forward(x, input_size)`` takes tokens (B, H*W, C) and ``(H, W)``; returns the merged
    tokens and their grid size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair = 2,
                 stride: Optional[IntOrPair] = None, padding: Union[int, tuple, str] = 'corner',
                 dilation: IntOrPair = 1, bias: bool = False,
                 norm_cfg: Optional[Dict] = dict(type='LN'),  # noqa: B006
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        stride = stride if stride else kernel_size
        kernel_size = to_2tuple(kernel_size)
        stride = to_2tuple(stride)
        dilation = to_2tuple(dilation)
        if isinstance(padding, str):
            self.adaptive_padding: Optional[AdaptivePadding] = AdaptivePadding(
                kernel_size=kernel_size, stride=stride, dilation=dilation, padding=padding)
            padding = 0
        else:
            self.adaptive_padding = None
        padding = to_2tuple(padding)
        self.sampler = nn.Unfold(kernel_size=kernel_size, dilation=dilation, padding=padding,
                                 stride=stride)
        sample_dim = kernel_size[0] * kernel_size[1] * in_channels
        self.norm = build_norm_layer(norm_cfg, sample_dim)[1] if norm_cfg is not None else None
        self.reduction = nn.Linear(sample_dim, out_channels, bias=bias)

    def forward(self, x: torch.Tensor, input_size: Sequence[int]) -> Tuple[torch.Tensor, Tuple[int, int]]:
        B, L, C = x.shape
        assert isinstance(input_size, Sequence), f'Expect input_size is `Sequence` but get {input_size}'
        H, W = input_size
        assert L == H * W, 'input feature has wrong size'
        x = x.view(B, H, W, C).permute([0, 3, 1, 2])
        if self.adaptive_padding:
            x = self.adaptive_padding(x)
            H, W = x.shape[-2:]
        x = self.sampler(x)  # B, k*k*C, merged positions
        s = self.sampler
        output_size = _conv_out_size((H, W), s.kernel_size, s.stride, s.padding,  # type: ignore[arg-type]
                                     s.dilation)  # type: ignore[arg-type]
        x = x.transpose(1, 2)
        x = self.norm(x) if self.norm else x
        return self.reduction(x), output_size


@ATTENTION.register_module()
class MultiheadAttention(BaseModule):
    """``torch.nn.MultiheadAttention`` (as ``self.attn``) with positional encodings and an
    identity connection: ``identity + dropout_layer(proj_drop(attn(q + q_pos, k + k_pos, v)))``.

    Args:
        embed_dims, num_heads: of the attention.
        attn_drop: dropout on the attention weights. proj_drop: dropout after the attention.
        dropout_layer: DROPOUT_LAYERS config applied before adding the identity.
        init_cfg: BaseModule init config.
        batch_first: inputs are (batch, n, embed_dims) instead of (n, batch, embed_dims).
        kwargs: more ``nn.MultiheadAttention`` arguments; the deprecated ``dropout`` sets both
            ``attn_drop`` and the dropout layer's ``drop_prob``.
    """

    def __init__(self, embed_dims: int, num_heads: int, attn_drop: float = 0., proj_drop: float = 0.,
                 dropout_layer: Optional[Dict] = dict(type='Dropout', drop_prob=0.),  # noqa: B006
                 init_cfg: Optional[Dict] = None, batch_first: bool = False, **kwargs: Any) -> None:
        super().__init__(init_cfg)
        if 'dropout' in kwargs:
            warnings.warn('The arguments `dropout` in MultiheadAttention has been deprecated, now you '
                          'can separately set `attn_drop`(float), proj_drop(float), and '
                          '`dropout_layer`(dict) ', DeprecationWarning)
            attn_drop = kwargs['dropout']
            # a copy: mmcv wrote into the shared default dict here
            dropout_layer = dict(dropout_layer or {}, drop_prob=kwargs.pop('dropout'))
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.batch_first = batch_first
        self.attn = nn.MultiheadAttention(embed_dims, num_heads, attn_drop, **kwargs)
        self.proj_drop = nn.Dropout(proj_drop)
        self.dropout_layer = build_dropout(dropout_layer) if dropout_layer else nn.Identity()

    @deprecated_api_warning({'residual': 'identity'}, cls_name='MultiheadAttention')
    def forward(self, query: torch.Tensor, key: Optional[torch.Tensor] = None,
                value: Optional[torch.Tensor] = None, identity: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None, key_pos: Optional[torch.Tensor] = None,
                attn_mask: Optional[torch.Tensor] = None, key_padding_mask: Optional[torch.Tensor] = None,
                **kwargs: Any) -> torch.Tensor:
        """Attend ``query`` to ``key``/``value`` (default: the query itself); ``identity``
        defaults to the query; ``key_pos`` defaults to ``query_pos`` when their shapes agree."""
        if key is None:
            key = query
        if value is None:
            value = key
        if identity is None:
            identity = query
        if key_pos is None and query_pos is not None:
            if query_pos.shape == key.shape:
                key_pos = query_pos
            else:
                warnings.warn(f'position encoding of key ismissing in {self.__class__.__name__}.')
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        if self.batch_first:
            # torch's module here works sequence-first
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        out = self.attn(query=query, key=key, value=value, attn_mask=attn_mask,
                        key_padding_mask=key_padding_mask)[0]
        if self.batch_first:
            out = out.transpose(0, 1)
        return identity + self.dropout_layer(self.proj_drop(out))


@FEEDFORWARD_NETWORK.register_module()
class FFN(BaseModule):
    """Feed-forward network with an identity connection.

    ``layers`` is ``num_fcs - 1`` blocks of (Linear, activation, Dropout), then a Linear back to
    ``embed_dims`` and a Dropout.

    Args:
        embed_dims, feedforward_channels: model / hidden width.
        num_fcs: number of linear layers (>= 2).
        act_cfg: activation config. ffn_drop: dropout inside ``layers``.
        dropout_layer: DROPOUT_LAYERS config applied before adding the identity.
        add_identity: add the identity (``x`` unless given).
        init_cfg: BaseModule init config.
    """

    @deprecated_api_warning({'dropout': 'ffn_drop', 'add_residual': 'add_identity'}, cls_name='FFN')
    def __init__(self, embed_dims: int = 256, feedforward_channels: int = 1024, num_fcs: int = 2,
                 act_cfg: Dict = dict(type='ReLU', inplace=True),  # noqa: B006
                 ffn_drop: float = 0., dropout_layer: Optional[Dict] = None, add_identity: bool = True,
                 init_cfg: Optional[Dict] = None, **kwargs: Any) -> None:
        super().__init__(init_cfg)
        assert num_fcs >= 2, f'num_fcs should be no less than 2. got {num_fcs}.'
        self.embed_dims = embed_dims
        self.feedforward_channels = feedforward_channels
        self.num_fcs = num_fcs
        self.act_cfg = act_cfg
        self.activate = build_activation_layer(act_cfg)
        layers: List[nn.Module] = []
        in_channels = embed_dims
        for _ in range(num_fcs - 1):
            # one activation module shared by the blocks, as in mmcv
            layers.append(Sequential(Linear(in_channels, feedforward_channels), self.activate,
                                     nn.Dropout(ffn_drop)))
            in_channels = feedforward_channels
        layers.append(Linear(feedforward_channels, embed_dims))
        layers.append(nn.Dropout(ffn_drop))
        self.layers = Sequential(*layers)
        self.dropout_layer = build_dropout(dropout_layer) if dropout_layer else torch.nn.Identity()
        self.add_identity = add_identity

    @deprecated_api_warning({'residual': 'identity'}, cls_name='FFN')
    def forward(self, x: torch.Tensor, identity: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = self.layers(x)
        if not self.add_identity:
            return self.dropout_layer(out)
        if identity is None:
            identity = x
        return identity + self.dropout_layer(out)


_OPERATIONS = ('self_attn', 'norm', 'ffn', 'cross_attn')


@TRANSFORMER_LAYER.register_module()
class BaseTransformerLayer(BaseModule):
    """A transformer layer assembled from ``operation_order`` (any sequence of 'self_attn',
    'cross_attn', 'norm', 'ffn'; starting with 'norm' makes it pre-norm).

    Args:
        attn_cfgs: one ATTENTION config per attention in ``operation_order`` (a dict is
            repeated for all of them).
        ffn_cfgs: FFN config(s), likewise; ``embed_dims`` defaults to the attention's.
        operation_order: the operations, in order.
        norm_cfg: norm config of every 'norm'.
        init_cfg: BaseModule init config.
        batch_first: passed to the attentions (which must agree when they set it).
        kwargs: the deprecated ``feedforward_channels`` / ``ffn_dropout`` / ``ffn_num_fcs``.
    """

    def __init__(self, attn_cfgs: Union[Dict, List[Dict], None] = None,
                 ffn_cfgs: Union[Dict, List[Dict]] = dict(  # noqa: B006
                     type='FFN', embed_dims=256, feedforward_channels=1024, num_fcs=2, ffn_drop=0.,
                     act_cfg=dict(type='ReLU', inplace=True)),
                 operation_order: Optional[Sequence[str]] = None,
                 norm_cfg: Dict = dict(type='LN'),  # noqa: B006
                 init_cfg: Optional[Dict] = None, batch_first: bool = False, **kwargs: Any) -> None:
        deprecated_args = dict(feedforward_channels='feedforward_channels', ffn_dropout='ffn_drop',
                               ffn_num_fcs='num_fcs')
        for ori_name, new_name in deprecated_args.items():
            if ori_name in kwargs:
                warnings.warn(f'The arguments `{ori_name}` in BaseTransformerLayer has been deprecated, '
                              f'now you should set `{new_name}` and other FFN related arguments to a '
                              f'dict named `ffn_cfgs`. ', DeprecationWarning)
                # a copy: mmcv wrote into the shared default dict here
                ffn_cfgs = dict(ffn_cfgs, **{new_name: kwargs[ori_name]})  # type: ignore[arg-type]
        super().__init__(init_cfg)
        self.batch_first = batch_first
        assert operation_order is not None and set(operation_order) <= set(_OPERATIONS), (
            f'The operation_order of {self.__class__.__name__} should contains all four operation '
            f'type {list(_OPERATIONS)}')
        num_attn = operation_order.count('self_attn') + operation_order.count('cross_attn')
        if isinstance(attn_cfgs, dict):
            attn_cfgs = [copy.deepcopy(attn_cfgs) for _ in range(num_attn)]
        else:
            assert attn_cfgs is not None and num_attn == len(attn_cfgs), (
                f'The length of attn_cfg {num_attn} is not consistent with the number of attention'
                f'in operation_order {operation_order}.')
        self.num_attn = num_attn
        self.operation_order = operation_order
        self.norm_cfg = norm_cfg
        self.pre_norm = operation_order[0] == 'norm'

        self.attentions = ModuleList()
        index = 0
        for operation_name in operation_order:
            if operation_name in ('self_attn', 'cross_attn'):
                if 'batch_first' in attn_cfgs[index]:
                    assert self.batch_first == attn_cfgs[index]['batch_first']
                else:
                    attn_cfgs[index]['batch_first'] = self.batch_first
                attention = build_attention(attn_cfgs[index])
                # custom attentions may behave differently as self- or cross-attention
                attention.operation_name = operation_name
                self.attentions.append(attention)
                index += 1
        self.embed_dims = self.attentions[0].embed_dims

        self.ffns = ModuleList()
        num_ffns = operation_order.count('ffn')
        if isinstance(ffn_cfgs, dict):
            ffn_cfgs = [copy.deepcopy(ConfigDict(ffn_cfgs)) for _ in range(num_ffns)]
        assert len(ffn_cfgs) == num_ffns
        for ffn_index in range(num_ffns):
            if 'embed_dims' not in ffn_cfgs[ffn_index]:
                ffn_cfgs[ffn_index]['embed_dims'] = self.embed_dims
            else:
                assert ffn_cfgs[ffn_index]['embed_dims'] == self.embed_dims
            self.ffns.append(build_feedforward_network(ffn_cfgs[ffn_index], dict(type='FFN')))

        self.norms = ModuleList()
        for _ in range(operation_order.count('norm')):
            self.norms.append(build_norm_layer(norm_cfg, self.embed_dims)[1])

    def forward(self, query: torch.Tensor, key: Optional[torch.Tensor] = None,
                value: Optional[torch.Tensor] = None, query_pos: Optional[torch.Tensor] = None,
                key_pos: Optional[torch.Tensor] = None,
                attn_masks: Union[torch.Tensor, List[Optional[torch.Tensor]], None] = None,
                query_key_padding_mask: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None, **kwargs: Any) -> torch.Tensor:
        """Run the operations in order. ``attn_masks``: one mask per attention (a single tensor
        is used for all of them); ``query_key_padding_mask`` is for self-attention only."""
        norm_index = attn_index = ffn_index = 0
        identity = query
        if attn_masks is None:
            attn_masks = [None for _ in range(self.num_attn)]
        elif isinstance(attn_masks, torch.Tensor):
            attn_masks = [copy.deepcopy(attn_masks) for _ in range(self.num_attn)]
            warnings.warn(f'Use same attn_mask in all attentions in {self.__class__.__name__} ')
        else:
            assert len(attn_masks) == self.num_attn, (
                f'The length of attn_masks {len(attn_masks)} must be equal to the number of attention '
                f'in operation_order {self.num_attn}')
        for layer in self.operation_order:
            if layer == 'self_attn':
                query = self.attentions[attn_index](
                    query, query, query, identity if self.pre_norm else None, query_pos=query_pos,
                    key_pos=query_pos, attn_mask=attn_masks[attn_index],
                    key_padding_mask=query_key_padding_mask, **kwargs)
                attn_index += 1
                identity = query
            elif layer == 'norm':
                query = self.norms[norm_index](query)
                norm_index += 1
            elif layer == 'cross_attn':
                query = self.attentions[attn_index](
                    query, key, value, identity if self.pre_norm else None, query_pos=query_pos,
                    key_pos=key_pos, attn_mask=attn_masks[attn_index], key_padding_mask=key_padding_mask,
                    **kwargs)
                attn_index += 1
                identity = query
            elif layer == 'ffn':
                query = self.ffns[ffn_index](query, identity if self.pre_norm else None)
                ffn_index += 1
        return query


@TRANSFORMER_LAYER_SEQUENCE.register_module()
class TransformerLayerSequence(BaseModule):
    """``num_layers`` TRANSFORMER_LAYER modules applied in turn (an encoder or decoder).

    Args:
        transformerlayers: one layer config (repeated) or a list of ``num_layers`` configs.
        num_layers: number of layers.
        init_cfg: BaseModule init config.
    """

    def __init__(self, transformerlayers: Union[Dict, List[Dict], None] = None,
                 num_layers: Optional[int] = None, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if isinstance(transformerlayers, dict):
            transformerlayers = [copy.deepcopy(transformerlayers) for _ in range(num_layers)]  # type: ignore
        else:
            assert isinstance(transformerlayers, list) and len(transformerlayers) == num_layers
        self.num_layers = num_layers
        self.layers = ModuleList()
        for i in range(num_layers):  # type: ignore[arg-type]
            self.layers.append(build_transformer_layer(transformerlayers[i]))
        self.embed_dims = self.layers[0].embed_dims
        self.pre_norm = self.layers[0].pre_norm

    def forward(self, query: torch.Tensor, key: Optional[torch.Tensor],
                value: Optional[torch.Tensor], query_pos: Optional[torch.Tensor] = None,
                key_pos: Optional[torch.Tensor] = None,
                attn_masks: Union[torch.Tensor, List[Optional[torch.Tensor]], None] = None,
                query_key_padding_mask: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None, **kwargs: Any) -> torch.Tensor:
        for layer in self.layers:
            query = layer(query, key, value, query_pos=query_pos, key_pos=key_pos, attn_masks=attn_masks,
                          query_key_padding_mask=query_key_padding_mask,
                          key_padding_mask=key_padding_mask, **kwargs)
        return query

__all__ = ['AdaptivePadding', 'BaseTransformerLayer', 'FFN', 'MultiheadAttention', 'PatchEmbed',
           'PatchMerging', 'TransformerLayerSequence', 'build_attention', 'build_feedforward_network',
           'build_positional_encoding', 'build_transformer_layer', 'build_transformer_layer_sequence']
