// Every `db.storage` call of the official client against the emulator (spec §3.19, §8): upload
// (bytes, Node streams, metadata, upsert by path), the `$files` entity and its URL, deletes,
// and the deprecated list and signed-download-url routes it still calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { freshDb, rejectsWithApiError } from './helpers.mjs';

const { db, appId } = await freshDb();
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const fileAt = async (path) => (await db.query({ $files: { $: { where: { path } } } })).$files[0];

test('§8.1 uploadFile stores the bytes and answers the $files id, location id and size', async () => {
  const bytes = Buffer.from('hello storage');
  const { data } = await db.storage.uploadFile('docs/hello.txt', bytes, { contentType: 'text/plain', contentDisposition: 'attachment' });
  assert.match(data.id, uuid);
  assert.match(data['location-id'], uuid);
  assert.equal(data.size, bytes.length);
  const file = await fileAt('docs/hello.txt');
  assert.equal(file.id, data.id);
  assert.deepEqual([file.size, file['content-type'], file['content-disposition']], [bytes.length, 'text/plain', 'attachment']);
  const response = await fetch(file.url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain');
  assert.equal(response.headers.get('content-disposition'), 'attachment');
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
});

test('§8.1 defaults: application/octet-stream and inline', async () => {
  await db.storage.uploadFile('docs/plain.bin', Buffer.from([1, 2, 3]));
  const file = await fileAt('docs/plain.bin');
  assert.deepEqual([file['content-type'], file['content-disposition']], ['application/octet-stream', 'inline']);
});

test('§8.1 a Node stream with fileSize uploads', async () => {
  const parts = [Buffer.from('part one, '), Buffer.from('part two')];
  const size = parts[0].length + parts[1].length;
  const { data } = await db.storage.uploadFile('docs/streamed.txt', Readable.from(parts), { fileSize: size });
  assert.equal(data.size, size);
  assert.equal(await (await fetch((await fileAt('docs/streamed.txt')).url)).text(), 'part one, part two');
});

test('§8.1 uploading to an existing path keeps the id and replaces the content', async () => {
  const first = await db.storage.uploadFile('docs/replace.txt', Buffer.from('first'));
  const oldUrl = (await fileAt('docs/replace.txt')).url;
  const second = await db.storage.uploadFile('docs/replace.txt', Buffer.from('second!'));
  assert.equal(second.data.id, first.data.id);
  assert.notEqual(second.data['location-id'], first.data['location-id']);
  const file = await fileAt('docs/replace.txt');
  assert.equal(file.size, 7);
  assert.equal(await (await fetch(file.url)).text(), 'second!');
  assert.equal((await fetch(oldUrl)).status, 404, 'the old object is gone');
});

test('§8.3 delete answers the id, then null', async () => {
  const { data } = await db.storage.uploadFile('docs/delete-me.txt', Buffer.from('x'));
  assert.deepEqual(await db.storage.delete('docs/delete-me.txt'), { data: { id: data.id } });
  assert.deepEqual(await db.storage.delete('docs/delete-me.txt'), { data: { id: null } });
  assert.equal(await fileAt('docs/delete-me.txt'), undefined);
});

test('§8.3 deleteMany answers the ids actually deleted', async () => {
  const a = await db.storage.uploadFile('many/a.txt', Buffer.from('a'));
  const b = await db.storage.uploadFile('many/b.txt', Buffer.from('b'));
  const { data } = await db.storage.deleteMany(['many/a.txt', 'many/b.txt', 'many/missing.txt']);
  assert.deepEqual([...data.ids].sort(), [a.data.id, b.data.id].sort());
  assert.deepEqual(await db.storage.deleteMany(['many/a.txt']), { data: { ids: [] } });
});

test('§3.19 the deprecated list and getDownloadUrl routes', async () => {
  const { data } = await db.storage.uploadFile('legacy/file.txt', Buffer.from('legacy'));
  const listed = (await db.storage.list()).find((f) => f.name === 'legacy/file.txt');
  assert.equal(listed.size, 6);
  assert.match(listed.key, new RegExp(`^${appId}/[0-9]/${data['location-id']}$`));
  const url = await db.storage.getDownloadUrl('legacy/file.txt');
  assert.equal(await (await fetch(url)).text(), 'legacy');
  assert.equal(await db.storage.getDownloadUrl('legacy/missing.txt'), null);
});

test('§8.1 impersonated uploads need a $files create rule (denied by default)', async () => {
  await rejectsWithApiError(db.asUser({ guest: true }).storage.uploadFile('guest.txt', Buffer.from('hi')), {
    status: 400,
    type: 'permission-denied',
  });
  assert.equal(await fileAt('guest.txt'), undefined);
});

test('§8.1 a blank path is param-malformed (the header is present)', async () => {
  await rejectsWithApiError(db.storage.uploadFile('  ', Buffer.from('x')), { status: 400, type: 'param-malformed' });
});
