// One object, driven N times per HTTP request: /rpc and /fetch make N
// sequential calls from the worker into the object; /put, /get and /sql make
// one call in which the object does N storage operations, each awaited.
// The runner times each request from outside and divides N by it.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.count = 0;
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, value TEXT)");
  }
  inc() {
    return ++this.count;
  }
  fetch() {
    return new Response(String(++this.count));
  }
  async put(n) {
    for (let i = 0; i < n; i++) await this.ctx.storage.put(`k${i % 1000}`, i);
    return n;
  }
  async get(n) {
    let found = 0;
    for (let i = 0; i < n; i++) if ((await this.ctx.storage.get(`k${i % 1000}`)) !== undefined) found++;
    return found;
  }
  sql(n) {
    for (let i = 0; i < n; i++) this.ctx.storage.sql.exec("INSERT INTO items (value) VALUES (?)", `v${i}`);
    return n;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1");
    const stub = env.COUNTER.getByName("bench");
    let done = 0;
    switch (url.pathname) {
      case "/rpc":
        for (let i = 0; i < n; i++) done = await stub.inc();
        break;
      case "/fetch":
        for (let i = 0; i < n; i++) done = Number(await (await stub.fetch("http://do/")).text());
        break;
      case "/put":
        done = await stub.put(n);
        break;
      case "/get":
        done = await stub.get(n);
        break;
      case "/sql":
        done = await stub.sql(n);
        break;
      default:
        return new Response("no such workload", { status: 404 });
    }
    return new Response(String(done));
  },
};
