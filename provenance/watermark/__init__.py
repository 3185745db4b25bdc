"""The ``watermark`` signal: open invisible watermarks of the Stable Diffusion reference pipelines."""
