#!/usr/bin/env bash
# Makes the small video fixtures in tests/fixtures/video/ (see LICENSES.md there): 64x48 clips
# of ffmpeg's generated test pattern (testsrc, and a sine tone for audio), with a location
# written each way phones and cameras write it. Needs Debian's ffmpeg and exiftool
# (apt-get install -y ffmpeg libimage-exiftool-perl). The clips are committed; this script is
# how they were made (the bytes differ with other ffmpeg/exiftool versions).
set -euo pipefail
out="$(cd "$(dirname "$0")/../fixtures/video" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# The Eiffel Tower, as in the photo fixtures.
iso="+48.8584+002.2945+035.000/"
v=(-f lavfi -i testsrc=size=64x48:rate=10:duration=1)
a=(-f lavfi -i sine=frequency=440:duration=1)
x264=(-c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p)
aac=(-c:a aac -b:a 8k -ac 1 -ar 8000)
ff() { ffmpeg -nostdin -v error -y "$@"; }
et() { exiftool -q -q -overwrite_original "$@"; }

# No location; moov after mdat (ffmpeg's default), an audio track.
ff "${v[@]}" "${a[@]}" "${x264[@]}" "${aac[@]}" -shortest -fflags +bitexact plain.mp4

# iPhone style: QuickTime keys in moov/meta (mdta handler, keys, ilst), with make, model and
# creation date keys, written by exiftool into a MOV.
ff "${v[@]}" "${a[@]}" "${x264[@]}" "${aac[@]}" -shortest -fflags +bitexact keys.mov
et '-Keys:GPSCoordinates=48.8584, 2.2945, 35' -Keys:Make=Apple '-Keys:Model=iPhone 15' \
  '-Keys:CreationDate=2024:05:01 14:34:56+02:00' keys.mov

# Android style: ©xyz (and ©mak, ©mod) in moov/udta of an MP4, moov at the end, written by
# exiftool's UserData group; creation time in mvhd by ffmpeg.
ff "${v[@]}" "${x264[@]}" -metadata creation_time=2024-05-01T12:34:56Z -fflags +bitexact xyz.mp4
et '-UserData:GPSCoordinates=48.8584, 2.2945, 35' -UserData:Make=Google '-UserData:Model=Pixel 8' xyz.mp4

# ©xyz as ffmpeg's MOV muxer writes it (with ©mak and ©mod), moov at the front (+faststart).
ff "${v[@]}" "${x264[@]}" -metadata location="$iso" -metadata make=Google -metadata model="Pixel 8" \
  -movflags +faststart -fflags +bitexact xyz-faststart.mov

# 3GPP loci box: ffmpeg's MP4 muxer writes "location" as loci in moov/udta.
ff "${v[@]}" "${a[@]}" "${x264[@]}" "${aac[@]}" -shortest -metadata location="$iso" -fflags +bitexact loci.mp4

# XMP GPS in a top-level uuid box (exiftool, MP4).
ff "${v[@]}" "${x264[@]}" -fflags +bitexact xmp.mp4
et -XMP:GPSLatitude=48.8584 -XMP:GPSLongitude=2.2945 -XMP:City=Paris '-XMP:Creator=Jane Doe' xmp.mp4

# XMP in moov/udta/XMP_ (exiftool, MOV).
ff "${v[@]}" "${x264[@]}" -f mov -fflags +bitexact xmp-udta.mov
et -XMP:GPSLatitude=48.8584 -XMP:GPSLongitude=2.2945 xmp-udta.mov

# Rotated 90 degrees (tkhd matrix), no location, moov at the front.
ff "${v[@]}" "${x264[@]}" -movflags +faststart -fflags +bitexact rotated.mp4
et -Rotation=90 rotated.mp4

# A clip cut short: the moov at the end is lost.
head -c 1500 loci.mp4 > truncated.mp4

# WebM (VP9, Opus) with a LOCATION tag, and Matroska (H.264) with the QuickTime key as a tag,
# copied from keys.mov by ffmpeg.
ff "${v[@]}" "${a[@]}" -c:v libvpx-vp9 -b:v 20k -c:a libopus -b:a 8k -shortest \
  -metadata location="$iso" -fflags +bitexact location.webm
ff -i keys.mov -map 0 -c copy -map_metadata 0 -fflags +bitexact keys.mkv

cp plain.mp4 keys.mov xyz.mp4 xyz-faststart.mov loci.mp4 xmp.mp4 xmp-udta.mov rotated.mp4 truncated.mp4 \
  location.webm keys.mkv "$out/"
ls -l "$out"
