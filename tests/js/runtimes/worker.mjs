// A Worker that imports the package by name; bundled by esbuild with the `workerd` condition
// (what wrangler does), then run in workerd by Miniflare.
import * as pkg from 'instant-edge';
import { run } from './suite.mjs';

export default {
  async fetch(request, env) {
    const outcome = await run(pkg, { apiURI: env.API_URI, appId: env.APP_ID, adminToken: env.ADMIN_TOKEN });
    return Response.json(outcome);
  },
};
