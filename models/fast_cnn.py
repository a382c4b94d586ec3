"""FastDiarizationModel: a small raw-waveform CNN for CPU segmentation.

    waveform [B, 1, 80000] -> RMS normalisation (floored at -55 dBFS: quiet windows are not amplified)
      -> strided conv front-end (Conv+BN+ReLU x4, strides 5*4*4*4 = 320, valid padding)
      -> 7 dilated residual blocks at 20 ms (dilations 1..64, receptive field +-2.5 s)
      -> 1x1 head -> log_softmax over the 7 powerset classes          -> scores [B, 249, 7]

Every convolution is followed by BatchNorm, which `fuse()` folds into the convolution for
export; nothing is recurrent, so ONNX Runtime runs it as a chain of Conv/Relu/Add nodes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from models.common import NUM_CLASSES, WINDOW_SAMPLES, segmentation_metadata

# (out_channels, kernel, stride) of the front-end
FRONTEND = ((32, 20, 5), (64, 8, 4), (128, 8, 4), (256, 8, 4))
DILATIONS = (1, 2, 4, 8, 16, 32, 64)
# Windows quieter than this (RMS, -55 dBFS) are scaled as if they were this loud. Without a
# floor a near-silent window of background noise is amplified to speech level and the model
# hallucinates speech in it (the main false-alarm source on AMI); -55 dBFS sits below the
# quietest AMI headset-mix speech windows (about -50 dBFS) and training covers that range.
RMS_FLOOR = 10.0 ** (-55.0 / 20.0)


class ConvBNReLU(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1,
                 padding: int = 0, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, dilation=dilation, padding=padding, bias=False)
        self.bn = nn.BatchNorm1d(cout)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.relu else x


class ResidualBlock(nn.Module):
    """x + BN(1x1(ReLU(BN(dilated 3-tap conv(x))))), then ReLU."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.dil = ConvBNReLU(channels, channels, 3, dilation=dilation, padding=dilation)
        self.mix = ConvBNReLU(channels, channels, 1, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.mix(self.dil(x)))


def frontend_geometry(layers=FRONTEND) -> tuple[int, int]:
    """(receptive field, total stride) of the valid-padded front-end, in samples."""
    field, jump = 1, 1
    for _, k, s in layers:
        field += (k - 1) * jump
        jump *= s
    return field, jump


def normalise(waveform: torch.Tensor) -> torch.Tensor:
    """Scales each window to unit RMS, but never by more than 1 / RMS_FLOOR."""
    rms = torch.sqrt(torch.mean(waveform * waveform, dim=-1, keepdim=True))
    return waveform / rms.clamp(min=RMS_FLOOR)


class FastDiarizationModel(nn.Module):
    model_type = "fast-cnn"
    name = "voiceflow-fast-cnn"

    def __init__(self, channels: int = 256, hidden: int = 192, window_samples: int = WINDOW_SAMPLES):
        super().__init__()
        self.window_samples = window_samples
        layers = []
        cin = 1
        for cout, k, s in FRONTEND[:-1]:
            layers.append(ConvBNReLU(cin, cout, k, stride=s))
            cin = cout
        _, k, s = FRONTEND[-1]
        layers.append(ConvBNReLU(cin, channels, k, stride=s))
        self.frontend = nn.Sequential(*layers)
        self.blocks = nn.Sequential(*[ResidualBlock(channels, d) for d in DILATIONS])
        self.head = ConvBNReLU(channels, hidden, 1)
        self.classifier = nn.Conv1d(hidden, NUM_CLASSES, 1)

    # ---- contract ---------------------------------------------------------------
    def geometry(self) -> dict[str, int]:
        field, step = frontend_geometry()
        frames = (self.window_samples - field) // step + 1
        return {"frame_step_samples": step, "frame_offset_samples": 0,
                "frame_length_samples": field, "frames": frames}

    def metadata(self) -> dict[str, str]:
        return segmentation_metadata(self.window_samples, self.geometry(), self.name)

    # ---- compute ----------------------------------------------------------------
    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """waveform [B, 1, samples] float32 -> log-probabilities [B, frames, 7]."""
        x = self.frontend(normalise(waveform))
        x = self.blocks(x)
        x = self.classifier(self.head(x))
        return torch.log_softmax(x.transpose(1, 2), dim=-1)

    def load_fused_onnx(self, path) -> dict:
        """Loads the weights of an exported fp32 file (whose BatchNorms are folded into the
        convolutions) so that the model computes exactly what the file computes: each
        convolution takes the folded weights, each BatchNorm becomes the identity plus the
        folded bias (running mean 0, variance 1 - eps, scale 1). The batch statistics are
        gone, so train such a model with `freeze_batch_norm` (it then trains as the folded
        network). Returns the file's `voiceflow.*` metadata."""
        import onnx
        from onnx import numpy_helper

        m = onnx.load(str(path))
        weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
        state = {}
        with torch.no_grad():
            for name, mod in self.named_modules():
                if isinstance(mod, ConvBNReLU):
                    w, b = weights.get(f"{name}.conv.weight"), weights.get(f"{name}.conv.bias")
                    if w is None or b is None or w.shape != mod.conv.weight.shape:
                        raise ValueError(f"{path}: no fp32 weights for {name} of shape {tuple(mod.conv.weight.shape)}"
                                         " (an int8/fp16 file, or another architecture?)")
                    eps = mod.bn.eps
                    state.update({f"{name}.conv.weight": w, f"{name}.bn.weight": torch.ones_like(b),
                                  f"{name}.bn.bias": b, f"{name}.bn.running_mean": torch.zeros_like(b),
                                  f"{name}.bn.running_var": torch.full_like(b, 1.0 - eps)})
            state["classifier.weight"] = weights["classifier.weight"]
            state["classifier.bias"] = weights["classifier.bias"]
        own = self.state_dict()
        state.update({k: v for k, v in own.items() if k.endswith("num_batches_tracked")})
        self.load_state_dict(state)
        return {p.key: p.value for p in m.metadata_props}

    def fuse(self) -> FastDiarizationModel:
        """A copy for inference with every BatchNorm folded into its convolution."""
        m = copy.deepcopy(self).eval()
        for mod in m.modules():
            if isinstance(mod, ConvBNReLU) and isinstance(mod.bn, nn.BatchNorm1d):
                mod.conv = fuse_conv_bn(mod.conv, mod.bn)
                mod.bn = nn.Identity()
        return m


def freeze_batch_norm(model: nn.Module) -> None:
    """Puts every BatchNorm in eval mode (running statistics used and kept, affine
    parameters still trained): for fine-tuning weights loaded by `load_fused_onnx`."""
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm1d):
            mod.eval()


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> nn.Conv1d:
    fused = nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                      padding=conv.padding, dilation=conv.dilation, groups=conv.groups, bias=True)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.copy_(conv.weight * scale[:, None, None])
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    return fused
