"""Opening inputs safely: paths and globs to files, bytes and limits, media type sniffed from the bytes,
and the one image decoder every signal and detector uses.
"""
