// Electron smoke test (CI, on Linux under xvfb, Windows and macOS): bare-fn's work
// (scripts/electron-smoke-work.cjs: libc's qsort calling a BareFn, a native thread calling a
// 'blocking' BareFn while .async waits for it) in each kind of JS context an app has: the main
// process, a worker thread of it, a utilityProcess, and a renderer with Node integration. Prints
// a line per context; exit code 0 when all four ran, 1 otherwise.
'use strict';
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { app, BrowserWindow, utilityProcess } = require('electron');

const work = path.join(__dirname, 'electron-smoke-work.cjs');
const { smoke } = require(work);

/** The first message of `source` ({ line } or { error }), as a line or a rejection. */
function firstMessage(source, what) {
  return new Promise((resolve, reject) => {
    source.once('message', (message) => (message.error ? reject(new Error(`${what}: ${message.error}`)) : resolve(message.line)));
    source.once('error', reject);
    source.once('exit', (code) => reject(new Error(`${what} exited with ${code} before reporting`)));
  });
}

async function inWorker() {
  const worker = new Worker(work, { workerData: 'electron-smoke' });
  try {
    return await firstMessage(worker, 'the worker thread');
  } finally {
    await worker.terminate();
  }
}

function inUtilityProcess() {
  return firstMessage(utilityProcess.fork(work), 'the utility process');
}

async function inRenderer() {
  const window = new BrowserWindow({ show: false, webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });
  try {
    await window.loadURL('data:text/html,<!doctype html><title>bare-fn</title>');
    return await window.webContents.executeJavaScript(`require(${JSON.stringify(work)}).smoke('renderer')`);
  } finally {
    window.destroy();
  }
}

app.whenReady().then(async () => {
  try {
    console.log(await smoke('main process'));
    console.log(await inWorker());
    console.log(await inUtilityProcess());
    console.log(await inRenderer());
    app.exit(0);
  } catch (error) {
    console.error(error);
    app.exit(1);
  }
});
