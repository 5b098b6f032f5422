// The DuckDB side of bench/parquet_bench.sh (DuckDB's Node package, from the node_modules
// that tests/unit/parquet's `npm ci` installs).
//   node parquet_bench.mjs PARQUET_TEST_DIR generate FILE [MB]
//     writes a shard laid out like the published HF sets, snappy: `image` Image struct
//     {bytes: incompressible 8-24 KiB (as JPEG bytes are), path}, `prompt` (about 200
//     characters), `demographics` struct {ethnicity, gender, age}, ClassLabel-style
//     `emotion` BIGINT, `annotations` string; row groups of 2,000 rows (HF `datasets`
//     writes smaller ones for image sets); about MB megabytes (default 1024).
//   node parquet_bench.mjs PARQUET_TEST_DIR read FILE ITERS
//     SET threads=1, then ITERS times a query that materialises every column; prints one
//     JSON line {"seconds": [...], "rows": N}.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [parquetDir, mode, file, arg] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(parquetDir), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const duck = await (await DuckDBInstance.create(':memory:')).connect();

if (mode === 'generate') {
  const target = Number(arg || 1024) * 1024 * 1024;
  const ETH = ['American Indian or Alaska Native', 'white caucasian north american', 'Middle Eastern',
    'North African', 'Asian', 'White', 'South Asian', 'white caucasian european', 'Hispanic or Latino',
    'Southeast Asian', 'arabic', 'Native Hawaiian or Other Pacific Islander', 'Black or African American', 'Indian'];
  const GEN = ['man', 'woman', 'non-binary person'];
  await duck.run(`CREATE TABLE t (img BLOB, path VARCHAR, prompt VARCHAR, ethnicity VARCHAR,
    gender VARCHAR, age BIGINT, emotion BIGINT, annotations VARCHAR)`);
  const app = await duck.createAppender('t');
  let bytes = 0;
  for (let i = 0; bytes < target; ++i) {
    const n = 8192 + ((i * 7919) % 16384);
    const img = crypto.randomBytes(n);
    img[0] = 0xff; img[1] = 0xd8;  // a JPEG start, as the real files have
    const eth = ETH[i % ETH.length], gen = GEN[i % GEN.length], age = 20 + 10 * (i % 7);
    const prompt = `a focused close-up photo of a ${eth} ${gen} of ${age} years with soft smooth skin who seems to genuinely experience emotion ${i % 40}. Strong facial expression. No wrinkles`;
    app.appendBlob(img);
    app.appendVarchar(`${String(i).padStart(6, '0')}.jpg`);
    app.appendVarchar(prompt);
    app.appendVarchar(eth);
    app.appendVarchar(gen);
    app.appendBigInt(BigInt(age));
    app.appendBigInt(BigInt(i % 40));
    app.appendVarchar(`{'Joy|Amusement': ${i % 8}, 'Fear|Anxiety': ${(i * 3) % 8}}`);
    app.endRow();
    bytes += n + prompt.length + 60;
  }
  app.closeSync();
  const meta = JSON.stringify({ info: { features: { image: { _type: 'Image' },
    emotion: { _type: 'ClassLabel', names: Array.from({ length: 40 }, (_, k) => `E${k}`) } } } });
  await duck.run(`COPY (SELECT struct_pack(bytes := img, path := path) AS image, prompt,
      struct_pack(ethnicity := ethnicity, gender := gender, age := age) AS demographics, emotion, annotations
      FROM t) TO '${file}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2000,
      KV_METADATA {huggingface: '${meta.replaceAll("'", "''")}'})`);
  console.log(`wrote ${file}: ${fs.statSync(file).size} bytes`);
} else if (mode === 'read') {
  await duck.run('SET threads=1');
  const q = `SELECT count(*) AS n, sum(octet_length(image.bytes)) AS b, sum(length(image.path)) AS p,
    sum(length(prompt)) AS pr, sum(length(demographics.ethnicity)) AS e, sum(length(demographics.gender)) AS g,
    sum(demographics.age) AS a, sum(emotion) AS em, sum(length(annotations)) AS an FROM read_parquet('${file}')`;
  const seconds = [];
  let rows = 0;
  await (await duck.runAndReadAll(q)).getRows();  // warm-up (page cache, metadata)
  for (let k = 0; k < Number(arg || 5); ++k) {
    const t0 = process.hrtime.bigint();
    const r = await duck.runAndReadAll(q);
    rows = Number(r.getRows()[0][0]);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(JSON.stringify({ seconds, rows }));
} else {
  console.error('usage: node parquet_bench.mjs PARQUET_TEST_DIR generate|read FILE [MB|ITERS]');
  process.exit(2);
}
