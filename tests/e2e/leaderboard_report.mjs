// Opens the report.html of `emonet bench leaderboard` in Debian's headless Chromium.
//
//   node leaderboard_report.mjs <path to emonet> <fixture dir> <artifact dir>
//
// The fixture dir is what tests/fixtures/leaderboard_reference.py wrote (hq.csv, a.jsonl,
// b.jsonl). Runs the real CLI into <artifact dir>/board, loads report.html from disk and
// checks that it is self-contained (no request other than the page itself, no console
// errors), that both SVG plots are drawn (ranked bars with one CI line per row, a heat map
// cell per run/anchor and emotion) and that the table lists every run; keeps a full-page
// screenshot as <artifact dir>/leaderboard_report.png. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

import { cli } from './lib/server.mjs';

const [emonet, fixtureArg, artifactArg] = process.argv.slice(2);
if (!emonet || !fixtureArg || !artifactArg) {
  console.error('usage: node leaderboard_report.mjs <emonet binary> <fixture dir> <artifact dir>');
  process.exit(2);
}
const fixture = path.resolve(fixtureArg);
const artifacts = path.resolve(artifactArg);
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const board = path.join(artifacts, 'board');
const RUNS = ['A ZS', 'B', 'Random Baseline'];
cli(emonet, ['--quiet', 'bench', 'leaderboard', path.join(fixture, 'hq.csv'),
             '--run', `A ZS=${path.join(fixture, 'a.jsonl')}`,
             '--run', `B=${path.join(fixture, 'b.jsonl')}`, '--run', 'Random Baseline',
             '--bootstrap', '50', '--out', board]);
const report = path.join(board, 'report.html');
const emotions = JSON.parse(fs.readFileSync(path.join(board, 'leaderboard.json'), 'utf8')).emotions;

const browser = await chromium.launch({
  executablePath: process.env.EMONET_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-dev-shm-usage', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = pathToFileURL(report).href;
  await page.goto(url, { timeout: 30000 });
  assert.deepEqual(requests, [url], 'report.html must load nothing but itself');
  assert.deepEqual(errors, []);

  const bars = page.locator('svg#bars');
  await bars.waitFor({ timeout: 10000 });
  assert.equal(await bars.locator('rect').count(), RUNS.length + 1);  // the anchor + each run
  assert.ok(await bars.locator('line').count() >= RUNS.length + 1);    // CI lines and axes
  const box = await bars.boundingBox();
  assert.ok(box && box.width > 300 && box.height > 80, `bars drawn (${JSON.stringify(box)})`);
  const heat = page.locator('svg#heatmap');
  assert.equal(await heat.locator('rect').count(), (RUNS.length + 1) * emotions.length);
  for (const e of emotions) assert.ok((await heat.textContent()).includes(e), e);
  const table = await page.locator('table').textContent();
  for (const r of RUNS) assert.ok(table.includes(r), r);
  await page.screenshot({ path: path.join(artifacts, 'leaderboard_report.png'), fullPage: true });
  console.log(`leaderboard report OK; screenshot in ${artifacts}`);
} finally {
  await browser.close();
}
