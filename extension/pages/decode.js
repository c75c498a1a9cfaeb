// The browser decodes photos (every format it supports, EXIF orientation applied): the pixels
// the engine checks and masks, for the warning, the classroom demo and the benchmarks alike.
const ORIENTED = { imageOrientation: 'from-image' };

function pixelsOf(bitmap) {
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return { canvas, ctx, image: ctx.getImageData(0, 0, bitmap.width, bitmap.height) };
  } finally {
    // A big photo's decoded copy is freed as soon as it is on the canvas.
    bitmap.close();
  }
}

// The whole photo at full size: for masking it, and for the demo's comparisons.
export async function decode(blob) {
  return pixelsOf(await createImageBitmap(blob, ORIENTED));
}

// The photo's size as shown (EXIF orientations 5 to 8 swap the sides), from its header.
function shownSize(meta) {
  const { width, height, orientation } = meta ?? {};
  if (!(width > 0 && height > 0)) return null;
  return orientation >= 5 ? { width: height, height: width } : { width, height };
}

// ImageDecoder (WebCodecs): Chromium decodes a JPEG straight to a fraction of its size
// (libjpeg's DCT scaling), never holding it at full size: for a 48 MP photo, a fifth of the
// memory of createImageBitmap's resize (which decodes it whole first) in half the time. The
// fraction is the largest it offers at or below the size asked for; one under 0.8 of it is
// not used (the smallest face found would grow by more than a quarter). Firefox returns the
// exact size asked for. Both apply EXIF orientation. Null where this does not apply.
async function decodeScaled(blob, meta, size, photo) {
  if (typeof ImageDecoder !== 'function' || meta?.mime !== 'image/jpeg') return null;
  if (!(await ImageDecoder.isTypeSupported('image/jpeg').catch(() => false))) return null;
  let decoder;
  try {
    // The size as shown (after EXIF orientation), which both engines read it as.
    decoder = new ImageDecoder({
      type: 'image/jpeg', data: blob.stream(), preferAnimation: false, desiredWidth: size.width, desiredHeight: size.height,
    });
    const { image: frame } = await decoder.decode();
    try {
      const { displayWidth: width, displayHeight: height } = frame;
      const fits = width <= size.width && height <= size.height && width >= size.width * 0.8
        && Math.abs(width / height - photo.width / photo.height) < 0.01;
      if (!fits) return null;
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(frame, 0, 0);
      return { canvas, ctx, image: ctx.getImageData(0, 0, width, height), photo };
    } finally {
      frame.close();
    }
  } catch {
    return null; // createImageBitmap tries next, and says what is wrong with the file
  } finally {
    decoder?.close();
  }
}

// The photo decoded straight to the size the detector needs (`sizeFor(width, height)`, the
// engine's detectionSize): a 48 MP photo is never held at full size for the check. Returns the
// pixels and `photo`, the photo's own size, which the engine reports faces in.
export async function decodeForDetection(blob, meta, sizeFor) {
  const photo = shownSize(meta);
  if (photo) {
    const size = sizeFor(photo.width, photo.height);
    if (size.width >= photo.width) {
      // Within the budget the browser's own decode says the size (the header's orientation
      // may be one the browser does not apply, e.g. EXIF in a PNG text chunk).
      const whole = await decode(blob);
      return { ...whole, photo: { width: whole.image.width, height: whole.image.height } };
    }
    const scaled = await decodeScaled(blob, meta, size, photo);
    if (scaled) return scaled;
    // A resize always returns the size asked for, so an orientation the browser does not
    // apply cannot be seen here: the protected copy refuses a full decode of another size.
    const bitmap = await createImageBitmap(blob, {
      ...ORIENTED, resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high',
    });
    return { ...pixelsOf(bitmap), photo };
  }
  const full = await createImageBitmap(blob, ORIENTED);
  const actual = { width: full.width, height: full.height };
  const size = sizeFor(actual.width, actual.height);
  if (size.width >= actual.width) return { ...pixelsOf(full), photo: actual };
  let small;
  try {
    small = await createImageBitmap(full, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
  } finally {
    full.close();
  }
  return { ...pixelsOf(small), photo: actual };
}
