// End-to-end test of the `emonet serve` demo page (GET /) in Debian's headless Chromium.
//
//   node serve_demo_e2e.mjs <emonet> <model dir> <faces image> <artifact dir>
//
// Starts the real `emonet serve` with a small generated model on a free loopback port,
// opens the page, picks an image with two drawn faces and checks that the page draws one
// box per face and, per face, the top emotions as labelled bars plus the four extra
// dimensions, with the same boxes, names and numbers as `emonet predict --faces` writes
// for that image. Then the whole-image path (face finding off, image dropped onto the
// page), a corrupt image and an unsupported file, whose server errors must be shown in
// the page. Every request the page makes must go to the server itself (no external
// asset). Screenshots go to <artifact dir>. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [emonet, modelDir, facesImage, artifactArg] = process.argv.slice(2);
if (!emonet || !modelDir || !facesImage || !artifactArg) {
  console.error('usage: node serve_demo_e2e.mjs <emonet> <model dir> <faces image> <artifact dir>');
  process.exit(2);
}
const artifacts = path.resolve(artifactArg);
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const CHROMIUM = process.env.EMONET_CHROMIUM || '/usr/bin/chromium';
const TOP = 5;
let step = 0;
const log = (message) => console.log(`[serve-demo ${String(++step).padStart(2, '0')}] ${message}`);

