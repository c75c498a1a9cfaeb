// Hostile and odd files for the end-to-end specs, made in Node from the public-domain astronaut
// (tests/fixtures/photos/astronaut.png, extension/samples/astronaut.jpg; licences recorded
// beside them): zero bytes, a truncated JPEG, a decompression bomb (a 60-byte PNG declaring
// 30,000 x 30,000), a 16-bit PNG, an SVG named .jpg, a JPEG named .png and a JPEG with a 60 kB
// EXIF block and a location. Shared by specs/hostile-files.test.mjs and its Firefox twin.
// Formats Node cannot write (CMYK JPEG, animated GIF and WebP) are committed fixtures:
// ANIMATED_AND_CMYK, made by tests/tools/make_hostile_photos.py.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

import { ROOT } from './common.mjs';
import { FACE } from './hold.mjs';

const FACE_JPEG = join(ROOT, 'extension', 'samples', 'astronaut.jpg');

// The astronaut as a CMYK JPEG and as two-frame animations: [label, path].
export const ANIMATED_AND_CMYK = [
  ['a CMYK JPEG', join(ROOT, 'tests', 'fixtures', 'photos', 'astronaut-cmyk.jpg')],
  ['an animated GIF', join(ROOT, 'tests', 'fixtures', 'photos', 'astronaut-animated.gif')],
  ['an animated WebP', join(ROOT, 'tests', 'fixtures', 'photos', 'astronaut-animated.webp')],
];

// A PNG chunk with its CRC.
function chunk(kind, data) {
  let crc = ~0;
  for (const b of Buffer.concat([Buffer.from(kind, 'latin1'), data])) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (0xedb88320 ^ (crc >>> 1)) : crc >>> 1;
  }
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(kind, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE((~crc) >>> 0, 8 + data.length);
  return out;
}

// An RGB PNG of `bitDepth` bits from filtered rows (each starting with its filter byte).
function rgbPng(width, height, bitDepth, rows) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// The pixels of an 8-bit RGB, non-interlaced PNG (the astronaut), unfiltered.
function decodeRgbPng(bytes) {
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (bytes[24] !== 8 || bytes[25] !== 2 || bytes[28] !== 0) throw new Error('only 8-bit RGB, non-interlaced');
  const idat = [];
  for (let at = 8; at < bytes.length;) {
    const length = bytes.readUInt32BE(at);
    if (bytes.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rgb = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 3 ? rgb[y * stride + x - 3] : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + x] : 0;
      const c = x >= 3 && y > 0 ? rgb[(y - 1) * stride + x - 3] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a
        : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      rgb[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  return { width, height, rgb };
}

// Writes the files into `dir`; returns { name: path }.
export function makeHostileFiles(dir) {
  const files = {};
  const write = (name, bytes) => {
    files[name] = join(dir, name);
    writeFileSync(files[name], bytes);
  };
  const jpeg = readFileSync(FACE_JPEG);
  write('empty.jpg', Buffer.alloc(0));
  write('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
  write('bomb.png', rgbPng(30000, 30000, 8, Buffer.alloc(0)));
  // 16 bits per channel: each 8-bit value v stored as v * 257, rows with filter byte 0.
  const { width, height, rgb } = decodeRgbPng(readFileSync(FACE));
  const rows = Buffer.alloc(height * (1 + width * 6));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * 3; i++) rows.writeUInt16BE(rgb[y * width * 3 + i] * 257, y * (1 + width * 6) + 1 + i * 2);
  }
  write('deep.png', rgbPng(width, height, 16, rows));
  write('drawing.jpg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30"/></svg>'));
  write('renamed.png', jpeg);
  write('big-exif.jpg', jpeg);
  execFileSync('exiftool', ['-q', '-overwrite_original', `-UserComment=${'x'.repeat(60000)}`,
    '-GPSLatitude=48.8584', '-GPSLatitudeRef=N', '-GPSLongitude=2.2945', '-GPSLongitudeRef=E', files['big-exif.jpg']]);
  return files;
}
