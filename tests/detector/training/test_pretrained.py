"""Pretrained starts from a TFLite file: a quantised model written here with the TFLite schema is read back
exactly (dequantised, in torch layout) and loads onto a network that then computes the folded convolutions."""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest
import tflite
import torch
from torch import nn

from veracity.detector.training.pretrained import (
    SOURCES,
    create_init_weights,
    load_convolutions_into,
    read_tflite_convolutions,
)

pytestmark = pytest.mark.torch


def _vector(builder, start, values, prepend):
    start(builder, len(values))
    for value in reversed(values):
        prepend(value)
    return builder.EndVector()


def _int_vector(builder, start, values):
    return _vector(builder, start, [int(v) for v in values], builder.PrependInt32)


def _write_tflite(path, layers):
    """A one-subgraph TFLite file: ``layers`` is [(op, q_weight, scales, zeros, axis, q_bias), ...], chained."""
    b = flatbuffers.Builder(1024)
    buffers, operators = [b""], []  # buffer 0 is the empty sentinel
    tensor_specs = [("input", tflite.TensorType.FLOAT32, [1, 8, 8, 3], 0, None)]
    for index, (op, weight, scales, zeros, axis, bias) in enumerate(layers):
        buffers += [weight.tobytes(), bias.tobytes()]
        w_type = tflite.TensorType.UINT8 if weight.dtype == np.uint8 else tflite.TensorType.INT8
        tensor_specs += [
            (f"w{index}", w_type, list(weight.shape), len(buffers) - 2, (scales, zeros, axis)),
            (f"b{index}", tflite.TensorType.INT32, list(bias.shape), len(buffers) - 1, None),
            (f"out{index}", tflite.TensorType.FLOAT32, [1, 8, 8, weight.shape[0 if op == "conv" else 3]], 0, None),
        ]
        previous = 0 if index == 0 else 3 * index
        operators.append((op, [previous, 3 * index + 1, 3 * index + 2], [3 * index + 3]))

    buffer_offsets = []
    for data in buffers:
        data_offset = b.CreateByteVector(data) if data else None
        tflite.BufferStart(b)
        if data_offset is not None:
            tflite.BufferAddData(b, data_offset)
        buffer_offsets.append(tflite.BufferEnd(b))
    tensor_offsets = []
    for name, dtype, shape, buffer, quant in tensor_specs:
        name_offset = b.CreateString(name)
        shape_offset = _int_vector(b, tflite.TensorStartShapeVector, shape)
        quant_offset = None
        if quant:
            scales, zeros, axis = quant
            scale_offset = _vector(b, tflite.QuantizationParametersStartScaleVector, list(scales), b.PrependFloat32)
            zero_offset = _vector(b, tflite.QuantizationParametersStartZeroPointVector, list(zeros), b.PrependInt64)
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale_offset)
            tflite.QuantizationParametersAddZeroPoint(b, zero_offset)
            tflite.QuantizationParametersAddQuantizedDimension(b, axis)
            quant_offset = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape_offset)
        tflite.TensorAddType(b, dtype)
        tflite.TensorAddBuffer(b, buffer)
        tflite.TensorAddName(b, name_offset)
        if quant_offset is not None:
            tflite.TensorAddQuantization(b, quant_offset)
        tensor_offsets.append(tflite.TensorEnd(b))
    codes = {"conv": tflite.BuiltinOperator.CONV_2D, "depthwise": tflite.BuiltinOperator.DEPTHWISE_CONV_2D}
    code_offsets = []
    for op in ("conv", "depthwise"):
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, codes[op])
        tflite.OperatorCodeAddBuiltinCode(b, codes[op])
        tflite.OperatorCodeAddVersion(b, 1)
        code_offsets.append(tflite.OperatorCodeEnd(b))
    op_offsets = []
    for op, inputs, outputs in operators:
        in_offset = _int_vector(b, tflite.OperatorStartInputsVector, inputs)
        out_offset = _int_vector(b, tflite.OperatorStartOutputsVector, outputs)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, 0 if op == "conv" else 1)
        tflite.OperatorAddInputs(b, in_offset)
        tflite.OperatorAddOutputs(b, out_offset)
        op_offsets.append(tflite.OperatorEnd(b))
    tensors_vec = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offsets, b.PrependUOffsetTRelative)
    ops_vec = _vector(b, tflite.SubGraphStartOperatorsVector, op_offsets, b.PrependUOffsetTRelative)
    in_vec = _int_vector(b, tflite.SubGraphStartInputsVector, [0])
    out_vec = _int_vector(b, tflite.SubGraphStartOutputsVector, [len(tensor_specs) - 1])
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddOperators(b, ops_vec)
    tflite.SubGraphAddInputs(b, in_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    subgraph = tflite.SubGraphEnd(b)
    subgraphs_vec = _vector(b, tflite.ModelStartSubgraphsVector, [subgraph], b.PrependUOffsetTRelative)
    codes_vec = _vector(b, tflite.ModelStartOperatorCodesVector, code_offsets, b.PrependUOffsetTRelative)
    buffers_vec = _vector(b, tflite.ModelStartBuffersVector, buffer_offsets, b.PrependUOffsetTRelative)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddBuffers(b, buffers_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    path.write_bytes(bytes(b.Output()))
    return path


@pytest.fixture
def quantised_model(tmp_path):
    rng = np.random.default_rng(0)
    conv_w = rng.integers(0, 256, size=(4, 3, 3, 3), dtype=np.uint8)  # OHWI, per-tensor uint8
    conv_b = rng.integers(-500, 500, size=4, dtype=np.int32)
    dw_w = rng.integers(-127, 128, size=(1, 3, 3, 4), dtype=np.int8)  # 1HWC, per-channel int8 along axis 3
    dw_b = rng.integers(-500, 500, size=4, dtype=np.int32)
    dw_scales = np.array([0.01, 0.02, 0.03, 0.04], dtype=np.float32)
    layers = [
        ("conv", conv_w, [0.005], [128], 0, conv_b),
        ("depthwise", dw_w, dw_scales, [0, 0, 0, 0], 3, dw_b),
    ]
    path = _write_tflite(tmp_path / "tiny.tflite", layers)
    expected = [
        ((conv_w.astype(np.float32) - 128) * 0.005).transpose(0, 3, 1, 2),
        (dw_w.astype(np.float32) * dw_scales.reshape(1, 1, 1, 4)).transpose(3, 0, 1, 2),
    ]
    return path, expected, [conv_b.astype(np.float32), dw_b.astype(np.float32)]


def test_convolutions_are_read_dequantised_in_torch_layout(quantised_model):
    path, weights, biases = quantised_model
    convs = read_tflite_convolutions(path)
    assert [c.depthwise for c in convs] == [False, True]
    for conv, weight, bias in zip(convs, weights, biases, strict=True):
        assert conv.weight.shape == weight.shape
        np.testing.assert_allclose(conv.weight, weight, rtol=1e-6)
        np.testing.assert_allclose(conv.bias, bias)  # int32 biases without quantisation read as they are


def test_loaded_network_computes_the_folded_convolutions(quantised_model):
    path, _, _ = quantised_model
    convs = read_tflite_convolutions(path)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU6(),
        nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.BatchNorm2d(4),
    ).eval()  # fmt: skip
    assert load_convolutions_into(net, convs) == 2
    x = torch.rand(1, 3, 8, 8)
    first = torch.nn.functional.conv2d(x, torch.from_numpy(convs[0].weight), torch.from_numpy(convs[0].bias), padding=1)
    expected = torch.nn.functional.conv2d(
        first.clamp(0, 6), torch.from_numpy(convs[1].weight), torch.from_numpy(convs[1].bias), padding=1, groups=4
    )
    torch.testing.assert_close(net(x), expected, rtol=1e-4, atol=1e-3)


def test_mismatched_networks_are_refused(quantised_model):
    path, _, _ = quantised_model
    convs = read_tflite_convolutions(path)
    with pytest.raises(ValueError, match="convolutions"):
        load_convolutions_into(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)), convs[:1] * 3)
    with pytest.raises(ValueError, match="the file"):
        load_convolutions_into(nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5)), convs[:1])


def test_files_are_checked_before_use(quantised_model, tmp_path):
    path, _, _ = quantised_model
    with pytest.raises(ValueError, match="sha256"):
        create_init_weights(path, tmp_path / "init.safetensors")
    with pytest.raises(ValueError, match="No pretrained source"):
        create_init_weights(path, tmp_path / "init.safetensors", backbone="resnet50")
    not_tflite = tmp_path / "x.tflite"
    not_tflite.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not a TFLite model"):
        read_tflite_convolutions(not_tflite)
    assert SOURCES["mobilenetv2_100"].licence == "Apache-2.0"