function cli(args) {
  const r = spawnSync(emonet, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`emonet ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

// ---- What the page must show, from the CLI ----------------------------------------------
const names = new Map(JSON.parse(cli(['taxonomy', '--format', 'json'])).map((c) => [c.head_key, c]));
const expectedFaces = cli(['predict', '--model', modelDir, '--faces', '--format', 'jsonl', facesImage])
  .trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
const expectedWhole = JSON.parse(cli(['predict', '--model', modelDir, '--format', 'jsonl', facesImage]));
assert.ok(expectedFaces.length >= 2, `the test image should hold two detectable faces, CLI found ${expectedFaces.length}`);
function topEmotions(results) {
  return Object.entries(results).filter(([, r]) => typeof r.softmax === 'number')
    .sort((a, b) => b[1].softmax - a[1].softmax).slice(0, TOP)
    .map(([key, r]) => ({ name: names.get(key).name, value: `${(100 * r.softmax).toFixed(1)} %` }));
}
function extras(results) {
  return ['valence', 'arousal', 'dominance', 'emotional_vulnerability'].map((stem) => ({
    name: names.get(`model_${stem}_best`).name, value: results[`model_${stem}_best`].raw.toFixed(2) }));
}
log(`CLI reference: ${expectedFaces.length} faces in ${path.basename(facesImage)}`);

// ---- The server --------------------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverLog = fs.openSync(path.join(artifacts, 'server.log'), 'w');
const server = spawn(emonet, ['serve', '--model', modelDir, '--listen', `127.0.0.1:${port}`],
                     { stdio: ['ignore', serverLog, serverLog] });
let serverExit = null;
server.on('exit', (code, signal) => { serverExit = { code, signal }; });
async function stopServer() {
  if (serverExit) return serverExit;
  const done = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  const kill = setTimeout(() => server.kill('SIGKILL'), 20000);
  const result = await done;
  clearTimeout(kill);
  return result;
}
// Readiness: poll /health/ready (503 while the model loads) for at most 60 s.
let ready = false;
for (let i = 0; i < 240 && !ready && !serverExit; i++) {
  try { ready = (await fetch(`${base}/health/ready`)).status === 200; } catch (_) { /* not listening yet */ }
  if (!ready) await new Promise((r) => setTimeout(r, 250));
}
if (!ready) {
  await stopServer();
  throw new Error(`emonet serve did not become ready on ${base} (exit ${JSON.stringify(serverExit)}); see server.log`);
}
log(`emonet serve ready on ${base}`);

// ---- The browser -------------------------------------------------------------------------
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'emonet-serve-demo-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1366, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(30000);
const pageErrors = [];
const foreign = [];
page.on('pageerror', (error) => pageErrors.push(error.message));
page.on('console', (msg) => {
  // The browser logs failed fetches (the deliberate 422/415) as console errors; those are
  // expected, script errors are not.
  if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) pageErrors.push(msg.text());
});
page.on('request', (request) => {
  const url = request.url();
  if (!url.startsWith(base) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
});
const shot = (name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

async function cards() {
  return page.$$eval('.face-card', (nodes) => nodes.map((card) => ({
    title: card.querySelector('h2').firstChild.textContent,
    emotions: [...card.querySelectorAll('.row.emotion')].map((r) => ({
      name: r.querySelector('.name').textContent, value: r.querySelector('.value').textContent,
      width: parseFloat(r.querySelector('.bar').style.width) })),
    extras: [...card.querySelectorAll('.row.extra')].map((r) => ({
      name: r.querySelector('.name').textContent, value: r.querySelector('.value').textContent })),
  })));
}

let failure = null;
try {
  const reply = await page.goto(base + '/');
  assert.equal(reply.status(), 200);
  assert.match(reply.headers()['content-type'] || '', /text\/html/);
  assert.equal(await page.title(), 'EmoNet demo');
  await page.waitForFunction(() => !/checking|loading/.test(document.getElementById('model').textContent));
  log(`page loaded; header says "${await page.textContent('#model')}"`);

  // 1. Pick the two-face image: one box and one card per face, numbers as the CLI's.
  await page.setInputFiles('#file', facesImage);
  await page.waitForSelector('.face-card');
  await page.waitForFunction(() => {
    const img = document.getElementById('preview');
    return img.complete && img.naturalWidth > 0;
  });
  const boxes = await page.$$eval('#boxes rect', (rects) => rects.map((r) =>
    ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k)))));
  assert.deepEqual(boxes, expectedFaces.map((f) => [f.box.x, f.box.y, f.box.width, f.box.height]),
                   'face boxes drawn = boxes emonet predict --faces finds');
  const shown = await cards();
  assert.equal(shown.length, expectedFaces.length, 'one card per face');
  shown.forEach((card, i) => {
    assert.equal(card.title, `Face ${i + 1}`);
    assert.deepEqual(card.emotions.map(({ name, value }) => ({ name, value })), topEmotions(expectedFaces[i].results),
                     `face ${i + 1}: top ${TOP} emotions (names, % softmax) as the CLI's`);
    assert.equal(card.emotions[0].width, 100, 'the strongest bar is full width');
    for (const e of card.emotions) assert.ok(e.width > 0 && e.width <= 100, `bar width ${e.width}`);
    assert.deepEqual(card.extras, extras(expectedFaces[i].results), `face ${i + 1}: the four extra dimensions`);
  });
  // The overlay is scaled onto the displayed image: the first box lands on the first face.
  const overlay = await page.$eval('#boxes rect', (r) => { const b = r.getBoundingClientRect(); return [b.width, b.height]; });
  const img = await page.$eval('#preview', (i) => [i.clientWidth, i.naturalWidth]);
  const scale = img[0] / img[1];
  assert.ok(Math.abs(overlay[0] - expectedFaces[0].box.width * scale) < 3, `box drawn at display scale (${overlay[0]} px)`);
  assert.match(await page.textContent('#status'), new RegExp(`${expectedFaces.length} faces`));
  assert.equal(await page.isVisible('#error'), false, 'no error shown for a good image');
  await shot('faces');
  log(`${shown.length} faces: boxes and bars match emonet predict --faces; screenshot faces.png`);

  // 2. Face finding off, image dropped onto the page: one whole-image card, no boxes.
  await page.uncheck('#detect');
  const bytes = fs.readFileSync(facesImage).toString('base64');
  const drop = await page.evaluateHandle((b64) => {
    const raw = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([raw], 'dropped.png', { type: 'image/png' }));
    return dt;
  }, bytes);
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: drop });
  await page.waitForFunction(() => /dropped\.png: whole image/.test(document.getElementById('status').textContent));
  const whole = await cards();
  assert.equal(whole.length, 1);
  assert.equal(whole[0].title, 'Whole image');
  assert.deepEqual(whole[0].emotions.map(({ name, value }) => ({ name, value })), topEmotions(expectedWhole.results));
  assert.deepEqual(whole[0].extras, extras(expectedWhole.results));
  assert.equal(await page.$$eval('#boxes rect', (r) => r.length), 0, 'no boxes without face finding');
  await shot('whole_image');
  log('dropped image without face finding: one whole-image card, as emonet predict');

  // 3. A corrupt image (a truncated PNG): the server's 422 and its reason shown in the page.
  await page.check('#detect');
  const truncated = fs.readFileSync(facesImage).subarray(0, 200);
  await page.setInputFiles('#file', { name: 'broken.png', mimeType: 'image/png', buffer: truncated });
  await page.waitForSelector('#error.shown');
  const corrupt = await page.textContent('#error');
  assert.match(corrupt, /422/, `error names the status: ${corrupt}`);
  assert.ok(corrupt.replace(/The server answered 422[^:]*:/, '').trim().length > 3, `error carries the server's reason: ${corrupt}`);
  assert.equal(await page.$$eval('.face-card', (n) => n.length), 0, 'no stale results next to the error');
  assert.equal(await page.isVisible('#stage'), false, 'no half-decoded picture next to the error');
  await shot('error_corrupt');
  log(`corrupt image: "${corrupt}"`);

  // 4. Not an image at all: 415 shown; then a good image clears the error again.
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await page.waitForFunction(() => /415/.test(document.getElementById('error').textContent));
  log(`unsupported file: "${await page.textContent('#error')}"`);
  await page.setInputFiles('#file', facesImage);
  await page.waitForSelector('.face-card');
  assert.equal(await page.isVisible('#error'), false, 'a good image clears the error');

  assert.deepEqual(foreign, [], 'the page requests nothing outside the server');
  assert.deepEqual(pageErrors, [], 'no script errors in the page');
  log('no external request, no script error');
} catch (error) {
  failure = error;
  await shot('failure').catch(() => {});
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
const exit = await stopServer();
log(`server stopped (exit ${JSON.stringify(exit)})`);
if (failure) {
  console.error(failure);
  process.exit(1);
}
console.log(`serve demo e2e passed; screenshots in ${artifacts}`);
