// One Durable Object per counter: the object serialises the updates, SQLite
// keeps the value, and every read sees every write acknowledged before it.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)",
    );
  }

  increment() {
    this.ctx.storage.sql.exec("INSERT INTO hits (at) VALUES (?)", Date.now());
    return this.count();
  }

  count() {
    return this.ctx.storage.sql.exec("SELECT count(*) AS n FROM hits").one().n;
  }
}

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1) || "default";
    const counter = env.COUNTERS.getByName(name);
    const value = request.method === "POST" ? await counter.increment() : await counter.count();
    return Response.json({ name, value });
  },
};
