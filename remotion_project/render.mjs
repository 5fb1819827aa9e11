// Render one Remotion job for Creator Studio, driven from Python.
//
//   node render.mjs JOB.json      render the frames a job asks for, as PNG files with alpha
//   node render.mjs --serve       the long-lived worker: one job file per stdin line
//   node render.mjs --bundle-only make (or find) the bundle and print where it is
//
// The webpack bundle is made once per version of src/ and package-lock.json and kept in
// build/<hash>/; renders reuse it. The browser is always Debian's Chromium: this script never
// downloads one, and refuses to run without it. Progress goes to stdout as JSON lines.

import {bundle} from '@remotion/bundler';
import {openBrowser, renderFrames, selectComposition} from '@remotion/renderer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const browserExecutable = process.env.CREATOR_CHROMIUM || '/usr/bin/chromium';
const chromiumOptions = {};

const say = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const sourceHash = () => {
  const hash = crypto.createHash('sha256');
  const files = [path.join(here, 'package-lock.json'), path.join(here, 'package.json')];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(here, 'src'));
  for (const file of files) {
    if (fs.existsSync(file)) {
      hash.update(path.relative(here, file));
      hash.update(fs.readFileSync(file));
    }
  }
  return hash.digest('hex').slice(0, 16);
};

const ensureBundle = async () => {
  const target = path.join(here, 'build', sourceHash());
  if (fs.existsSync(path.join(target, 'index.html'))) {
    return target;
  }
  const partial = `${target}.${process.pid}.partial`;
  say({stage: 'bundling'});
  await bundle({entryPoint: path.join(here, 'src', 'index.ts'), outDir: partial, enableCaching: false});
  try {
    fs.renameSync(partial, target);
  } catch (error) {
    // Another render made the same bundle first: use theirs.
    fs.rmSync(partial, {recursive: true, force: true});
    if (!fs.existsSync(path.join(target, 'index.html'))) throw error;
  }
  return target;
};

const common = {browserExecutable, chromeMode: 'chrome-for-testing', chromiumOptions, logLevel: 'error'};

// Render the frames one job asks for with an open browser; `emit` reports progress.
const renderJob = async (jobFile, serveUrl, browser, emit) => {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
  const inputProps = job.props;
  const composition = await selectComposition({serveUrl, id: job.composition, inputProps, puppeteerInstance: browser, ...common});
  fs.mkdirSync(job.outputDir, {recursive: true});
  const total = composition.durationInFrames;
  emit({stage: 'rendering', total});
  const started = Date.now();
  await renderFrames({
    composition,
    serveUrl,
    inputProps,
    puppeteerInstance: browser,
    ...common,
    imageFormat: 'png',
    outputDir: job.outputDir,
    concurrency: Number(process.env.CREATOR_REMOTION_CONCURRENCY || 1),
    onStart: () => {},
    onFrameUpdate: (rendered) => emit({rendered, total}),
  });
  emit({done: true, total, seconds: (Date.now() - started) / 1000});
};

const checkBrowser = () => {
  if (!fs.existsSync(browserExecutable)) {
    throw new Error(`Chromium not found at ${browserExecutable}: install Debian's chromium package (make install). Creator Studio never downloads a browser.`);
  }
};

// Stopping kills this process; close the browser with it.
const closeOnSignals = (browser) => {
  const shutdown = () => {
    browser.close({silent: true}).finally(() => process.exit(143));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
};

// The long-lived render worker: the bundle found and the browser opened once, then one job per
// line on stdin ({"id", "job"}), each answered with JSON lines carrying its id. An empty line
// or the end of stdin closes the browser and exits.
const serve = async (serveUrl) => {
  checkBrowser();
  const browser = await openBrowser('chrome', common);
  closeOnSignals(browser);
  say({ready: true});
  const lines = readline.createInterface({input: process.stdin});
  try {
    for await (const line of lines) {
      if (!line.trim()) break;
      const {id, job} = JSON.parse(line);
      try {
        await renderJob(job, serveUrl, browser, (event) => say({id, ...event}));
      } catch (error) {
        say({id, error: `${error && error.stack ? error.stack : error}`});
      }
    }
  } finally {
    await browser.close({silent: true});
  }
};

const main = async () => {
  const args = process.argv.slice(2);
  const serveUrl = await ensureBundle();
  if (args[0] === '--bundle-only') {
    say({bundle: serveUrl});
    return;
  }
  if (args[0] === '--serve') {
    await serve(serveUrl);
    // Exit now: the server keeps this worker's stdin open while it waits for the exit that
    // follows the empty line, and an open stdin keeps Node running, so a server shutting down
    // used to wait its 10 s for each worker and then kill it.
    process.exit(0);
  }
  checkBrowser();
  const browser = await openBrowser('chrome', common);
  closeOnSignals(browser);
  try {
    await renderJob(args[0], serveUrl, browser, say);
  } finally {
    await browser.close({silent: true});
  }
};

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
