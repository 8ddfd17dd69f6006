// Workers tooling imports .wasm as a compiled WebAssembly.Module (workerd forbids compiling bytes).
import wasm from './dist/instant_edge_bg.wasm';
import { initSync } from './dist/instant_edge.js';
initSync({ module: wasm });
export * from './dist/api.js';
