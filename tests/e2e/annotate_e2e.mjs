// End-to-end test of the `emonet annotate` web UI in Debian's headless Chromium.
//
//   node annotate_e2e.mjs <path to emonet> <artifact dir>
//
// Builds a database with the real CLI (users, an intensity and a binary project over
// generated PNG faces), starts `emonet annotate serve` on a free loopback port, and as an
// expert: signs in, rates intensity items with the mouse and the keyboard, checks that an
// all-zero form is refused, answers binary items with the y/n keys (one answer whose
// response is lost on the network and retried), then checks the CLI export (hq.csv,
// binary.csv, events.jsonl) against what was entered. Screenshots of every page go to
// <artifact dir>/screenshots. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { facePng } from './lib/png.mjs';
import { cli, startServer, stopServer } from './lib/server.mjs';

const [emonet, artifactArg] = process.argv.slice(2);
if (!emonet || !artifactArg) {
  console.error('usage: node annotate_e2e.mjs <emonet binary> <artifact dir>');
  process.exit(2);
}
const artifacts = path.resolve(artifactArg);
const shots = path.join(artifacts, 'screenshots');
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(shots, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'emonet-e2e-'));
const db = path.join(work, 'annotate.sqlite');
const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.EMONET_CHROMIUM || '/usr/bin/chromium';
const GUIDE = process.env.EMONET_GUIDE || path.resolve(
    path.dirname(new URL(import.meta.url).pathname), '../../../shared/reference/guide.json');

let step = 0;
function log(message) {
  step += 1;
  console.log(`[e2e ${String(step).padStart(2, '0')}] ${message}`);
}

// ---- Fixtures: images, users, projects -------------------------------------------------
const hqDir = path.join(work, 'hq');
const binDir = path.join(work, 'bin');
fs.mkdirSync(hqDir);
fs.mkdirSync(binDir);
const HQ_ITEMS = 4;
for (let i = 0; i < HQ_ITEMS; i++) fs.writeFileSync(path.join(hqDir, `face_${i}.png`), facePng(i));
const BINARY = [  // image, target emotion, contrast partner (spec §3.3 pairs)
  ['b0.png', 'Anger', 'Contentment'],
  ['b1.png', 'Elation', 'Sadness'],
];
BINARY.forEach(([file], i) => fs.writeFileSync(path.join(binDir, file), facePng(10 + i)));
fs.writeFileSync(path.join(binDir, 'manifest.csv'),
                 'image,emotion,contrast_emotion\n' + BINARY.map((r) => r.join(',')).join('\n') + '\n');

// Compare: two candidate profiles per image (spec §3.4), as the manifest's "sources".
const cmpDir = path.join(work, 'cmp');
fs.mkdirSync(cmpDir);
const COMPARE = [
  { image: 'c0.png', sources: { 'human-median': { Anger: 6, Contempt: 3, Disgust: 2 },
                                model: { Contentment: 5, Relief: 2 } } },
  { image: 'c1.png', sources: { 'human-median': { Amusement: 7, Elation: 4 },
                                model: { Sadness: 4, Doubt: 1 } } },
];
COMPARE.forEach((row, i) => fs.writeFileSync(path.join(cmpDir, row.image), facePng(20 + i)));
fs.writeFileSync(path.join(cmpDir, 'manifest.jsonl'), COMPARE.map((r) => JSON.stringify(r)).join('\n') + '\n');

cli(emonet, ['annotate', 'add-user', '--db', db, '--admin', 'admin'], PASSWORD + '\n');
cli(emonet, ['annotate', 'add-user', '--db', db, 'expert1'], PASSWORD + '\n');
const withGuide = fs.existsSync(GUIDE);
cli(emonet, ['annotate', 'create-project', '--db', db, 'hq-e2e', '--images', hqDir, '--overlap', '2',
             ...(withGuide ? ['--guide', GUIDE] : [])]);
cli(emonet, ['annotate', 'create-project', '--db', db, 'binary-e2e', '--protocol', 'binary',
             '--manifest', path.join(binDir, 'manifest.csv')]);
