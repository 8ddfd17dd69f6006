// A Worker that imports the package by name; run-workerd.mjs bundles it with esbuild and the
// `workerd` condition (what wrangler does), then runs it in workerd through Miniflare.
import * as pkg from 'instant-edge';
import * as platform from 'instant-edge/platform';
import { merge, runHostile } from './hostile.mjs';
import { run } from './suite.mjs';

// workerd has one realm per isolate: no node:vm (no nodejs_compat flag here), no iframes.
const noRealm = 'workerd has a single realm (no node:vm without nodejs_compat, no iframes)';

export default {
  async fetch(request, env) {
    const app = { apiURI: env.API_URI, appId: env.APP_ID, adminToken: env.ADMIN_TOKEN };
    const suite = await run(pkg, app, { hangURI: env.HANG_URI, platform: { pkg: platform, token: env.PLATFORM_TOKEN } });
    return Response.json(merge(suite, await runHostile(pkg, app, { noRealm })));
  },
};
