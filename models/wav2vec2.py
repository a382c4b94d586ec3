"""SophisticatedProductionGradeDiarizationModel: a frozen wav2vec2-base encoder plus a
small trainable segmentation head, with the same ONNX contract as the fast CNN.

The encoder is the standard wav2vec2-base configuration (Baevski et al. 2020; the layout
of `facebook/wav2vec2-base`): a 7-layer convolutional feature encoder (512 channels,
kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2 -> 20 ms frames, 400-sample receptive
field, group norm after the first layer), a 512->768 feature projection, a 128-tap
grouped convolutional position embedding and 12 post-norm transformer layers (768 wide,
12 heads, 3072 feed-forward). It is written here in plain PyTorch (no `transformers`
dependency) with parameter names that match the Hugging Face `Wav2Vec2Model` state dict,
so `load_encoder_state()` accepts such a checkpoint.

Pretrained encoder weights CANNOT be downloaded in this project's environment (it reaches
package registries only, no model hubs). Without `--checkpoint` the encoder is randomly
initialised: the model then meets the contract and runs through the engine, but its
output is meaningless until a checkpoint with pretrained (or trained) weights is loaded.

Head (trainable, ~3.8 M): learned softmax-weighted sum of the 13 encoder hidden states,
LayerNorm, 768->384 projection, 2 transformer layers (384 wide, 6 heads, 1536 feed-forward),
384->7 classifier, log_softmax.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.common import NUM_CLASSES, WINDOW_SAMPLES, segmentation_metadata

CONV_LAYERS = ((512, 10, 5), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 2, 2), (512, 2, 2))


class FeatureEncoderLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, group_norm: bool):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, bias=False)
        if group_norm:
            self.layer_norm = nn.GroupNorm(cout, cout, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if hasattr(self, "layer_norm"):
            x = self.layer_norm(x)
        return nn.functional.gelu(x)


class FeatureEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 1
        for i, (cout, k, s) in enumerate(CONV_LAYERS):
            layers.append(FeatureEncoderLayer(cin, cout, k, s, group_norm=(i == 0)))
            cin = cout
        self.conv_layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.conv_layers:
            x = layer(x)
        return x


class FeatureProjection(nn.Module):
    def __init__(self, cin: int = 512, dim: int = 768):
        super().__init__()
        self.layer_norm = nn.LayerNorm(cin, eps=1e-5)
        self.projection = nn.Linear(cin, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.layer_norm(x))


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.heads

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.reshape(b, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(y)


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.intermediate_dense = nn.Linear(dim, hidden)
        self.output_dense = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_dense(nn.functional.gelu(self.intermediate_dense(x)))


class EncoderLayer(nn.Module):
    """Post-norm transformer layer (wav2vec2-base: do_stable_layer_norm = False)."""

    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.attention = SelfAttention(dim, heads)
        self.layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.feed_forward = FeedForward(dim, hidden)
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(x + self.attention(x))
        return self.final_layer_norm(x + self.feed_forward(x))


class PositionalConvEmbedding(nn.Module):
    def __init__(self, dim: int = 768, kernel: int = 128, groups: int = 16):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=groups)
        self.remove = 1 if kernel % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [B, T, D]
        y = self.conv(x.transpose(1, 2))
        if self.remove:
            y = y[:, :, : -self.remove]
        return nn.functional.gelu(y).transpose(1, 2)


class Encoder(nn.Module):
    def __init__(self, dim: int = 768, layers: int = 12, heads: int = 12, hidden: int = 3072):
        super().__init__()
        self.pos_conv_embed = PositionalConvEmbedding(dim)
        self.layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, hidden) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.layer_norm(x + self.pos_conv_embed(x))
        states = [x]
        for layer in self.layers:
            x = layer(x)
            states.append(x)
        return states


class Wav2Vec2Base(nn.Module):
    """wav2vec2-base encoder; parameter names follow Hugging Face `Wav2Vec2Model`."""

    def __init__(self):
        super().__init__()
        self.feature_extractor = FeatureEncoder()
        self.feature_projection = FeatureProjection()
        self.masked_spec_embed = nn.Parameter(torch.zeros(768).uniform_())  # pretraining only
        self.encoder = Encoder()

    def forward(self, waveform: torch.Tensor) -> list[torch.Tensor]:
        feats = self.feature_extractor(waveform).transpose(1, 2)  # [B, T, 512]
        return self.encoder(self.feature_projection(feats))


class SophisticatedProductionGradeDiarizationModel(nn.Module):
    model_type = "sophisticated"
    name = "voiceflow-wav2vec2-base-seg"

    def __init__(self, head_dim: int = 384, head_layers: int = 2, head_heads: int = 6,
                 head_hidden: int = 1536, window_samples: int = WINDOW_SAMPLES, freeze_encoder: bool = True):
        super().__init__()
        self.window_samples = window_samples
        self.wav2vec2 = Wav2Vec2Base()
        self.layer_weights = nn.Parameter(torch.zeros(len(self.wav2vec2.encoder.layers) + 1))
        self.norm = nn.LayerNorm(768)
        self.proj = nn.Linear(768, head_dim)
        self.head = nn.ModuleList([EncoderLayer(head_dim, head_heads, head_hidden) for _ in range(head_layers)])
        self.classifier = nn.Linear(head_dim, NUM_CLASSES)
        if freeze_encoder:
            self.wav2vec2.requires_grad_(False)
        self.freeze_encoder = freeze_encoder

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_encoder:
            self.wav2vec2.eval()  # frozen: no dropout / statistics updates
        return self

    def geometry(self) -> dict[str, int]:
        field, jump = 1, 1
        for _, k, s in CONV_LAYERS:
            field += (k - 1) * jump
            jump *= s
        return {"frame_step_samples": jump, "frame_offset_samples": 0, "frame_length_samples": field,
                "frames": (self.window_samples - field) // jump + 1}

    def metadata(self) -> dict[str, str]:
        return segmentation_metadata(self.window_samples, self.geometry(), self.name)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = waveform - waveform.mean(dim=-1, keepdim=True)
        x = x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-7)
        states = self.wav2vec2(x)
        w = torch.softmax(self.layer_weights, dim=0)
        h = states[0] * w[0]
        for i in range(1, len(states)):
            h = h + states[i] * w[i]
        h = self.proj(self.norm(h))
        for layer in self.head:
            h = layer(h)
        return torch.log_softmax(self.classifier(h), dim=-1)

    def fuse(self):
        return self

    def load_encoder_state(self, state: dict[str, torch.Tensor]) -> None:
        """Loads a Hugging Face style wav2vec2 state dict (keys optionally prefixed with
        `wav2vec2.`; weight-normed position conv as weight_g/weight_v or parametrizations)."""
        out = {}
        for key, value in state.items():
            k = key[len("wav2vec2."):] if key.startswith("wav2vec2.") else key
            out[k] = value
        g = out.pop("encoder.pos_conv_embed.conv.weight_g", None)
        if g is None:
            g = out.pop("encoder.pos_conv_embed.conv.parametrizations.weight.original0", None)
        v = out.pop("encoder.pos_conv_embed.conv.weight_v", None)
        if v is None:
            v = out.pop("encoder.pos_conv_embed.conv.parametrizations.weight.original1", None)
        if g is not None and v is not None:  # weight norm over dim 2
            out["encoder.pos_conv_embed.conv.weight"] = g * v / v.norm(dim=(0, 1), keepdim=True)
        own = self.wav2vec2.state_dict()
        missing = [k for k in own if k not in out]
        if missing:
            raise ValueError(f"encoder checkpoint lacks {len(missing)} tensors, e.g. {missing[:3]}")
        self.wav2vec2.load_state_dict({k: out[k] for k in own})
