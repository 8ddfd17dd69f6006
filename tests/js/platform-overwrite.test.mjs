// Overwrite pushes (`overwrite: true`, `renames`; issue #17, platform spec §4.6), ours side by
// side with the official @instantdb/platform 1.0.67 against the emulator: both plan on the
// client from the app's current schema, so the same steps (fresh ids aside), the same refusals,
// the same request to /dash/apps/:id/schema/steps/apply and the same schema afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as official from '@instantdb/platform';
import * as edge from '../../pkg/platform/node.js';
import { init } from '@instantdb/admin';
import { apiURI, control } from './helpers.mjs';

const { i } = official;

async function user() {
  const email = `overwrite-${crypto.randomUUID()}@example.com`;
  const { 'personal-access-token': token } = await control('/platform/users', { email });
  return { official: new official.PlatformApi({ auth: { token }, apiURI }), edge: new edge.PlatformApi({ auth: { token }, apiURI }) };
}

/** Dates and UUIDs as placeholders: each plan makes its own ids for new attributes. Keys whose
 * value is `undefined` are left out, as on the wire: the official plan's new attributes carry
 * `'on-delete': undefined` and the like, ours leave such keys out. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function anonymous(value) {
  if (value instanceof Date) return '<date>';
  if (typeof value === 'string' && UUID.test(value)) return '<uuid>';
  if (Array.isArray(value)) return value.map(anonymous);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, anonymous(v)]));
  return value;
}
const alike = (ours, theirs, message) => assert.deepStrictEqual(anonymous(ours), anonymous(theirs), message);
const failure = (promise) => promise.then(() => assert.fail('expected a rejection'), (error) => error);

const before = i.schema({
  entities: {
    posts: i.entity({ name: i.string(), details: i.string().optional(), views: i.number().indexed(), meta: i.json().optional(), score: i.any() }),
    comments: i.entity({ body: i.string(), flagged: i.boolean().optional() }),
    drafts: i.entity({ text: i.string().unique().indexed() }),
    $users: i.entity({ email: i.string().unique().indexed(), nickname: i.string().optional() }),
  },
  links: {
    postsComments: { forward: { on: 'posts', has: 'many', label: 'comments' }, reverse: { on: 'comments', has: 'one', label: 'post' } },
    postsAuthor: { forward: { on: 'posts', has: 'one', label: 'author' }, reverse: { on: '$users', has: 'many', label: 'posts' } },
    draftsPost: { forward: { on: 'drafts', has: 'one', label: 'post' }, reverse: { on: 'posts', has: 'one', label: 'draft' } },
  },
});

// Each case: the schema pushed over `before`, the renames, and what the steps say.
const cases = {
  'renames, deletions, additions and every constraint change': {
    schema: i.schema({
      entities: {
        posts: i.entity({ title: i.string(), views: i.string(), meta: i.string().optional(), score: i.json().unique(), slug: i.string().indexed().optional() }),
        comments: i.entity({ body: i.string().optional(), flagged: i.boolean().indexed() }),
        tags: i.entity({ label: i.string().unique() }),
        $users: i.entity({ email: i.string().unique().indexed(), handle: i.string().optional() }),
      },
      links: {
        postsComments: { forward: { on: 'posts', has: 'many', label: 'replies' }, reverse: { on: 'comments', has: 'one', label: 'post', onDelete: 'cascade' } },
        postsAuthor: { forward: { on: 'posts', has: 'one', label: 'author', onDelete: 'cascade' }, reverse: { on: '$users', has: 'many', label: 'posts' } },
        postsTags: { forward: { on: 'posts', has: 'many', label: 'tags' }, reverse: { on: 'tags', has: 'many', label: 'posts' } },
      },
    }),
    renames: ['posts.name:posts.title', 'posts.comments:posts.replies', 'posts.nothing:posts.nowhere'],
  },
  'nothing changes': { schema: before, renames: [] },
  'a link changes cardinality and cascade; an attribute renamed to an existing name is not a rename': {
    schema: i.schema({
      entities: {
        posts: i.entity({ name: i.string().unique(), details: i.string().optional(), views: i.number(), meta: i.json().optional(), score: i.any() }),
        comments: i.entity({ body: i.string(), flagged: i.boolean().optional() }),
        drafts: i.entity({ text: i.string().unique().indexed() }),
        $users: i.entity({ email: i.string().unique().indexed(), nickname: i.string().optional() }),
      },
      links: {
        postsComments: { forward: { on: 'posts', has: 'many', label: 'comments' }, reverse: { on: 'comments', has: 'many', label: 'post' } },
        postsAuthor: { forward: { on: 'posts', has: 'one', label: 'author', onDelete: 'cascade', required: true }, reverse: { on: '$users', has: 'many', label: 'posts' } },
        draftsPost: { forward: { on: 'drafts', has: 'one', label: 'post' }, reverse: { on: 'posts', has: 'many', label: 'draft' } },
      },
    }),
    renames: ['posts.views:posts.name'],
  },
  'everything of ours deleted; the system catalog stays': { schema: i.schema({ entities: {}, links: {} }), renames: [] },
};

for (const [name, { schema, renames }] of Object.entries(cases)) {
  test(`planSchemaPush with overwrite, ${name}: the official plan`, async () => {
    const { official: theirs, edge: ours } = await user();
    const { app } = await theirs.createApp({ title: 'Overwrite', schema: before });
    const body = { schema, overwrite: true, renames };
    const [mine, official_] = [await ours.planSchemaPush(app.id, body), await theirs.planSchemaPush(app.id, body)];
    alike(mine, official_);
    assert.equal(mine.newSchema, schema, 'the schema given, as the official plan answers it');
    if (name === 'nothing changes') assert.deepEqual(mine.steps, []);
    else assert.ok(mine.steps.length > 3, `${mine.steps.length} steps`);
  });
}

test('schemaPush with overwrite: the same request, the same steps and jobs, the same schema after', async () => {
  const { schema, renames } = cases['renames, deletions, additions and every constraint change'];
  const { official: theirs, edge: ours } = await user();
  const results = [];
  const requests = [];
  for (const api of [theirs, ours]) {
    const { app } = await theirs.createApp({ title: 'Overwrite push', schema: before });
    const db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
    const post = crypto.randomUUID();
    await db.transact([db.tx.posts[post].update({ name: 'Hello', views: 3, score: 1 }), db.tx.comments[crypto.randomUUID()].update({ body: 'Hi', flagged: true }).link({ post })]);
    const realFetch = globalThis.fetch;
    globalThis.fetch = (url, init) => {
      if (String(url).endsWith('/schema/steps/apply')) requests.push({ url: String(url).replace(app.id, '<app>'), body: JSON.parse(init.body) });
      return realFetch(url, init);
    };
    try {
      const progress = [];
      const push = api.schemaPush(app.id, { schema, overwrite: true, renames });
      push.subscribe({ next: (s) => progress.push(s) });
      results.push({ result: await push, progress });
    } finally {
      globalThis.fetch = realFetch;
    }
    // The rename kept the data under the new name; the data type check ran on it.
    const { posts } = await db.query({ posts: { replies: {} } });
    assert.deepEqual([posts[0].title, posts[0].name, posts[0].replies.length], ['Hello', undefined, 1]);
  }
  const [{ result: official_ }, { result: mine, progress }] = results;
  alike(mine, official_);
  alike(requests[1], requests[0], 'the steps sent');
  assert.match(mine.summary.friendlyDescription, /^Finished \d+ schema operations, with 1 error$/, 'views holds a number: check-data-type string fails');
  const errored = mine.summary.erroredSteps.map((s) => [s.type, s.friendlyDescription, s.backgroundJob.error]);
  assert.deepEqual(errored, [['check-data-type', 'Enforce data type of posts.views as type string.', 'invalid-triple-error']]);
  assert.ok(progress.length >= 1);
  for (const described of ['Update attribute posts.title.', 'Delete attribute posts.details.', 'Create new entity tags.id.', 'Delete attribute drafts.id.']) {
    assert.ok(mine.steps.some((s) => s.friendlyDescription === described), described);
  }
  const attrs = mine.newSchema.entities.posts.attrs;
  assert.deepEqual(Object.keys(attrs).sort(), ['meta', 'score', 'slug', 'title', 'views']);
  assert.equal(mine.newSchema.entities.drafts, undefined);
  assert.ok(mine.newSchema.entities.$users.attrs.email, 'system attributes are never deleted');
});

test('refusals: the official SchemaValidationError messages, and bad renames, before anything is sent', async () => {
  const { official: theirs, edge: ours } = await user();
  const { app } = await theirs.createApp({ title: 'Refusals', schema: before });
  const refused = {
    '$ entity': i.schema({ entities: { $posts: i.entity({ title: i.string() }) } }),
    'required on a system entity': i.schema({ entities: { $users: i.entity({ nickname: i.string() }) } }),
    'cascade on many': i.schema({
      entities: { a: i.entity({}), b: i.entity({}) },
      links: { ab: { forward: { on: 'a', has: 'many', label: 'bs', onDelete: 'cascade' }, reverse: { on: 'b', has: 'one', label: 'a' } } },
    }),
    'link to a missing entity': i.schema({
      entities: { b: i.entity({}) },
      links: { ab: { forward: { on: 'a', has: 'one', label: 'b' }, reverse: { on: 'b', has: 'many', label: 'as' } } },
    }),
  };
  for (const [name, schema] of Object.entries(refused)) {
    const [mine, official_] = [
      await failure(ours.planSchemaPush(app.id, { schema, overwrite: true })),
      await failure(theirs.planSchemaPush(app.id, { schema, overwrite: true })),
    ];
    assert.ok(mine instanceof edge.SchemaValidationError && mine instanceof Error, `${name}: ${mine}`);
    assert.equal(official_.name, 'SchemaValidationError', name);
    assert.deepEqual([mine.name, mine.message], [official_.name, official_.message], name);
  }

  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args) => (sent.push(args), realFetch(...args));
  try {
    for (const [renames, message] of [
      [['posts.name'], /^invalid renames: Invalid rename command: posts.name\./],
      [['posts:posts.title'], /^invalid renames: Invalid lookup\. Got 'posts'/],
      ['posts.name:posts.title', /^invalid renames: must be an array of strings/],
      [[42], /^invalid renames: must be an array of strings/],
    ]) {
      const error = await failure(ours.schemaPush(app.id, { schema: before, overwrite: true, renames }));
      assert.equal(error.kind, 'invalid-argument');
      assert.match(error.message, message);
    }
    const error = await failure(ours.planSchemaPush(app.id, { schema: before, renames: [] }));
    assert.match(error.message, /you _must_ pass in `overwrite: true`/);
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(sent, [], 'nothing was sent');
});
