// Browsers, Deno and Bun: streaming instantiation relative to this module.
import init from './dist/instant_edge.js';
await init({ module_or_path: new URL('./dist/instant_edge_bg.wasm', import.meta.url) });
export * from './dist/api.js';
