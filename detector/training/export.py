"""Export a trained `ForensicClassifier` to ONNX and package it as a detector folder (torch side of the split).

A detector folder holds ``detector.json`` (the `DetectorCfg`: crop size, number of tiles, calibration,
threshold, bands and the sha256 of each weights file), ``model.onnx`` (what `detector.models.forensic` runs) and
``model.safetensors`` (the torch weights, for fine-tuning and for the ONNX parity test).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from veracity.detector.config import DetectorCfg
from veracity.detector.models.forensic import CFG_FILE, ONNX_FILE, TORCH_FILE
from veracity.provenance.assets.hashing import sha256_file


def export_onnx(model: torch.nn.Module, path: str | Path, *, crop: int = 128, opset: int = 17) -> Path:
    """Write ``model`` (crops (n, 3, h, w) in [0, 1] -> logits (n,)) as ONNX with dynamic n, h and w."""
    path = Path(path)
    model = model.eval()
    example = torch.rand(2, 3, crop, crop)
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["crops"],
        output_names=["logits"],
        dynamic_axes={"crops": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n"}},
        opset_version=opset,
        dynamo=False,  # the TorchScript exporter: no onnxscript dependency, stable graphs for small CNNs
    )
    return path


def package_detector(
    model: torch.nn.Module,
    torch_weights: str | Path,
    out_dir: str | Path,
    cfg: DetectorCfg,
    **params: Any,
) -> Path:
    """Write a detector folder (see the module docstring) and return its ``detector.json``.

    ``cfg`` gives name, crop size (``input_size``), tiles (``n_crops``), threshold, bands and notes; the
    weights file names and hashes are filled in here. ``params`` are merged into ``cfg.params``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, out_dir / ONNX_FILE, crop=cfg.input_size or 128)
    if Path(torch_weights).resolve() != (out_dir / TORCH_FILE).resolve():
        shutil.copyfile(torch_weights, out_dir / TORCH_FILE)
    cfg = cfg.replace(
        weights_file=ONNX_FILE,
        weights_sha256=sha256_file(onnx_path),
        params={
            **cfg.params,
            **params,
            "torch_weights_file": TORCH_FILE,
            "torch_weights_sha256": sha256_file(out_dir / TORCH_FILE),
        },
    )
    cfg_path = out_dir / CFG_FILE
    cfg_path.write_text(json.dumps(cfg.to_dict(), indent=2) + "\n", encoding="utf-8")
    return cfg_path
