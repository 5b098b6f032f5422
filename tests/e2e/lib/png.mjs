// A minimal PNG writer (8-bit RGB, no interlace) on top of node's zlib, so the test can
// make its own face-like images without any image library.
import zlib from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// pixel(x, y) -> [r, g, b]
export function encodePng(width, height, pixel) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let offset = 0;
  for (let y = 0; y < height; y++) {
    raw[offset++] = 0;  // filter: none
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      raw[offset++] = r;
      raw[offset++] = g;
      raw[offset++] = b;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;   // bit depth
  header[9] = 2;   // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A simple cartoon face whose colour and mouth vary with `seed`, so screenshots show
// which item is on screen.
export function facePng(seed, size = 256) {
  const hue = (seed * 67) % 360;
  const skin = [230 - (seed * 13) % 60, 190 - (seed * 7) % 50, 150 - (seed * 5) % 40];
  const bg = hslToRgb(hue, 0.45, 0.35);
  const c = size / 2;
  const smile = ((seed % 3) - 1) * 0.12;  // -1 frown, 0 flat, 1 smile
  return encodePng(size, size, (x, y) => {
    const dx = (x - c) / (size * 0.36);
    const dy = (y - c) / (size * 0.44);
    if (dx * dx + dy * dy > 1) return bg;
    for (const ex of [-0.38, 0.38]) {
      const ax = (x - c) / size - ex * 0.36;
      const ay = (y - c) / size + 0.12;
      if (ax * ax + ay * ay < 0.0016) return [30, 30, 40];
    }
    const mx = (x - c) / size;
    const my = (y - c) / size - 0.17;
    const curve = smile * (1 - (mx / 0.16) ** 2);
    if (Math.abs(mx) < 0.16 && Math.abs(my - curve) < 0.012) return [120, 20, 30];
    return skin;
  });
}

function hslToRgb(h, s, l) {
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4))];
}
