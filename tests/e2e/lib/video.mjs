// Video clips for the video specs, made at test time with ffmpeg (Debian package) from the
// redistributable photos in tests/fixtures/photos (see LICENSES.md there), plus the committed
// clips with a location written each way a phone writes it (tests/fixtures/video).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './common.mjs';
import { FACE, NO_FACE } from './hold.mjs';

export const VIDEO_FIXTURES = join(ROOT, 'tests', 'fixtures', 'video');

const ffmpeg = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

// A still photo as a `seconds` long 640 x 480 clip (letterboxed, square pixels, 25 fps).
const STILL = 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p';
const H264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];

// Makes the clips in `dir`; returns their paths:
//   face      3 s H.264 MP4 of the astronaut (a large frontal face), no audio, no location
//   noFace    3 s H.264 MP4 of a coffee cup
//   lateFace  5 s: 4 s of the coffee cup, then 1 s of the astronaut
//   faceWebm  3 s VP9 WebM of the astronaut
//   faceLocated  the face clip as a MOV with a location, make, model and date in QuickTime keys
//   undecodable  the face as MPEG-4 Part 2 (no WebCodecs decoder), with a location in ©xyz
//   faceTs    the face clip in MPEG-TS (no metadata the engine reads)
//   corrupt   the face clip with its moov box (at the end, ffmpeg's default) cut off
export function makeClips(dir) {
  const clip = (name, args) => {
    const out = join(dir, name);
    ffmpeg([...args, ...(name.endsWith('.m2ts') ? ['-f', 'mpegts'] : []), out]);
    return out;
  };
  const face = clip('face.mp4', ['-loop', '1', '-framerate', '25', '-i', FACE, '-t', '3', '-vf', STILL, ...H264]);
  const noFace = clip('coffee.mp4', ['-loop', '1', '-framerate', '25', '-i', NO_FACE, '-t', '3', '-vf', STILL, ...H264]);
  const lateFace = clip('late-face.mp4', [
    '-loop', '1', '-framerate', '25', '-t', '4', '-i', NO_FACE,
    '-loop', '1', '-framerate', '25', '-t', '1', '-i', FACE,
    '-filter_complex', `[0:v]${STILL}[a];[1:v]${STILL}[b];[a][b]concat=n=2:v=1[v]`, '-map', '[v]', ...H264,
  ]);
  const faceWebm = clip('face.webm', ['-loop', '1', '-framerate', '25', '-i', FACE, '-t', '3', '-vf', STILL,
    '-c:v', 'libvpx-vp9', '-b:v', '400k', '-deadline', 'realtime', '-cpu-used', '8']);
  // As an iPhone writes it: location, make, model and creation date in QuickTime keys.
  const faceLocated = clip('face-located.mov', ['-loop', '1', '-framerate', '25', '-i', FACE, '-t', '3', '-vf', STILL, ...H264]);
  execFileSync('exiftool', ['-q', '-q', '-overwrite_original', '-Keys:GPSCoordinates=48.8584, 2.2945, 35',
    '-Keys:Make=Apple', '-Keys:Model=iPhone 15', '-Keys:CreationDate=2024:05:01 14:34:56+02:00', faceLocated]);
  // A codec no browser decodes through WebCodecs (MPEG-4 Part 2), with a location (©xyz).
  const undecodable = clip('mpeg4-located.mp4', ['-loop', '1', '-framerate', '25', '-i', FACE, '-t', '2', '-vf', STILL, '-c:v', 'mpeg4']);
  execFileSync('exiftool', ['-q', '-q', '-overwrite_original', '-UserData:GPSCoordinates=48.8584, 2.2945, 35', undecodable]);
  // MPEG-TS (.m2ts: Chromium here types a .ts file as a Qt translation), which the engine's metadata reader
  // does not take (the demuxer does).
  const faceTs = clip('face.m2ts', ['-loop', '1', '-framerate', '25', '-i', FACE, '-t', '3', '-vf', STILL, ...H264]);
  const whole = readFileSync(face);
  const corrupt = join(dir, 'corrupt.mp4');
  const moov = whole.lastIndexOf(Buffer.from('moov'));
  writeFileSync(corrupt, whole.subarray(0, moov > 8 ? moov - 4 : whole.length >> 1));
  return { face, noFace, lateFace, faceWebm, faceLocated, undecodable, faceTs, corrupt };
}

// ffprobe's view of a file's streams and format.
export function probe(path) {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path], { encoding: 'utf8' }));
}

// Decodes every frame of the file with ffmpeg (to nowhere); throws on any decoding error.
export function decodesInFull(path) {
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-xerror', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  return true;
}

// exiftool's location tags in a file (none is the goal).
export function locationTags(path) {
  const tags = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-n', '-ee', path], { encoding: 'utf8' }))[0];
  return Object.keys(tags).filter((k) => /GPS|Location|ISO6709|City|Country/i.test(k));
}
