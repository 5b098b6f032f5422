// Writes Parquet files with two independent writers (DuckDB and the pure-JS
// hyparquet-writer) plus, for each NAME.parquet, NAME.json: the rows as the generator made
// them (bytes as {"hex": ...}, structs as objects in schema order, lists as arrays).
// Usage: node generate.mjs OUTDIR
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteFile } from 'hyparquet-writer';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const out = process.argv[2];
fs.mkdirSync(out, { recursive: true });

// Deterministic pseudo-random numbers (mulberry32) so fixtures are stable.
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 256).toString(16).padStart(2, '0')).join('');

const ETH = ['White', 'Black', 'East Asian', 'South Asian', 'Latino'];
const AGE = ['20s', '30s', '40s'];
const GEN = ['male', 'female', 'non-binary'];
const EMO = ['Amusement', 'Anger', 'Awe', 'Contentment'];

// ---- DuckDB: flat + nested columns, data pages v1 and v2, every codec it writes. ----
const N = 5000;
const rows = [];
for (let i = 0; i < N; ++i) {
  const nul = (p) => rand() < p;
  rows.push({
    id: i,
    i64: nul(0.1) ? null : Math.floor((rand() - 0.5) * 2 ** 50),
    f: nul(0.1) ? null : Math.fround((rand() - 0.5) * 1000),
    d: nul(0.1) ? null : (rand() - 0.5) * 1e6,
    b: nul(0.2) ? null : rand() < 0.5,
    s: nul(0.1) ? null : pick(['alpha', 'beta', 'gamma', 'delta', '']),
    u: nul(0.05) ? null : `row-${i}-${hex(1 + Math.floor(rand() * 20))}`,
    blob: nul(0.1) ? null : { hex: hex(Math.floor(rand() * 12)) },
    ethnicity: pick(ETH), age: pick(AGE), gender: pick(GEN), emotion: pick(EMO),
    tags: nul(0.1) ? null : Array.from({ length: Math.floor(rand() * 4) }, () => (nul(0.2) ? null : pick(['x', 'y', 'zz']))),
    nums: nul(0.1) ? null : Array.from({ length: Math.floor(rand() * 3) }, () =>
      nul(0.2) ? null : Array.from({ length: Math.floor(rand() * 3) }, () => Math.floor(rand() * 100))),
    image: nul(0.1) ? null : { bytes: nul(0.1) ? null : { hex: hex(8 + Math.floor(rand() * 24)) }, path: nul(0.2) ? null : `img_${i}.png` },
    rec: nul(0.1) ? null : { a: nul(0.2) ? null : Math.floor(rand() * 1000), sub: nul(0.2) ? null : { x: rand(), ys: Array.from({ length: Math.floor(rand() * 3) }, () => Math.floor(rand() * 10)) } },
  });
}
// DuckDB reads the rows from JSON with blobs as hex strings and builds the typed columns.
const src = path.join(out, 'duck_src.json');
const flat = rows.map((r) => ({ ...r, blob: r.blob && r.blob.hex, image: r.image && { bytes: r.image.bytes && r.image.bytes.hex, path: r.image.path } }));
fs.writeFileSync(src, JSON.stringify(flat));
const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run(`CREATE TABLE t AS SELECT id::INTEGER AS id, i64::BIGINT AS i64, f::FLOAT AS f, d::DOUBLE AS d, b::BOOLEAN AS b,
  s::VARCHAR AS s, u::VARCHAR AS u, from_hex(blob) AS blob, ethnicity, age, gender, emotion,
  tags::VARCHAR[] AS tags, nums::INTEGER[][] AS nums,
  CASE WHEN image IS NULL THEN NULL ELSE struct_pack(bytes := from_hex(image.bytes), path := image.path) END AS image,
  CASE WHEN rec IS NULL THEN NULL ELSE struct_pack(a := rec.a::INTEGER, sub := CASE WHEN rec.sub IS NULL THEN NULL ELSE struct_pack(x := rec.sub.x::DOUBLE, ys := rec.sub.ys::INTEGER[]) END) END AS rec
  FROM read_json('${src}', format='array', columns={id:'BIGINT', i64:'BIGINT', f:'DOUBLE', d:'DOUBLE', b:'BOOLEAN', s:'VARCHAR', u:'VARCHAR', blob:'VARCHAR',
    ethnicity:'VARCHAR', age:'VARCHAR', gender:'VARCHAR', emotion:'VARCHAR', tags:'VARCHAR[]', nums:'BIGINT[][]',
    image:'STRUCT(bytes VARCHAR, path VARCHAR)', rec:'STRUCT(a BIGINT, sub STRUCT(x DOUBLE, ys BIGINT[]))'}) ORDER BY id`);
