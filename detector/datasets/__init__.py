"""Labelled image datasets: the layouts researchers use (manifest, ForenSynths, GenImage, real/fake)
and source-grouped splits. The one reader of training and benchmark data.
"""
