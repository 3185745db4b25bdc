"""Training the forensic classifier (torch and timm; install ``veracity[train]``): the network,
augmentations, the training loop, ONNX export and packaging.
"""
