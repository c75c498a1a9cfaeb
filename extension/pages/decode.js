// The browser decodes photos (every format it supports, EXIF orientation applied): the pixels
// the engine checks and masks, for the warning and the classroom demo alike.
export async function decode(blob) {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return { canvas, ctx, image: ctx.getImageData(0, 0, bitmap.width, bitmap.height) };
  } finally {
    bitmap.close();
  }
}
