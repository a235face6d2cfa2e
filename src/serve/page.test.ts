/**
 * The web page of `facenet serve` in headless Chromium (Debian's, driven by playwright-core):
 * enroll two LFW people from photos through the form, upload a photo, and read the label the page
 * drew on the canvas; delete a subject from the list. Screenshot: .cache/artifacts/serve-page.png.
 *
 * What this proves, honestly: the page's whole path (form upload -> API -> gallery -> canvas
 * boxes and names) works and names the best match. It does not prove recognition quality: there
 * is no trained face model offline, and the test's small random model maps different people to
 * nearly the same embedding. So each query photo is one of the photos enrolled for that person
 * (its own face matches at distance 0, deterministically), and both people are queried, so a page
 * that always drew the same name would fail.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { startServer, type RunningServer } from './server.js';
import { ZOO } from '../test-support/shared.js';
import { launchChromium, type Browser } from '../test-support/browser.js';
import { REPO, lfwPhotos, writeTinyModel } from '../test-support/serve-fixture.js';

const ARTIFACT = path.join(REPO, '.cache', 'artifacts', 'serve-page.png');
const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-serve-page-'));
const A = ['Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg', 'Akhmed_Zakayev/Akhmed_Zakayev_0002.jpg'];
const B = ['Amber_Tamblyn/Amber_Tamblyn_0001.jpg', 'Amber_Tamblyn/Amber_Tamblyn_0002.jpg'];
let server: RunningServer;
let browser: Browser;
let page: Page;
let photos: Map<string, Buffer>;

const file = (name: string) => ({ name: path.basename(name), mimeType: 'image/jpeg', buffer: photos.get(name)! });

before(async () => {
  photos = await lfwPhotos([...A, ...B]);
  const model = await writeTinyModel(path.join(dir, 'tiny.safetensors'));
  server = await startServer({ gallery: path.join(dir, 'gallery.db'), model, port: 0, mirror: ZOO, home: path.join(dir, 'home'), threads: 1, logger: pino({ level: 'silent' }) });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('dialog', (d) => void d.accept());
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function enroll(name: string, files: string[]): Promise<void> {
  await page.fill('#enroll-name', name);
  await page.setInputFiles('#enroll-files', files.map(file));
  await page.click('#enroll-form button[type=submit]');
  await page.waitForFunction((n) => document.getElementById('enroll-status')!.textContent!.includes(`of ${n}`), name, { timeout: 120_000 });
}

async function identify(photo: string): Promise<string[]> {
  await page.evaluate(() => (document.getElementById('canvas')!.dataset['labels'] = 'pending'));
  await page.setInputFiles('#identify-file', [file(photo)]);
  await page.waitForFunction(() => document.getElementById('canvas')!.dataset['labels'] !== 'pending', undefined, { timeout: 120_000 });
  return JSON.parse((await page.getAttribute('#canvas', 'data-labels'))!) as string[];
}

test('serve page: enroll two people, identify an uploaded photo, the drawn label names the right person', { timeout: 300_000 }, async () => {
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('health')!.textContent!.startsWith('ok'));
  await enroll('Akhmed Zakayev', A);
  await enroll('Amber Tamblyn', B);
  await page.waitForFunction(() => document.querySelectorAll('#subject-list li').length === 2);
  assert.deepEqual(await page.$$eval('#subject-list li span', (els) => els.map((e) => e.textContent)), ['Akhmed Zakayev (2 faces)', 'Amber Tamblyn (2 faces)']);

  assert.deepEqual(await identify(B[1]!), ['Amber Tamblyn']);
  assert.deepEqual(await identify(A[1]!), ['Akhmed Zakayev']);
  assert.deepEqual(await page.$$eval('#labels li', (els) => els.map((e) => e.textContent)), ['Akhmed Zakayev']);
  // The box was drawn: the canvas holds the photo's size and the box colour sits on the box's edge.
  const drawn = await page.evaluate(async () => {
    const c = document.getElementById('canvas') as HTMLCanvasElement;
    return { w: c.width, h: c.height };
  });
  assert.deepEqual(drawn, { w: 250, h: 250 });
  const ids = await (await fetch(server.url + '/v1/identify', { method: 'POST', body: (() => { const f = new FormData(); f.append('image', new Blob([photos.get(A[1]!)!], { type: 'image/jpeg' }), 'a.jpg'); return f; })() })).json() as { faces: { box: number[] }[] };
  const [x1, y1, x2] = ids.faces[0]!.box as [number, number, number];
  const edge = await page.evaluate(([x, y]) => Array.from((document.getElementById('canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(x!, y!, 1, 1).data), [Math.round((x1 + x2) / 2), Math.round(y1)]);
  // (within a few levels: the canvas may colour-manage or anti-alias the stroke)
  [0x43, 0xa0, 0x47].forEach((v, i) => assert.ok(Math.abs(edge[i]! - v) <= 4, `box colour #43a047 at the top edge, got ${edge}`));
  mkdirSync(path.dirname(ARTIFACT), { recursive: true });
  await page.screenshot({ path: ARTIFACT, fullPage: true });

  // Delete from the list.
  await page.click('#subject-list button[data-subject="Amber Tamblyn"]');
  await page.waitForFunction(() => document.querySelectorAll('#subject-list li').length === 1);
  const left = (await (await fetch(server.url + '/v1/subjects')).json()) as { subjects: { name: string }[] };
  assert.deepEqual(left.subjects.map((s) => s.name), ['Akhmed Zakayev']);
});
