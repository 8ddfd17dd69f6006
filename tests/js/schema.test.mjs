// The `i` schema builder (issue #16): the same calls on our `i` and on @instantdb/admin's give
// the same JSON, key order included (platform §4.1), and the same public objects; `init({ schema })`
// with ours sends what the official client sends with its own; the emulator takes ours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/admin';
import * as edge from '../../pkg/node.js';
import { apiURI, freshApp, recordRequests } from './helpers.mjs';

/** A realistic schema: system-entity extensions, every attribute kind and modifier, links both ways, rooms. */
const build = (i) =>
  i.schema({
    entities: {
      $files: i.entity({ path: i.string().unique().indexed(), url: i.string(), caption: i.string().optional() }),
      $users: i.entity({ email: i.string().unique().indexed().optional(), handle: i.string().unique().indexed().optional() }),
      profiles: i.entity({
        nickname: i.string(),
        bio: i.string().optional(),
        joinedAt: i.date().indexed(),
        age: i.number().optional(),
        verified: i.boolean().clientRequired(),
        settings: i.json(),
        extra: i.any().optional(),
      }),
      posts: i.entity({
        title: i.string().indexed(),
        slug: i.string().unique().indexed(),
        body: i.string().optional(),
        score: i.number().indexed().unique().optional(),
        published: i.boolean().indexed(),
        meta: i.json().optional().indexed(),
        publishedAt: i.date().optional().unique(),
        kind: i.string().clientRequired().indexed(),
      }),
      comments: i.entity({ text: i.string(), at: i.date() }),
      tags: i.entity({ name: i.string().unique() }),
      empty: i.entity({}),
    },
    links: {
      profilesUser: {
        forward: { on: 'profiles', has: 'one', label: 'user', onDelete: 'cascade' },
        reverse: { on: '$users', has: 'one', label: 'profile' },
      },
      postsAuthor: {
        forward: { on: 'posts', has: 'one', label: 'author', required: true, onDelete: 'cascade' },
        reverse: { on: 'profiles', has: 'many', label: 'posts' },
      },
      commentsPost: {
        forward: { on: 'comments', has: 'one', label: 'post', onDelete: 'cascade' },
        reverse: { on: 'posts', has: 'many', label: 'comments' },
      },
      postsTags: {
        forward: { on: 'posts', has: 'many', label: 'tags' },
        reverse: { on: 'tags', has: 'many', label: 'posts' },
      },
      postsCover: {
        forward: { on: 'posts', has: 'one', label: 'cover' },
        reverse: { on: '$files', has: 'one', label: 'coverOf', onDelete: 'cascade' },
      },
      commentsParent: {
        forward: { on: 'comments', has: 'one', label: 'parent' },
        reverse: { on: 'comments', has: 'many', label: 'replies' },
      },
    },
    rooms: {
      chat: {
        presence: i.entity({ name: i.string(), status: i.string().optional() }),
        topics: { typing: i.entity({ typing: i.boolean() }), emoji: i.entity({ name: i.string(), x: i.number() }) },
      },
      cursors: { presence: i.entity({ x: i.number(), y: i.number(), color: i.string().optional() }) },
    },
  });

const ours = build(edge.i);
const theirs = build(official.i);

/** Every own property, recursively, with its value's kind: what a reader of the objects sees. */
const shape = (value) =>
  value && typeof value === 'object'
    ? Object.fromEntries(Object.entries(value).map(([key, v]) => [key, shape(v)]))
    : value === undefined ? '<undefined>' : value;

test('i.schema: the JSON is byte-identical to @instantdb/admin', () => {
  const json = JSON.stringify(ours);
  assert.equal(json, JSON.stringify(theirs));
  assert.ok(json.length > 3000, 'the schema is not trivially small');
  assert.equal(JSON.stringify(ours, null, 2), JSON.stringify(theirs, null, 2));
});

test('i.schema: the same public properties as @instantdb/admin', () => {
  assert.deepEqual(shape(ours), shape(theirs));
  assert.deepEqual(Object.keys(ours), ['entities', 'links', 'rooms']);
  assert.equal(ours.entities.posts.attrs.slug.valueType, 'string');
  assert.equal(ours.entities.posts.attrs.kind.required, false, 'clientRequired is not required on the wire');
  assert.deepEqual(ours.entities.posts.links.author, { entityName: 'profiles', cardinality: 'one' });
  assert.deepEqual(ours.entities.profiles.links.posts, { entityName: 'posts', cardinality: 'many' });
  assert.deepEqual(Object.keys(ours.entities.comments.links), ['post', 'parent', 'replies'], 'forward labels, then reverse');
  const input = { notes: edge.i.entity({ text: edge.i.string() }) };
  const schema = edge.i.schema({ entities: input, links: { a: { forward: { on: 'notes', has: 'one', label: 'x' }, reverse: { on: 'notes', has: 'one', label: 'y' } } } });
  assert.deepEqual(input.notes.links, {}, 'the entities given are not changed');
  assert.equal(schema.entities.notes.attrs, input.notes.attrs, 'attrs are shared, as there');
});

test('i: every attribute kind under every modifier order matches @instantdb/admin', () => {
  const kinds = ['string', 'number', 'boolean', 'date', 'json', 'any'];
  const modifiers = ['optional', 'unique', 'indexed', 'clientRequired'];
  const orders = [[], ...modifiers.map((m) => [m]), modifiers, [...modifiers].reverse(), ['indexed', 'indexed', 'unique']];
  for (const kind of kinds) {
    for (const order of orders) {
      const make = (i) => order.reduce((def, m) => def[m](), i[kind]());
      assert.equal(JSON.stringify(make(edge.i)), JSON.stringify(make(official.i)), `i.${kind}()${order.map((m) => `.${m}()`).join('')}`);
    }
  }
  const attr = edge.i.string();
  assert.notEqual(attr.optional(), attr, 'modifiers return new defs');
  assert.equal(attr.required, true, 'the def modified is unchanged');
});

