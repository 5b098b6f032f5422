// Writes two stand-in Hugging Face dataset repositories for the `emonet data fetch` tests,
// laid out like the published EmoNet-Face sets, with DuckDB's Node package (installed by
// tests/unit/parquet's `npm ci`; its node_modules are reused, not installed twice):
//   OUT/binary/data/train-0000{0,1}-of-00002.parquet  Image struct `image` {bytes, path},
//     `prompt`, `demographics` struct {ethnicity, gender, age}, ClassLabel `emotion`,
//     `annotations`, free columns `yes_votes`; several row groups, snappy / zstd.
//   OUT/big/parquet/default/train/0.parquet  (the auto-converted layout: no Parquet in the
//     repo) with top-level ethnicity/age/gender, a string `label` and a `split` column.
// and OUT/expected.json: per set, the rows as generated (image bytes as hex), which the
// test compares with metadata.csv and the image files.
// Usage: node generate_sets.mjs PARQUET_TEST_DIR OUT
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const [parquetDir, out] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(parquetDir), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

// A real (tiny, solid-colour) PNG, so image readers can decode what the fetch writes.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const png = (w, h, r, g, b) => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; ++y)
    for (let x = 0; x < w; ++x) raw.set([r, g, b], y * (1 + 3 * w) + 1 + 3 * x);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
};

const EMO = ['Amusement', 'Anger', 'Awe', 'Contentment', 'Elation'];
const ETH = ['Asian', 'White', 'Indian', 'Black or African American'];
const GEN = ['man', 'woman', 'non-binary person'];
const hfMeta = (features) => JSON.stringify({ info: { features } }).replaceAll("'", "''");

const duck = await (await DuckDBInstance.create(':memory:')).connect();
const expected = { binary: [], big: [] };

// ---- binary: two files ----
for (const [fileNo, count, codec] of [[0, 70, 'snappy'], [1, 45, 'zstd']]) {
  const rows = [];
  for (let k = 0; k < count; ++k) {
    const i = fileNo * 1000 + k;
    const bytes = png(4 + (i % 3), 4, (i * 37) % 256, (i * 11) % 256, 200);
    // Row 5 of file 0 has no path (named by its row number), row 9 has no image at all.
    const noPath = fileNo === 0 && k === 5;
    const noImage = fileNo === 0 && k === 9;
    rows.push({
      image: noImage ? null : bytes.toString('hex'),
      path: noPath || noImage ? null : `${String(i).padStart(5, '0')}.png`,
      prompt: `a focused close-up photo, row ${i}, "quoted", with, commas`,
      ethnicity: ETH[i % ETH.length], gender: GEN[i % GEN.length], age: 20 + 10 * (i % 7),
      emotion: i % EMO.length,
      annotations: `{'Joy|${EMO[i % EMO.length]}': ${i % 8}}`,
      yes_votes: i % 4,
    });
  }
  const src = path.join(out, `binary_src_${fileNo}.json`);
  fs.mkdirSync(path.join(out, 'binary', 'data'), { recursive: true });
  fs.writeFileSync(src, JSON.stringify(rows));
  const meta = hfMeta({ image: { _type: 'Image' }, prompt: { dtype: 'string', _type: 'Value' },
    emotion: { names: EMO, _type: 'ClassLabel' } });
  await duck.run(`COPY (SELECT CASE WHEN image IS NULL THEN NULL ELSE struct_pack(bytes := from_hex(image), path := path) END AS image,
      prompt, struct_pack(ethnicity := ethnicity, gender := gender, age := age) AS demographics,
      emotion, annotations, yes_votes
    FROM read_json('${src}', format='array', columns={image:'VARCHAR', path:'VARCHAR', prompt:'VARCHAR', ethnicity:'VARCHAR', gender:'VARCHAR', age:'BIGINT', emotion:'BIGINT', annotations:'VARCHAR', yes_votes:'BIGINT'}))
    TO '${path.join(out, 'binary', 'data', `train-0000${fileNo}-of-00002.parquet`)}'
    (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 16, KV_METADATA {huggingface: '${meta}'})`);
  fs.unlinkSync(src);
  for (const r of rows) {
    if (r.image === null) continue;
    expected.binary.push({ path: r.path, prompt: r.prompt, ethnicity: r.ethnicity, age: String(r.age),
      gender: r.gender, emotion: EMO[r.emotion], annotations: r.annotations, yes_votes: String(r.yes_votes), hex: r.image });
  }
}

// ---- big: the auto-converted layout ----
{
  const rows = [];
  for (let i = 0; i < 40; ++i) {
    rows.push({ image: png(3, 3, i * 5, 90, (i * 13) % 256).toString('hex'), path: `big_${i}.png`,
      prompt: `prompt ${i}`, ethnicity: ETH[i % ETH.length], age: String(20 + 10 * (i % 7)),
      gender: GEN[i % GEN.length], label: `[{'human-1': {'Joy|Awe': ${i % 8}}}]`, split: 'train' });
  }
  const src = path.join(out, 'big_src.json');
  const dir = path.join(out, 'big', 'parquet', 'default', 'train');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(src, JSON.stringify(rows));
  await duck.run(`COPY (SELECT struct_pack(bytes := from_hex(image), path := path) AS image, prompt, ethnicity, age, gender, label, split
    FROM read_json('${src}', format='array', columns={image:'VARCHAR', path:'VARCHAR', prompt:'VARCHAR', ethnicity:'VARCHAR', age:'VARCHAR', gender:'VARCHAR', label:'VARCHAR', split:'VARCHAR'}))
    TO '${path.join(dir, '0.parquet')}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 10)`);
  fs.unlinkSync(src);
  fs.writeFileSync(path.join(out, 'big', 'README.md'), '# stand-in for laion/emonet-face-big\n');
  for (const r of rows)
    expected.big.push({ path: r.path, prompt: r.prompt, ethnicity: r.ethnicity, age: r.age, gender: r.gender,
      emotion: '', annotations: r.label, split: r.split, hex: r.image });
}
fs.writeFileSync(path.join(out, 'binary', 'README.md'), '# stand-in for laion/emonet-face-binary\n');
fs.writeFileSync(path.join(out, 'expected.json'), JSON.stringify(expected));
console.log(`wrote stand-in dataset repositories to ${out}`);
