// A webhook receiver Worker: imports the package by name (run-workerd-webhooks.mjs bundles it
// with the `workerd` condition, as wrangler does) and on `POST /hook` validates the delivery with
// `db.webhooks.validateRequest`, fetches its records, and answers the verdict: 200 with
// `{valid, payloadUrl, token (its SHA-256, 16 hex digits), records}`, kept under the 256 bytes the
// sender keeps of a response; 401 with the refusal's `{name, message}`.
import { init } from 'instant-edge';

async function digest(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('').slice(0, 16);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'POST' || url.pathname !== '/hook') return new Response('not found', { status: 404 });
    const db = init({ appId: env.APP_ID, adminToken: env.ADMIN_TOKEN, apiURI: env.API_URI });
    let verdict;
    try {
      verdict = await db.webhooks.validateRequest(request);
    } catch (error) {
      return Response.json({ name: error?.name, message: error?.message }, { status: 401 });
    }
    try {
      const payload = await db.webhooks.fetchPayloads(verdict);
      const records = payload.data.map((r) => `${r.namespace}.${r.action}`);
      return Response.json({ valid: true, payloadUrl: verdict.payloadUrl, token: await digest(verdict.token), records });
    } catch (error) {
      return Response.json({ name: error?.name, message: error?.message }, { status: 500 });
    }
  },
};
