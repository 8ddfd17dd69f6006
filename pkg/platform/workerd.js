// Workers tooling imports .wasm as a compiled WebAssembly.Module (workerd forbids compiling bytes).
export { ProgressPromise, PlatformApiMissingAuthError, apiSchemaToInstantSchemaDef, OAuthHandler, InstantOAuthError, SchemaValidationError, setInstantWarningsEnabled } from '../dist/platform.js';
export { exchangeCodeForToken, exchangeRefreshToken, revokeToken, createAuthorizationUrl } from '../dist/platform.js';
import wasm from '../dist/platform_bg.wasm';
import { initSync } from '../dist/platform.js';
initSync({ module: wasm });
export { PlatformApi, i, id, InstantAPIError } from '../dist/platform.js';
