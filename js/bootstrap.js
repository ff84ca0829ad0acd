// Entry point of the `kiln` extension: builds the Workers global scope, then
// hands Rust the one function through which it drives the worker (see
// dispatch.js). After this module has run, nothing of deno's internals is
// reachable from the global object.
//
// The other files of js/ are scripts loaded with `core.loadExtScript`, as
// deno_web's are, rather than ES modules: QuickJS (v8x) re-links extension
// modules that import each other in a way deno_core's linker does not expect.

import { core } from "ext:core/mod.js";
import { op_kiln_register_entry } from "ext:core/ops";

const { installGlobalScope } = core.loadExtScript("ext:kiln/global_scope.js");
const { entry, ExecutionContext, FetchEvent } = core.loadExtScript(
  "ext:kiln/dispatch.js",
);

const { caches, Cache, CacheStorage } = core.loadExtScript("ext:kiln/cache.js");
const { FixedLengthStream, IdentityTransformStream } = core.loadExtScript("ext:kiln/streams.js");

installGlobalScope({
  ExecutionContext,
  FetchEvent,
  Cache,
  CacheStorage,
  FixedLengthStream,
  IdentityTransformStream,
});
// As in workerd, `caches` is the one enumerable global of these.
Object.defineProperty(globalThis, "caches", {
  value: caches,
  writable: true,
  enumerable: true,
  configurable: true,
});
op_kiln_register_entry(entry);
