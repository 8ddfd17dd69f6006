// `db.streams` (docs/streams.md, spec §4.3): our writer and reader against the emulator's
// streams channel, across a dropped connection, and side by side with @instantdb/admin's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { init as official } from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { apiURI, control, freshApp } from './helpers.mjs';

const { appId, adminToken } = await freshApp();
const db = edge.init({ appId, adminToken, apiURI });
const theirs = official({ appId, adminToken, apiURI });

const bytes = (text) => new TextEncoder().encode(text).length;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** ~`size` bytes of text in chunks of about 16 KB, with 2-, 3- and 4-byte characters. */
function chunksOf(size, tag) {
  const chunks = [];
  let total = 0;
  for (let i = 0; total < size; i++) {
    const chunk = `${tag}:${i} é✓🙂 `.repeat(700);
    chunks.push(chunk);
    total += bytes(chunk);
  }
  return chunks;
}

async function readAll(stream) {
  let text = '';
  for await (const chunk of stream) {
    assert.equal(typeof chunk, 'string');
    text += chunk;
  }
  return text;
}

async function streamInfo(clientId) {
  const { streams } = await control(`/streams?app-id=${appId}`);
  return streams.find((s) => s['client-id'] === clientId);
}

test('1 MB written in chunks is read whole by two readers, one joining late', async () => {
  const clientId = `big-${Date.now()}`;
  const chunks = chunksOf(1024 * 1024, 'big');
  const expected = chunks.join('');
  let finished;
  const stream = db.streams.createWriteStream({ clientId, waitUntil: (p) => (finished = p) });
  const writer = stream.getWriter();
  const id = await stream.streamId();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const early = db.streams.createReadStream({ clientId });
  const earlyText = readAll(early);
  for (const [i, chunk] of chunks.entries()) {
    await writer.write(chunk);
    if (i === chunks.length >> 1) await sleep(50);
  }
  const late = db.streams.createReadStream({ streamId: id });
  const lateText = readAll(late);
  await writer.close();
  await finished;
  assert.equal(await earlyText, expected);
  assert.equal(await lateText, expected);
  assert.equal(await early.streamId(), id);
  const info = await streamInfo(clientId);
  assert.equal(info.size, bytes(expected));
  assert.equal(info.done, true);
  // From an offset, a later reader gets exactly the rest.
  const from = bytes(chunks[0]) + 3;
  const rest = await readAll(db.streams.createReadStream({ streamId: id, byteOffset: from }));
  assert.equal(rest, new TextDecoder().decode(new TextEncoder().encode(expected).subarray(from)));
});

test('a dropped channel: the reader resumes at its offset, the writer resends what was not flushed', async () => {
  const clientId = `drop-${Date.now()}`;
  const chunks = chunksOf(300 * 1024, 'drop');
  const expected = chunks.join('');
  const stream = db.streams.createWriteStream({ clientId });
  const writer = stream.getWriter();
  await stream.streamId();
  const reader = db.streams.createReadStream({ clientId });
  const text = readAll(reader);
  const half = chunks.length >> 1;
  for (const chunk of chunks.slice(0, half)) await writer.write(chunk);
  await sleep(100);
  const before = await streamInfo(clientId);
  assert.equal(before.flushed, 0, 'nothing flushed yet: the emulator drops it with the writer');
  const { dropped } = await control('/sse/drop', { 'app-id': appId });
  assert.ok(dropped >= 1);
  // Written while the channel is down: buffered, sent after the reconnect.
  for (const chunk of chunks.slice(half)) await writer.write(chunk);
  await writer.close();
  assert.equal(await text, expected, 'no byte lost or repeated');
  const info = await streamInfo(clientId);
  assert.equal(info.size, bytes(expected));
  assert.equal(info.done, true);
});

test('close() while the channel is down is sent after the reconnect', async () => {
  const clientId = `close-down-${Date.now()}`;
  const stream = db.streams.createWriteStream({ clientId });
  const writer = stream.getWriter();
  await stream.streamId();
  await writer.write('abc');
  await control('/sse/drop', { 'app-id': appId });
  await writer.write('déf');
  await writer.close();
  assert.equal(await readAll(db.streams.createReadStream({ clientId })), 'abcdéf');
});

test("an abort's reason reaches readers as the error's message", async () => {
  const clientId = `abort-${Date.now()}`;
  const stream = db.streams.createWriteStream({ clientId });
  const writer = stream.getWriter();
  await stream.streamId();
  const reader = db.streams.createReadStream({ clientId });
  const got = [];
  const ended = (async () => {
    for await (const chunk of reader) got.push(chunk);
  })();
  await writer.write('partial ');
  await writer.abort(new Error('the model crashed'));
  await assert.rejects(ended, (error) => error instanceof edge.InstantError && error.message === 'the model crashed');
  assert.equal(got.join(''), 'partial ');
  // A reader joining after the end sees it too.
  await assert.rejects(readAll(db.streams.createReadStream({ clientId })), { message: 'the model crashed' });
  assert.equal((await streamInfo(clientId))['abort-reason'], 'the model crashed');
});

test('errors: no id at once, a taken client id, a missing stream', async () => {
  const noId = db.streams.createReadStream({});
  await assert.rejects(readAll(noId), { message: 'Must provide one of streamId or clientId to subscribe to the stream.' });
  await assert.rejects(noId.streamId(), edge.InstantError);
  const clientId = `taken-${Date.now()}`;
  const first = db.streams.createWriteStream({ clientId });
  await first.streamId();
  const second = db.streams.createWriteStream({ clientId });
  await assert.rejects(second.streamId(), (error) => error instanceof edge.InstantAPIError && /Reconnect token is invalid/.test(error.message));
  await first.getWriter().close();
  await assert.rejects(readAll(db.streams.createReadStream({ clientId: `missing-${Date.now()}` })), /Stream is missing/);
});

test('side by side with @instantdb/admin: each reads what the other wrote', async () => {
  const text = chunksOf(40 * 1024, 'side').join('');
  const pieces = [text.slice(0, 1000), text.slice(1000, 30000), text.slice(30000)];

  const ours = `ours-${Date.now()}`;
  const ourStream = db.streams.createWriteStream({ clientId: ours });
  const ourWriter = ourStream.getWriter();
  for (const piece of pieces) await ourWriter.write(piece);
  await ourWriter.close();
  assert.equal(await readAll(theirs.streams.createReadStream({ clientId: ours })), text, 'the official reader, our stream');

  const official = `theirs-${Date.now()}`;
  const theirStream = theirs.streams.createWriteStream({ clientId: official });
  const theirWriter = theirStream.getWriter();
  await theirStream.streamId();
  const mine = db.streams.createReadStream({ clientId: official });
  const read = readAll(db.streams.createReadStream({ streamId: await theirStream.streamId() }));
  for (const piece of pieces) await theirWriter.write(piece);
  await theirWriter.close();
  assert.equal(await read, text, 'our reader, the official stream (live)');
  assert.equal(await readAll(mine), text);
});