fs.unlinkSync(src);
const expected = JSON.stringify(rows);
for (const [name, opts] of [
  ['duck_uncompressed_v1', "COMPRESSION uncompressed"],
  ['duck_snappy_v1', "COMPRESSION snappy"],
  ['duck_gzip_v1', "COMPRESSION gzip"],
  ['duck_zstd_v1', "COMPRESSION zstd"],
  ['duck_zstd_v2', "COMPRESSION zstd, PARQUET_VERSION v2"],
  ['duck_snappy_v2', "COMPRESSION snappy, PARQUET_VERSION v2"],
]) {
  await duck.run(`COPY t TO '${path.join(out, name + '.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048, ${opts})`);
  fs.writeFileSync(path.join(out, name + '.json'), expected);
}

// A file laid out like the published HF sets: Image struct {bytes, path} and a ClassLabel.
const hfRows = rows.slice(0, 300).map((r, i) => ({ image: { bytes: { hex: hex(16) }, path: `${i}.png` }, prompt: `a photo ${i}`, ethnicity: r.ethnicity, age: r.age, gender: r.gender, label: i % EMO.length }));
const hfSrc = path.join(out, 'hf_src.json');
fs.writeFileSync(hfSrc, JSON.stringify(hfRows.map((r) => ({ ...r, image: { bytes: r.image.bytes.hex, path: r.image.path } }))));
const hfMeta = JSON.stringify({ info: { features: { image: { _type: 'Image' }, prompt: { dtype: 'string', _type: 'Value' }, label: { names: EMO, _type: 'ClassLabel' } } } });
await duck.run(`COPY (SELECT struct_pack(bytes := from_hex(image.bytes), path := image.path) AS image, prompt, ethnicity, age, gender, label::BIGINT AS label
  FROM read_json('${hfSrc}', format='array', columns={image:'STRUCT(bytes VARCHAR, path VARCHAR)', prompt:'VARCHAR', ethnicity:'VARCHAR', age:'VARCHAR', gender:'VARCHAR', label:'BIGINT'}))
  TO '${path.join(out, 'hf_like.parquet')}' (FORMAT parquet, COMPRESSION snappy, KV_METADATA {huggingface: '${hfMeta.replaceAll("'", "''")}'})`);
fs.unlinkSync(hfSrc);
fs.writeFileSync(path.join(out, 'hf_like.json'), JSON.stringify(hfRows));

// ---- hyparquet-writer: data pages v2 with the encodings it offers, flat columns. ----
const M = 2500;
const cols = { i32: [], i64: [], fl: [], db: [], st: [], dl: [], dba: [], bo: [], dict: [] };
for (let i = 0; i < M; ++i) {
  const nul = rand() < 0.1;
  cols.i32.push(nul ? null : Math.floor((rand() - 0.5) * 2 ** 31));
  cols.i64.push(BigInt(Math.floor((rand() - 0.5) * 2 ** 52)));
  cols.fl.push(Math.fround((rand() - 0.5) * 100));
  cols.db.push(rand() < 0.1 ? null : rand() * 1e9);
  cols.st.push(rand() < 0.1 ? null : `plain-${hex(3)}`);
  cols.dl.push(`len-${'q'.repeat(Math.floor(rand() * 30))}`);
  cols.dba.push(`prefix/common/${String(i).padStart(6, '0')}`);
  cols.bo.push(rand() < 0.1 ? null : rand() < 0.3);
  cols.dict.push(pick(EMO));
}
const hyColumns = [
  { name: 'i32', data: cols.i32, type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
  { name: 'i64', data: cols.i64, type: 'INT64', encoding: 'DELTA_BINARY_PACKED', nullable: false },
  { name: 'fl', data: cols.fl, type: 'FLOAT', encoding: 'BYTE_STREAM_SPLIT' },
  { name: 'db', data: cols.db, type: 'DOUBLE', encoding: 'PLAIN' },
  { name: 'st', data: cols.st, type: 'STRING', encoding: 'PLAIN' },
  { name: 'dl', data: cols.dl, type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
  { name: 'dba', data: cols.dba, type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' },
  { name: 'bo', data: cols.bo, type: 'BOOLEAN', encoding: 'RLE' },
  { name: 'emotion', data: cols.dict, type: 'STRING' },
];
const hyRows = Array.from({ length: M }, (_, i) => ({ i32: cols.i32[i], i64: Number(cols.i64[i]), fl: cols.fl[i], db: cols.db[i], st: cols.st[i], dl: cols.dl[i], dba: cols.dba[i], bo: cols.bo[i], emotion: cols.dict[i] }));
for (const [name, codec, compressors] of [
  ['hyparquet_snappy', 'SNAPPY', undefined],
  ['hyparquet_uncompressed', 'UNCOMPRESSED', undefined],
  ['hyparquet_gzip', 'GZIP', { GZIP: (b) => new Uint8Array(zlib.gzipSync(b)) }],
]) {
  parquetWriteFile({ filename: path.join(out, name + '.parquet'), columnData: hyColumns, codec, compressors, rowGroupSize: 700 });
  fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify(hyRows));
}
console.log(`wrote fixtures to ${out}`);
