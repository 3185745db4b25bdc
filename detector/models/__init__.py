"""Detectors that score pixels at run time: the shipped ONNX forensic model, its tiling, and the
classical baselines. numpy, Pillow, scikit-learn and ONNX Runtime only: never torch.
"""
