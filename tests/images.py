"""Images the tests make themselves: procedural pixels with chosen modes and metadata."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin


def textured(width: int = 96, height: int = 64, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A deterministic textured image (gradient plus noise) in any Pillow mode."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), (x + y) % 256], axis=-1)
    noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(noisy, "RGB")
    if mode == "I;16":
        return Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    if mode == "P":
        return image.quantize(colors=16)
    return image.convert(mode)


def png_with_text(path: Path, chunks: dict[str, str], *, size: tuple[int, int] = (64, 64)) -> Path:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    textured(*size).save(path, "PNG", pnginfo=info)
    return path


def jpeg_with_exif(
    path: Path, tags: dict[int, object], *, exif_ifd: dict[int, object] | None = None, size: tuple[int, int] = (96, 64)
) -> Path:
    image = textured(*size)
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    if exif_ifd:
        sub = exif.get_ifd(0x8769)
        sub.update(exif_ifd)
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def xmp_packet(properties: dict[str, str]) -> bytes:
    """An XMP packet with Iptc4xmpExt/xmp/photoshop properties as attributes of one rdf:Description."""
    attrs = " ".join(f'{k}="{v}"' for k, v in properties.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f"{attrs}/></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def jpeg_with_xmp(path: Path, properties: dict[str, str]) -> Path:
    textured().save(path, "JPEG", quality=90, xmp=xmp_packet(properties))
    return path


def png_bomb(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A real 1-bit PNG of width x height pixels (all zero): tiny on disk, ~900 MP when decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def smooth(width: int = 64, height: int = 64, seed: int = 0) -> Image.Image:
    """A smooth, upsampled image: low-resolution noise blown up 8x (an upsampling trace, like a generator)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    return Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.NEAREST)


def make_real_fake(root: Path, n_real: int = 8, n_per_generator: int = 4, generators=("gen-a", "gen-b")) -> Path:
    """``real/`` + ``fake/<generator>/``: camera-like JPEG reals, upsampled PNG fakes."""
    (root / "real").mkdir(parents=True)
    for i in range(n_real):
        textured(64, 64, seed=i).save(root / "real" / f"photo_{i:02d}.jpg", "JPEG", quality=90)
    for g, generator in enumerate(generators):
        (root / "fake" / generator).mkdir(parents=True)
        for i in range(n_per_generator):
            smooth(seed=100 * (g + 1) + i).save(root / "fake" / generator / f"sample_{i:02d}.png")
    return root
