"""veracity: tell whether an image came from a camera or a generative model, and who vouches for it."""
