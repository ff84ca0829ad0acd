// A worker that allocates without end (tests/e2e/memory_limit.rs).
//
// /grow     keeps strings and objects until the heap limit stops it
// /buffers  keeps 1 MiB ArrayBuffers the same way
// /         answers "ok" (and how many isolates have started it)
globalThis.starts = (globalThis.starts ?? 0) + 1;
const kept = [];

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/grow") {
      for (let i = 0; ; i++) kept.push({ i, text: "x".repeat(64 * 1024) + i });
    }
    if (url.pathname === "/buffers") {
      for (;;) kept.push(new Uint8Array(1 << 20).fill(1));
    }
    return new Response(`ok, ${kept.length} kept`);
  },
};
