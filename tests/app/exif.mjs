// EXIF written by hand into a baseline JPEG, as a phone's camera would: an APP1 segment right
// after SOI with DateTimeOriginal, OffsetTimeOriginal, GPS (RATIONAL degrees, minutes, seconds
// with N/S/E/W references), make and model. The same layout as tests/api/jpeg.rs.

function ascii(tag, s) {
  const data = Buffer.concat([Buffer.from(s, "ascii"), Buffer.from([0])]);
  return { tag, typ: 2, count: data.length, data };
}

function rationals(tag, values) {
  const data = Buffer.alloc(values.length * 8);
  values.forEach(([n, d], i) => { data.writeUInt32LE(n, i * 8); data.writeUInt32LE(d, i * 8 + 4); });
  return { tag, typ: 5, count: values.length, data };
}

function long(tag, v) {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(v);
  return { tag, typ: 4, count: 1, data };
}

/// Appends an IFD to `out` (an array of Buffers whose total length is the current offset from
/// the start of the TIFF header); values longer than 4 bytes follow the IFD.
function writeIfd(out, entries) {
  const start = out.reduce((n, b) => n + b.length, 0);
  const dataStart = start + 2 + entries.length * 12 + 4;
  const head = Buffer.alloc(2 + entries.length * 12 + 4);
  const extra = [];
  let extraLen = 0;
  head.writeUInt16LE(entries.length, 0);
  entries.forEach((e, i) => {
    const at = 2 + i * 12;
    head.writeUInt16LE(e.tag, at);
    head.writeUInt16LE(e.typ, at + 2);
    head.writeUInt32LE(e.count, at + 4);
    if (e.data.length <= 4) {
      e.data.copy(head, at + 8);
    } else {
      head.writeUInt32LE(dataStart + extraLen, at + 8);
      const padded = e.data.length % 2 ? Buffer.concat([e.data, Buffer.from([0])]) : e.data;
      extra.push(padded);
      extraLen += padded.length;
    }
  });
  out.push(head, ...extra);
}

function dms(v) {
  const a = Math.abs(v);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = ((a - d) * 60 - m) * 60;
  return [[d, 1], [m, 1], [Math.round(s * 10000), 10000]];
}

/// The JPEG with an EXIF APP1 segment inserted after SOI.
export function withExif(jpeg, { datetime, offset, gps, make, model }) {
  const tiff = [Buffer.from("II*\0\0\0\0\0", "binary")];
  const size = () => tiff.reduce((n, b) => n + b.length, 0);
  const exifEntries = [];
  if (datetime) exifEntries.push(ascii(0x9003, datetime));
  if (offset) exifEntries.push(ascii(0x9011, offset));
  const exifOff = size();
  writeIfd(tiff, exifEntries);
  const gpsOff = size();
  if (gps) {
    const [lat, lon] = gps;
    writeIfd(tiff, [ascii(1, lat < 0 ? "S" : "N"), rationals(2, dms(lat)), ascii(3, lon < 0 ? "W" : "E"), rationals(4, dms(lon))]);
  }
  const ifd0 = [];
  if (make) ifd0.push(ascii(0x010f, make));
  if (model) ifd0.push(ascii(0x0110, model));
  ifd0.push(long(0x8769, exifOff));
  if (gps) ifd0.push(long(0x8825, gpsOff));
  const ifd0Off = size();
  writeIfd(tiff, ifd0);
  const body = Buffer.concat(tiff);
  body.writeUInt32LE(ifd0Off, 4);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(body.length + 8, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, Buffer.from("Exif\0\0", "binary"), body, jpeg.subarray(2)]);
}

/// "YYYY:MM:DD HH:MM:SS" of `date` in Asia/Shanghai (the EXIF DateTimeOriginal form).
export function exifTime(date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}:${parts.month}:${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}
