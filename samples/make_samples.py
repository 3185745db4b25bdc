"""Make the sample images in this folder. Every pixel is computed here, so the files are ours to share.

Run from the repository root: ``python samples/make_samples.py``. Output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

HERE = Path(__file__).resolve().parent
XMP_TEMPLATE = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/{code}"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def landscape(width: int = 320, height: int = 240, seed: int = 7) -> Image.Image:
    """A procedural landscape: sky gradient, a sun, layered hills and fine sensor-like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    sky = np.stack([120 + 80 * y / height, 160 + 60 * y / height, 235 - 30 * y / height], axis=-1)
    sun = np.exp(-(((x - 0.72 * width) ** 2 + (y - 0.3 * height) ** 2) / (2 * (0.06 * width) ** 2)))
    image = sky + sun[..., None] * np.array([120, 90, 20])
    for layer, (shade, level) in enumerate([((70, 120, 60), 0.55), ((45, 95, 45), 0.7), ((30, 70, 35), 0.85)]):
        phase = rng.uniform(0, 2 * np.pi)
        ridge = level * height + 0.06 * height * np.sin(x / width * (3 + layer) * np.pi + phase)
        mask = (y > ridge)[..., None]
        image = np.where(mask, np.array(shade) + 25 * np.sin(x / 7 + y / 11 + layer)[..., None], image)
    image += rng.normal(0, 3.0, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    base = landscape()
    params = PngImagePlugin.PngInfo()
    params.add_text(
        "parameters",
        "a quiet valley at sunset, matte painting\nNegative prompt: text, watermark\n"
        "Steps: 25, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 20261128, Size: 320x240, Model: example-model",
    )
    base.save(HERE / "webui-parameters.png", pnginfo=params)

    xmp = XMP_TEMPLATE.format(code="trainedAlgorithmicMedia").encode("utf-8")
    landscape(seed=11).save(HERE / "iptc-trained-algorithmic-media.jpg", quality=90, xmp=xmp)

    exif = Image.Exif()
    exif[0x010F] = "ExampleCam"
    exif[0x0110] = "Model 1 (sample tags, not a real camera)"
    exif[0x0131] = "veracity sample maker"
    landscape(seed=23).save(HERE / "camera-exif-tags.jpg", quality=88, exif=exif)

    landscape(seed=31).save(HERE / "no-metadata.png")


if __name__ == "__main__":
    main()
