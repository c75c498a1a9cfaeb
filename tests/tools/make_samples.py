#!/usr/bin/env python3
"""Builds the classroom demo's extra samples in extension/samples/ from redistributable photos:

- group.jpg: a collage of three people (astronaut.png, camera.png, hopper.jpg) at different
  sizes, the demo's group photo;
- sizes.jpg: the same face at four sizes, from a face a recogniser uses as is to one it cannot;
- camera-gps.jpg: camera.png as a JPEG carrying the location, device and time a phone records
  (written with exiftool; the coordinates are the Trocadero in Paris, a public square);
- astronaut.jpg, coffee.jpg: the test photos of the same names as JPEGs (a tenth of the PNGs'
  size in the store packages).

hopper.jpg comes from matplotlib's wheel (mpl-data/sample_data/grace_hopper.jpg): pass its path.
Usage: python3 tests/tools/make_samples.py GRACE_HOPPER_JPG   (needs Pillow and exiftool)
"""
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "fixtures" / "photos"
SAMPLES = ROOT / "extension" / "samples"


def portrait(path, box):
    return Image.open(path).convert("RGB").crop(box)


def main(hopper_src):
    for name in ("astronaut", "coffee"):
        Image.open(PHOTOS / f"{name}.png").convert("RGB").save(SAMPLES / f"{name}.jpg", quality=90, optimize=True)
    hopper = Image.open(hopper_src).convert("RGB")
    hopper.save(SAMPLES / "hopper.jpg", quality=85, optimize=True)

    # Head-and-shoulders crops, then placed side by side at three scales, as people stand at
    # different distances from the camera.
    astronaut = portrait(PHOTOS / "astronaut.png", (60, 0, 380, 400))
    camera = portrait(PHOTOS / "camera.png", (140, 20, 420, 370))
    grace = hopper.crop((60, 40, 460, 540))
    group = Image.new("RGB", (1200, 700), (214, 220, 226))
    x = 20
    for person, height in ((camera, 420), (astronaut, 640), (grace, 300)):
        scaled = person.resize((round(person.width * height / person.height), height), Image.LANCZOS)
        group.paste(scaled, (x, group.height - height))
        x += scaled.width + 30
    group = group.crop((0, 0, x - 10, group.height))
    group.save(SAMPLES / "group.jpg", quality=85, optimize=True)

    # One face, four sizes: widths chosen so the eyes are about 80, 40, 20 and 9 px apart.
    face = portrait(PHOTOS / "astronaut.png", (120, 20, 320, 240))
    sizes = Image.new("RGB", (900, 300), (236, 236, 236))
    x = 20
    for width in (440, 220, 110, 50):
        scaled = face.resize((width, round(face.height * width / face.width)), Image.LANCZOS)
        sizes.paste(scaled, (x, (sizes.height - scaled.height) // 2))
        x += width + 20
    sizes.save(SAMPLES / "sizes.jpg", quality=88, optimize=True)

    gps = SAMPLES / "camera-gps.jpg"
    Image.open(PHOTOS / "camera.png").convert("RGB").save(gps, quality=88)
    subprocess.run([
        "exiftool", "-q", "-overwrite_original",
        "-Make=ExamplePhone", "-Model=Model 12", "-DateTimeOriginal=2024:06:21 18:42:05",
        "-GPSLatitude=48.86160", "-GPSLatitudeRef=N", "-GPSLongitude=2.28870", "-GPSLongitudeRef=E",
        "-GPSAltitude=57", "-GPSAltitudeRef=0", str(gps),
    ], check=True)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not shutil.which("exiftool"):
        sys.exit(__doc__)
    main(sys.argv[1])
