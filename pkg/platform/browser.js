// Browsers, Deno and Bun: the wasm compiled as it streams in (from its bytes when it is not
// served as application/wasm).
export { ProgressPromise, PlatformApiMissingAuthError, apiSchemaToInstantSchemaDef, OAuthHandler, InstantOAuthError, SchemaValidationError, setInstantWarningsEnabled } from '../dist/platform.js';
export { exchangeCodeForToken, exchangeRefreshToken, revokeToken, createAuthorizationUrl } from '../dist/platform.js';
import { initSync } from '../dist/platform.js';
const response = await fetch(new URL('../dist/platform_bg.wasm', import.meta.url));
if (!response.ok) throw new Error(`instant-edge: the wasm answered ${response.status}`);
let module;
try {
  module = await WebAssembly.compileStreaming(response.clone());
} catch {
  module = await WebAssembly.compile(await response.arrayBuffer());
}
initSync({ module });
export { PlatformApi, i, id, InstantAPIError } from '../dist/platform.js';
