// Node's fetch cannot read file: URLs, so the glue's default loader fails: read the bytes.
export { ProgressPromise, PlatformApiMissingAuthError, apiSchemaToInstantSchemaDef, OAuthHandler, InstantOAuthError, SchemaValidationError, setInstantWarningsEnabled } from '../dist/platform.js';
export { exchangeCodeForToken, exchangeRefreshToken, revokeToken, createAuthorizationUrl } from '../dist/platform.js';
import { readFileSync } from 'node:fs';
import { initSync } from '../dist/platform.js';
initSync({ module: readFileSync(new URL('../dist/platform_bg.wasm', import.meta.url)) });
export { PlatformApi, i, id, InstantAPIError } from '../dist/platform.js';
