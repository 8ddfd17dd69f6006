// The package's warnings have one switch and one record for both entries (`instant-edge` and
// `instant-edge/platform` are separate bundles): `setInstantWarningsEnabled` of either silences
// both, and the Instant Cloud fallback is said once per process, whichever entry meets it first.
// Its own file: node --test gives each file its own process, and the record is per process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as admin from '../../pkg/node.js';
import * as platform from '../../pkg/platform/node.js';

test('one switch and one record of warnings for both entries', () => {
  const saved = process.env.INSTANT_API_URI;
  const realWarn = console.warn;
  const warnings = [];
  console.warn = (...args) => warnings.push(args.join(' '));
  delete process.env.INSTANT_API_URI;
  try {
    assert.equal(typeof platform.setInstantWarningsEnabled, 'function');
    admin.setInstantWarningsEnabled(false);
    new platform.PlatformApi({ auth: { token: 'per_x' } });
    assert.deepEqual(warnings, [], "the admin entry's switch silences the platform entry");
    platform.setInstantWarningsEnabled(true);
    new platform.PlatformApi({ auth: { token: 'per_x' } });
    new platform.PlatformApi({ auth: { token: 'per_x' } });
    admin.init({ appId: crypto.randomUUID(), adminToken: crypto.randomUUID() });
    assert.deepEqual(warnings, ['instant-edge: no apiURI or INSTANT_API_URI: using Instant Cloud, which closes on 2027-08-31']);
  } finally {
    console.warn = realWarn;
    if (saved === undefined) delete process.env.INSTANT_API_URI;
    else process.env.INSTANT_API_URI = saved;
  }
});
