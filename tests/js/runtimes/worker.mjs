// A Worker that imports the package by name; run-workerd.mjs bundles it with esbuild and the
// `workerd` condition (what wrangler does), then runs it in workerd through Miniflare.
import * as pkg from 'instant-edge';
import { run } from './suite.mjs';

export default {
  async fetch(request, env) {
    const app = { apiURI: env.API_URI, appId: env.APP_ID, adminToken: env.ADMIN_TOKEN };
    return Response.json(await run(pkg, app, { hangURI: env.HANG_URI }));
  },
};
