// `cargo xtask bench` (upload): a 50 MiB stream uploaded to the emulator by our
// `storage.uploadFile` and by a raw `fetch` PUT of the same stream, interleaved (raw, ours,
// ours with progress, raw, ...) in one Node process, plus the growth of the wasm instance's
// memory during our uploads: the bytes must never enter it. Prints a table; writes JSON to
// the path in BENCH_OUT when set.
import { readFileSync, writeFileSync } from 'node:fs';
import { init } from '../../pkg/node.js';
import { initSync } from '../../pkg/dist/api.js';

const SIZE = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const apiURI = process.env.INSTANT_API_URI;
const appId = process.env.INSTANT_APP_ID;
const adminToken = process.env.INSTANT_APP_ADMIN_TOKEN;
if (!apiURI) throw new Error('run through `cargo xtask bench`, which starts the emulator');

// Already initialised by the entry: this returns the instance's exports (for `memory`).
const wasm = initSync({ module: readFileSync(new URL('../../pkg/dist/instant_edge_bg.wasm', import.meta.url)) });
// Export names are minified by the build: the memory is found by its type.
const wasmMemory = Object.values(wasm).find((value) => value instanceof WebAssembly.Memory);
const memory = () => wasmMemory.buffer.byteLength;

const bytes = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 1) bytes[i] = (i * 2654435761) >>> 24;
const stream = () => {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= SIZE) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      offset += CHUNK;
    },
  });
};

const db = init({ appId, adminToken, apiURI });
let peak = 0;
const arms = {
  'raw fetch': async () => {
    const response = await fetch(`${apiURI}/admin/storage/upload?app_id=${appId}`, {
      method: 'PUT',
      headers: { 'app-id': appId, authorization: `Bearer ${adminToken}`, path: 'bench/raw.bin', 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
      body: stream(),
      duplex: 'half',
    });
    if (response.status !== 200) throw new Error(`raw upload: ${response.status} ${await response.text()}`);
    await response.json();
  },
  'instant-edge': async () => {
    await db.storage.uploadFile('bench/ours.bin', stream(), { contentType: 'application/octet-stream', fileSize: SIZE });
    peak = Math.max(peak, memory());
  },
  'instant-edge + onProgress': async () => {
    let seen = 0;
    await db.storage.uploadFile('bench/progress.bin', stream(), {
      contentType: 'application/octet-stream',
      fileSize: SIZE,
      onProgress: ({ loaded }) => {
        seen = loaded;
        peak = Math.max(peak, memory());
      },
    });
    if (seen !== SIZE) throw new Error(`progress ended at ${seen}`);
  },
};

const times = Object.fromEntries(Object.keys(arms).map((name) => [name, []]));
for (const arm of Object.values(arms)) await arm(); // warm-up
const before = memory();
peak = before;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, arm] of Object.entries(arms)) {
    const start = performance.now();
    await arm();
    times[name].push(performance.now() - start);
  }
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const mbps = (ms) => SIZE / 1024 / 1024 / (ms / 1000);
const raw = median(times['raw fetch']);
const rows = Object.entries(times).map(([name, list]) => ({
  arm: name,
  medianMs: Number(median(list).toFixed(1)),
  mibPerSecond: Number(mbps(median(list)).toFixed(1)),
  throughputVsRaw: Number((raw / median(list)).toFixed(3)),
}));
const result = {
  benchmark: 'upload',
  bytes: SIZE,
  rounds: ROUNDS,
  rows,
  wasmMemoryBefore: before,
  wasmMemoryPeak: peak,
  wasmMemoryGrowth: peak - before,
};
console.log(`upload: ${SIZE / 1024 / 1024} MiB stream, ${ROUNDS} interleaved rounds, Node ${process.version}`);
console.log('| arm | median | MiB/s | throughput vs raw fetch |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.arm} | ${row.medianMs} ms | ${row.mibPerSecond} | ${row.throughputVsRaw.toFixed(3)} |`);
console.log(`wasm memory: ${before} bytes before, ${peak} at peak: growth ${peak - before} bytes`);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(result, null, 2));
