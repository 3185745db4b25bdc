"""Making and gathering training data: aligned fakes through learned decoders, pretrained upsamplers,
simulated camera captures.
"""
