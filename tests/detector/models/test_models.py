"""Forward shapes and the NPR stem of a tiny randomly initialised model."""

from __future__ import annotations

import pytest
import torch

from veracity.detector.training.network import NPRStem, build_model

pytestmark = pytest.mark.torch


def test_forward_gives_one_logit_per_crop_for_any_even_size():
    model = build_model("mobilenetv3_small_050").eval()
    with torch.no_grad():
        assert model(torch.rand(3, 3, 64, 64)).shape == (3,)
        assert model(torch.rand(1, 3, 96, 128)).shape == (1,)


def test_npr_stem_is_zero_on_a_nearest_upsampled_image_and_not_on_noise():
    small = torch.rand(1, 3, 16, 16)
    upsampled = small.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert torch.count_nonzero(NPRStem()(upsampled)) == 0
    assert torch.count_nonzero(NPRStem()(torch.rand(1, 3, 32, 32))) > 0
