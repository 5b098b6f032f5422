// `emonet data audit` report.html in Debian's headless Chromium: runs the real audit on
// the unit fixture dataset (tests/fixtures/audit_reference.py), opens the report from a
// file:// URL and checks that it loads nothing else, that every SVG plot renders with a
// non-empty box and the marks it should have (margin bars, heat map cells, CI points),
// and keeps a full-page screenshot in the artifact folder.
//
// usage: node report.mjs EMONET FIXTURE_DATA_DIR ARTIFACT_DIR E2E_DIR
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [emonet, data, artifacts, e2eDir] = process.argv.slice(2);
// playwright-core is installed once for all browser tests in tests/e2e (npm ci fixture).
const require = createRequire(path.join(e2eDir, 'package.json'));
const { chromium } = require('playwright-core');
const CHROMIUM = process.env.EMONET_CHROMIUM || '/usr/bin/chromium';

fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const out = path.join(artifacts, 'report');
const run = spawnSync(emonet, ['--quiet', 'data', 'audit', data, '--out', out,
  '--design', path.join(data, 'design.csv'), '--predictions', path.join(data, 'predictions.jsonl'),
  '--hq', path.join(data, 'hq.csv'), '--hq-model', 'Model A',
  '--embeddings', path.join(data, 'embeddings.npy'), '--bootstrap', '100', '--permutations', '49'],
{ encoding: 'utf8' });
assert.equal(run.status, 0, `emonet data audit failed: ${run.stderr}`);
const audit = JSON.parse(fs.readFileSync(path.join(out, 'audit.json'), 'utf8'));

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'emonet-audit-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(path.join(out, 'report.html')).href;
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });

  assert.deepEqual(errors, [], 'no page errors');
  assert.deepEqual(requests, [url], 'the report is self-contained: it requests nothing else');
  const svgs = await page.$$eval('svg', (els) => els.map((e) => {
    const b = e.getBoundingClientRect();
    return { cls: e.getAttribute('class'), w: b.width, h: b.height,
             rects: e.querySelectorAll('rect').length, circles: e.querySelectorAll('circle').length };
  }));
  for (const s of svgs) assert.ok(s.w > 50 && s.h > 20, `svg ${s.cls} renders (${s.w}x${s.h})`);
  const margins = svgs.filter((s) => s.cls === 'margins');
  assert.equal(margins.length, audit.balance.axes.length, 'one margin plot per axis');
  audit.balance.axes.forEach((a, i) => assert.equal(margins[i].rects, a.levels.length,
    `${a.axis}: one bar per level`));
  const heat = svgs.filter((s) => s.cls === 'heatmap');
  assert.equal(heat.length, 1, 'one heat map');
  const ethnicities = new Set(audit.groups.metrics.filter((m) => m.axis === 'ethnicity')
    .map((m) => m.group));
  assert.equal(heat[0].rects, ethnicities.size * audit.groups.emotions.length,
    'heat map: a cell per ethnicity x emotion');
  const ci = svgs.filter((s) => s.cls === 'ci');
  assert.ok(ci.length >= 4, `CI plots for kappa and scores (${ci.length})`);
  assert.ok(ci.every((s) => s.circles > 0), 'every CI plot has points');
  // A plotted bar is visible: its colour is painted (not just in the DOM).
  const barFill = await page.$eval('svg.margins rect', (r) => getComputedStyle(r).fill);
  assert.equal(barFill, 'rgb(76, 120, 168)');
  assert.ok(await page.isVisible('text=Permutation tests'));
  await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
  console.log(`data audit report: ${svgs.length} SVG plots render; screenshot in ${artifacts}`);
} catch (e) {
  failed = true;
  console.error(e);
  try {
    await context.pages()[0]?.screenshot({ path: path.join(artifacts, 'failure.png') });
  } catch (shotError) {
    console.error('could not take a failure screenshot:', shotError.message);
  }
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
