"""Makes the formats the end-to-end hostile-file specs need and Node cannot write: a CMYK JPEG,
an animated GIF and an animated WebP, each of the public-domain astronaut (astronaut.png).
Run once with Pillow (pip install pillow); the outputs are committed beside their source:
    python3 tests/tools/make_hostile_photos.py
"""
from pathlib import Path

from PIL import Image, ImageOps

PHOTOS = Path(__file__).resolve().parent.parent / "fixtures" / "photos"

face = Image.open(PHOTOS / "astronaut.png").convert("RGB")
# The second frame: the same photo mirrored, so the animation is real (two different frames).
mirrored = ImageOps.mirror(face)

face.convert("CMYK").save(PHOTOS / "astronaut-cmyk.jpg", quality=90)
frames = [face.quantize(colors=256, dither=Image.Dither.NONE), mirrored.quantize(colors=256, dither=Image.Dither.NONE)]
frames[0].save(PHOTOS / "astronaut-animated.gif", save_all=True, append_images=frames[1:], duration=500, loop=0)
face.save(PHOTOS / "astronaut-animated.webp", save_all=True, append_images=[mirrored], duration=500, loop=0, quality=80)