test('i.graph, i.schema without links or rooms, asType, withRoomSchema match @instantdb/admin', () => {
  const cases = {
    'graph': (i) => i.graph({ a: i.entity({ n: i.number() }), b: i.entity({}) }, { ab: { forward: { on: 'a', has: 'many', label: 'bs' }, reverse: { on: 'b', has: 'one', label: 'a' } } }),
    'schema: entities only': (i) => i.schema({ entities: { a: i.entity({ s: i.string() }) } }),
    'schema: null links and rooms': (i) => i.schema({ entities: {}, links: null, rooms: null }),
    'asType': (i) => i.entity({ s: i.string() }).asType(),
    'withRoomSchema': (i) => i.graph({ a: i.entity({}) }, {}).withRoomSchema(),
  };
  for (const [name, make] of Object.entries(cases)) {
    assert.equal(JSON.stringify(make(edge.i)), JSON.stringify(make(official.i)), name);
    assert.deepEqual(shape(make(edge.i)), shape(make(official.i)), name);
  }
  assert.deepEqual(Object.keys(edge.i), Object.keys(official.i), 'the same builder functions');
});

// init({ schema }): the schema makes both clients send `inference?` and `throw-on-missing-attrs?`.

const app = await freshApp(ours);
const dbs = {
  edge: edge.init({ ...app, apiURI, schema: ours }),
  official: official.init({ ...app, apiURI, schema: theirs }),
};
const [user, profile, post, first, reply, tag] = [
  '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a51', '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a52', '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a53',
  '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a54', '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a55', '5d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a56',
];
const postsQuery = { posts: { $: { where: { slug: 'hello' } }, author: { user: {} }, comments: { parent: {} }, tags: {} } };

const calls = {
  'transact': (db) =>
    db.transact([
      db.tx.$users[user].update({ email: 'alyssa@example.com', handle: 'alyssa' }),
      db.tx.profiles[profile].update({ nickname: 'Al', joinedAt: '2026-01-02T03:04:05Z', verified: true, settings: { theme: 'dark' } }).link({ user }),
      db.tx.tags[tag].update({ name: 'intro' }),
      db.tx.posts[post].update({ title: 'Hello', slug: 'hello', score: 1, published: true, kind: 'note' }).link({ author: profile, tags: tag }),
      db.tx.comments[first].update({ text: 'First', at: 1767225600000 }).link({ post }),
      db.tx.comments[reply].update({ text: 'Reply', at: '2026-01-03T00:00:00Z' }).link({ post, parent: first }),
    ]),
  'query': (db) => db.query(postsQuery),
  'query with ruleParams': (db) => db.query({ tags: {} }, { ruleParams: { k: 'v' } }),
  'asUser query': (db) => db.asUser({ guest: true }).query({ profiles: { posts: {} } }),
  'debugQuery': (db) => db.asUser({ guest: true }).debugQuery({ posts: { author: {} } }),
  'debugTransact': (db) => db.asUser({ guest: true }).debugTransact(db.tx.tags[tag].update({ name: 'intro' })),
};
for (const [name, call] of Object.entries(calls)) {
  test(`init({ schema }) with our i: ${name} is sent exactly as @instantdb/admin sends it with its i`, async () => {
    const theirs = await recordRequests(() => call(dbs.official));
    const mine = await recordRequests(() => call(dbs.edge));
    assert.equal(theirs.length, 1, 'the official client sent one request');
    assert.deepEqual(mine, theirs);
    // debugTransact sends neither flag, schema or not (as there).
    if (name !== 'debugTransact') assert.match(mine[0].body, /"(inference\?|throw-on-missing-attrs\?)":true/);
  });
}

test('the emulator takes our schema: typed attributes, inferred links, lookups by unique attributes', async () => {
  const { posts } = await dbs.edge.query(postsQuery);
  assert.deepEqual(posts, (await dbs.official.query(postsQuery)).posts, 'both clients read the same');
  assert.equal(posts.length, 1);
  assert.equal(posts[0].author.id, profile, 'has-one is an object with inference');
  assert.equal(posts[0].author.user.email, 'alyssa@example.com');
  assert.deepEqual(posts[0].comments.map((c) => c.text).sort(), ['First', 'Reply']);
  assert.equal(posts[0].comments.find((c) => c.id === reply).parent.id, first);
  assert.deepEqual(posts[0].tags.map((t) => t.name), ['intro']);
  await dbs.edge.transact(dbs.edge.tx.posts[edge.lookup('slug', 'hello')].update({ score: 2 }));
  const { posts: [updated] } = await dbs.edge.query({ posts: { $: { where: { score: 2 } } } });
  assert.equal(updated.id, post);
});

test('the emulator takes our schema: an attribute it lacks is refused (throw-on-missing-attrs?)', async () => {
  const error = await dbs.edge.transact(dbs.edge.tx.tags[tag].update({ colour: 'red' })).then(
    () => assert.fail('expected a rejection'),
    (e) => e,
  );
  assert.equal(error.name, 'InstantAPIError');
  assert.equal(error.status, 400);
  assert.equal(error.body.type, 'validation-failed');
});