cli(emonet, ['annotate', 'create-project', '--db', db, 'compare-e2e', '--protocol', 'compare',
             '--manifest', path.join(cmpDir, 'manifest.jsonl'), '--overlap', '1']);
log(`database ready in ${work} (guide.json synonyms: ${withGuide ? 'yes' : 'no'})`);

const server = await startServer(emonet, db, path.join(artifacts, 'server.log'), fs);
log(`server listening on ${server.url}`);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'emonet-e2e-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1366, height: 768 },  // the laptop screen the UI is designed for
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const pageErrors = [];
const page = context.pages()[0] || await context.newPage();
page.on('pageerror', (error) => pageErrors.push(error.message));
page.on('console', (msg) => {
  if (msg.type() === 'error') pageErrors.push(msg.text());
});
page.setDefaultTimeout(15000);
const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: false });

async function waitForImage() {
  await page.waitForFunction(() => {
    const img = document.getElementById('item-image');
    return img && img.complete && img.naturalWidth > 0;
  });
}
async function currentImageSrc() {
  return page.$eval('#item-image', (img) => img.getAttribute('src'));
}

let failed = false;
try {
  // ---- Sign in ---------------------------------------------------------------------------
  await page.goto(server.url + '/');
  assert.match(page.url(), /\/login/, 'unauthenticated visit redirects to the login page');
  await page.fill('#username', 'expert1');
  await page.fill('#password', 'wrong password');
  await page.click('#login-submit');
  await page.waitForURL(/error=/);
  assert.match(await page.textContent('#login-error'), /Sign-in failed/);
  await shot('01-login-error');
  await page.fill('#username', 'expert1');
  await page.fill('#password', PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#project-table');
  await shot('02-dashboard');
  log('signed in; dashboard lists the projects');

  // ---- Intensity: refusal of an all-zero form -------------------------------------------
  await page.click('text=hq-e2e');
  await page.waitForSelector('#rating-form');
  await waitForImage();
  assert.equal(await page.locator('.groups button').count(), 7, 'seven group buttons');
  assert.equal(await page.locator('input[type=range]').count(), 40, 'forty sliders');
  const firstSrc = await currentImageSrc();
  await page.click('#submit');
  await page.waitForSelector('#form-error:not(:empty)');
  assert.match(await page.textContent('#form-error'), /Nothing is rated/);
  assert.equal(await currentImageSrc(), firstSrc, 'a refused form does not advance');
  await shot('03-intensity-refused');
  log('all-zero form refused, item unchanged');

  // ---- Intensity item 1: keyboard only ---------------------------------------------------
  const expected = [];  // per answered item: {image, ratings: {key: value}} or no_emotion
  await page.locator('#item-image').focus();
  await page.keyboard.press('1');  // opens "Positive High-Energy Emotions", focuses its first slider
  const first = page.locator('#panel-1 input[type=range]').first();
  await expectFocused(first);
  await page.keyboard.press('5');  // sets the focused slider (Amusement) to 5
  await page.keyboard.press('Tab');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');  // Elation = 2
  await page.keyboard.press('Escape');
  await page.keyboard.press('4');  // opens group 4, Negative Low-Energy Emotions
  await page.keyboard.press('3');  // its first slider (Sadness) = 3
  assert.equal(await page.textContent('#panel-1 .badge >> nth=0'), '5', 'badge shows 5');
  assert.equal(await page.textContent('#panel-1 .badge >> nth=2'), '', 'badge blank at 0');
  const ratings1 = await formRatings();
  assert.deepEqual(Object.values(ratings1).sort(), [2, 3, 5]);
  await shot('04-intensity-keyboard');
  await page.keyboard.press('Control+Enter');
  await waitForNewImage(firstSrc);
  expected.push({ src: firstSrc, ratings: ratings1 });
  log('item 1 rated with the keyboard and submitted with Ctrl+Enter');

  // ---- Intensity item 2: mouse on the sliders --------------------------------------------
  const secondSrc = await currentImageSrc();
  assert.equal(Object.keys(await formRatings()).length, 0, 'the form is reset for a new item');
  await page.click('#group-3');  // Negative High-Energy Emotions
  await page.click('#group-6');  // Physical and Exhaustive States
  const anger = page.locator('#panel-3 input[type=range]').nth(1);
  await clickSliderAt(anger, 7);  // far right: 7
  const pain = page.locator('#panel-6 input[type=range]').first();
  await dragSliderTo(pain, 3);
  const ratings2 = await formRatings();
  assert.equal(ratings2[await anger.getAttribute('name')], 7, 'click at the right end gives 7');
  assert.ok(ratings2[await pain.getAttribute('name')] >= 2, 'dragging the slider sets a value');
  await shot('05-intensity-mouse');
  await page.click('#submit');
  await waitForNewImage(secondSrc);
  expected.push({ src: secondSrc, ratings: ratings2 });
  log('item 2 rated with the mouse');

  // ---- Intensity item 3: "no emotion" ---------------------------------------------------
  const thirdSrc = await currentImageSrc();
  await page.locator('#item-image').focus();
  await page.keyboard.press('x');
  assert.equal(await page.isChecked('#no-emotion'), true);
  await page.keyboard.press('Control+Enter');
  await waitForNewImage(thirdSrc);
  expected.push({ src: thirdSrc, ratings: {} });
  log('item 3 submitted as "no emotion"');

  // ---- Previous: the stored answer comes back, an edit keeps history ---------------------
  await page.click('#prev');
  await page.waitForFunction((src) => document.getElementById('item-image').getAttribute('src') === src, thirdSrc);
  assert.equal(await page.isChecked('#no-emotion'), true, 'previous shows the stored answer');
  await page.click('#prev');
  await page.waitForFunction((src) => document.getElementById('item-image').getAttribute('src') === src, secondSrc);
  assert.deepEqual(await formRatings(), ratings2, 'previous restores the sliders');
  await shot('06-intensity-previous');
  await page.click('#next');
  await page.click('#next');
  await waitForImage();
  log('previous/next show the stored answers');

  // ---- Resume after reload ---------------------------------------------------------------
  const fourthSrc = await currentImageSrc();
  await page.reload();
  await waitForImage();
  assert.equal(await currentImageSrc(), fourthSrc, 'reload resumes at the same unanswered item');
  log('reload resumes at the next unanswered item');

  // ---- Binary: y / n keys and a lost response ---------------------------------------------
  await page.goto(server.url + '/');
  await page.click('text=binary-e2e');
  await page.waitForSelector('#binary-app');
  await waitForImage();
  await page.waitForFunction(() => !document.getElementById('answer-yes').disabled);
  await shot('07-binary');
  // The first answer reaches the server but its response is lost: the UI must retry
  // with the same idempotency key and the server must count it once.
  let dropped = 0;
  await page.route('**/answer', async (route) => {
    if (dropped === 0) {
      dropped += 1;
      await route.fetch();   // the server stores the answer ...
      await route.abort('connectionreset');  // ... but the browser never hears back
    } else {
      await route.continue();
    }
  });
  const binaryAnswers = [];
  const keys = ['y', 'n', 'n', 'y'];
  for (let i = 0; i < BINARY.length * 2; i++) {
    await page.waitForFunction(() => !document.getElementById('answer-yes').disabled);
    const emotion = await page.textContent('#emotion-name');
    const src = await currentImageSrc();
    await page.keyboard.press(keys[i]);
    binaryAnswers.push({ src, emotion, value: keys[i] === 'y' });
    if (i === 0) {
      await page.waitForSelector('#status:has-text("retrying")');
      await shot('08-binary-retrying');
    }
    // The UI advances only after the server acknowledged (after the retry for i = 0).
    await page.waitForFunction(
        (prev) => document.getElementById('all-done') ||
                  document.getElementById('item-image').getAttribute('src') !== prev,
        src, { timeout: 30000 });
  }
  await page.unroute('**/answer');
  assert.equal(dropped, 1);
  await page.waitForSelector('#all-done');
  await shot('09-binary-done');
  log(`binary: ${binaryAnswers.length} answers with y/n, one retried after a lost response`);

  // ---- Compare: arrow keys ----------------------------------------------------------------
  await page.goto(server.url + '/');
  await page.click('text=compare-e2e');
  await page.waitForSelector('#compare-app');
  await waitForImage();
  await page.waitForSelector('#profile-left li');
  await shot('10-compare');
  const picks = [];
  for (const key of ['ArrowLeft', 'ArrowRight']) {
    const src = await currentImageSrc();
    const left = await page.$$eval('#profile-left li', (lis) => lis.map((li) => li.textContent));
    const right = await page.$$eval('#profile-right li', (lis) => lis.map((li) => li.textContent));
    const picked = key === 'ArrowLeft' ? left : right;
    // The shown profile identifies its source: the one whose emotions it lists.
    const row = COMPARE.find((r) => Object.values(r.sources).some(
        (profile) => sameSet(Object.keys(profile), picked)));
    const source = Object.keys(row.sources).find((name) => sameSet(Object.keys(row.sources[name]), picked));
    picks.push({ image: row.image, source, side: key === 'ArrowLeft' ? 'left' : 'right' });
    await page.keyboard.press(key);
    await page.waitForFunction(
        (prev) => document.getElementById('all-done') ||
                  document.getElementById('item-image').getAttribute('src') !== prev,
        src);
  }
  await page.waitForSelector('#all-done');
  log('compare: picked with the arrow keys');

  // ---- Admin pages -----------------------------------------------------------------------
  await page.click('text=Sign out');
  await page.waitForURL(/\/login/);
  await page.fill('#username', 'admin');
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.goto(server.url + '/admin');
  await page.waitForSelector('#project-table');
  await page.waitForSelector('#user-table');
  await page.fill('#new-username', 'expert2');
  await page.fill('#new-password', PASSWORD);
  await page.click('#add-user button[type=submit]');
  await page.waitForSelector('#user-table >> text=expert2');
  await shot('11-admin');
  await page.click('#project-table >> text=hq-e2e');
  await page.waitForSelector('#expert-table');
  await page.waitForSelector('#agreement-table');
  assert.match(await page.textContent('#expert-table'), /expert1/);
  await shot('12-admin-project');
  log('admin overview (a user added through the form) and project pages render');

  // ---- Export -----------------------------------------------------------------------------
  const hq = parseCsv(cli(emonet, ['annotate', 'export', '--db', db, 'hq-e2e', '--as', 'hq.csv']));
  fs.writeFileSync(path.join(artifacts, 'hq.csv'), toCsvText(hq));
  assert.deepEqual(hq[0], ['image', 'annotator', 'human', 'annotations']);
  const hqRows = hq.slice(1);
  assert.equal(hqRows.length, expected.length, 'one hq.csv row per submitted item');
  const srcToImage = await imageNamesFor(expected.map((e) => e.src));
  for (const want of expected) {
    const row = hqRows.find((r) => r[0] === srcToImage[want.src]);
    assert.ok(row, `hq.csv has a row for ${srcToImage[want.src]}`);
    assert.equal(row[1], 'expert1');
    assert.equal(row[2], 'True');
    const dict = parsePyDict(row[3]);
    assert.equal(Object.keys(dict).length, 40, 'the dict has all 40 emotions');
    const nonZero = Object.fromEntries(Object.entries(dict).filter(([, v]) => v !== 0));
    assert.deepEqual(nonZero, want.ratings, `ratings of ${row[0]}`);
  }
  const binary = parseCsv(cli(emonet, ['annotate', 'export', '--db', db, 'binary-e2e', '--as', 'binary.csv']));
  fs.writeFileSync(path.join(artifacts, 'binary.csv'), toCsvText(binary));
  assert.deepEqual(binary[0], ['path', 'annotator', 'value', 'emotion']);
  const binRows = binary.slice(1);
  assert.equal(binRows.length, binaryAnswers.length, 'one binary.csv row per answer, none doubled');
  for (const answer of binaryAnswers) {
    const row = binRows.find((r) => r[3] === answer.emotion);
    assert.ok(row, `binary.csv has ${answer.emotion}`);
    assert.equal(row[1], 'expert1');
    assert.equal(row[2], answer.value ? 'True' : 'False', `value for ${answer.emotion}`);
  }
  const events = cli(emonet, ['annotate', 'export', '--db', db, 'binary-e2e', '--as', 'events.jsonl'])
                     .split('\n').filter(Boolean);
  assert.equal(events.length, binaryAnswers.length, 'the retried answer is one event');
  const compare = parseCsv(cli(emonet, ['annotate', 'export', '--db', db, 'compare-e2e', '--as', 'compare.csv']));
  fs.writeFileSync(path.join(artifacts, 'compare.csv'), toCsvText(compare));
  assert.deepEqual(compare[0].slice(0, 4), ['image', 'annotator', 'pick', 'source']);
  assert.equal(compare.length - 1, picks.length, 'one compare.csv row per pick');
  for (const pick of picks) {
    const row = compare.find((r) => r[0] === pick.image);
    assert.ok(row, `compare.csv has ${pick.image}`);
    assert.equal(row[2], pick.side);
    assert.equal(row[3], pick.source, `the picked source of ${pick.image}`);
  }
  log('exports match what was entered (hq.csv, binary.csv, compare.csv, events.jsonl)');

  assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource/.test(e)), [],
                   'no JavaScript errors');
} catch (error) {
  failed = true;
  console.error('E2E FAILURE:', error);
  try {
    await shot('99-failure');
  } catch (screenshotError) {
    console.error('could not take a failure screenshot:', screenshotError.message);
  }
} finally {
  await context.close();
  await stopServer(server);
  fs.rmSync(profile, { recursive: true, force: true });
  if (!failed) fs.rmSync(work, { recursive: true, force: true });
}
console.log(failed ? 'e2e: FAILED' : `e2e: passed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);

// ---- helpers -------------------------------------------------------------------------------
async function expectFocused(locator) {
  const focused = await locator.evaluate((node) => node === document.activeElement);
  assert.ok(focused, 'expected focus on ' + (await locator.getAttribute('id')));
}
async function formRatings() {
  return page.$$eval('#rating-form input[type=range]', (sliders) => Object.fromEntries(
      sliders.filter((s) => Number(s.value) > 0).map((s) => [s.name, Number(s.value)])));
}
async function waitForNewImage(previous) {
  await page.waitForFunction((src) => {
    const img = document.getElementById('item-image');
    return document.getElementById('all-done') ||
           (img.getAttribute('src') !== src && img.complete && img.naturalWidth > 0);
  }, previous);
}
// Clicks the slider track where `value` (0..7) sits.
async function clickSliderAt(slider, value) {
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  const x = box.x + 8 + ((box.width - 16) * value) / 7;
  await page.mouse.click(Math.min(x, box.x + box.width - 1), box.y + box.height / 2);
}
async function dragSliderTo(slider, value) {
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 8, y);
  await page.mouse.down();
  await page.mouse.move(box.x + 8 + ((box.width - 16) * value) / 7, y, { steps: 5 });
  await page.mouse.up();
}
function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}
// Maps image URLs (/images/<pid>/<iid>) to the file names the export uses.
async function imageNamesFor(srcs) {
  const result = {};
  const progress = await page.evaluate(async () => {
    const projects = await (await fetch('/api/admin/projects')).json();
    const hq = projects.projects.find((p) => p.name === 'hq-e2e');
    return (await fetch(`/api/admin/projects/${hq.id}/progress?offset=0&limit=100`)).json();
  });
  for (const src of srcs) {
    const id = Number(src.split('/').pop());
    const item = progress.per_item.find((i) => i.item_id === id);
    result[src] = item.image;
  }
  return result;
}
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
function toCsvText(rows) {
  return rows.map((r) => r.map((f) => (/[",\n]/.test(f) ? '"' + f.replace(/"/g, '""') + '"' : f)).join(','))
             .join('\n') + '\n';
}
// {'Group|Emotion': 3, ...} (Python dict literal of hq.csv)
function parsePyDict(text) {
  const dict = {};
  for (const match of text.matchAll(/'((?:[^'\\]|\\.)*)'\s*:\s*(-?[0-9.]+)/g)) {
    dict[match[1]] = Number(match[2]);
  }
  return dict;
}
