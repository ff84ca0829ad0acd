// Imports of every module rule type. add.wasm is written by hand: the bytes
// 00 61 73 6d 01 00 00 00 (magic, version), a type section for
// (i32, i32) -> i32, one function of that type exported as "add", whose body
// is local.get 0, local.get 1, i32.add.
import page from "./page.html";
import data from "./data.bin";
import wasm from "./add.wasm";
import wasmModule from "./add.wasm?module";
import notes from "./notes.md";
import nested from "./assets/nested.txt";
import config from "./config.json";
import { helper } from "./helper.esm";

const failure = async (specifier) => {
  try {
    await import(specifier);
    return "imported";
  } catch (e) {
    return `${e.name}: ${e.message}`;
  }
};

const routes = {
  "/text": () =>
    Response.json({ page, type: typeof page, notes, nested }),
  "/data": () =>
    Response.json({
      arrayBuffer: data instanceof ArrayBuffer,
      tag: Object.prototype.toString.call(data),
      byteLength: data.byteLength,
      bytes: [...new Uint8Array(data)],
    }),
  "/wasm": async () => {
    const instance = new WebAssembly.Instance(wasm, {});
    const viaQuery = await WebAssembly.instantiate(wasmModule);
    return Response.json({
      module: wasm instanceof WebAssembly.Module,
      sum: instance.exports.add(2, 40),
      viaQuery: viaQuery.exports.add(-1, 1),
    });
  },
  "/json": () => Response.json(config),
  "/esm": () => new Response(helper),
  "/dynamic": async () => {
    const again = await import("./data.bin");
    return Response.json({ same: again.default === data });
  },
  "/commonjs": async () => new Response((await import("./legacy.cjs")).default),
  "/unmatched": async () => new Response(await failure("./unmatched.xyz")),
};

export default {
  async fetch(request) {
    const route = routes[new URL(request.url).pathname];
    return route ? route() : new Response("not found", { status: 404 });
  },
};
