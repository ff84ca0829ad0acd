// Defines Counter; "front" reaches it through a binding with script_name.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Counts constructions in storage: after an eviction the next call
    // constructs the object again.
    ctx.blockConcurrencyWhile(async () => {
      this.constructions = ((await ctx.storage.get("constructions")) ?? 0) + 1;
      await ctx.storage.put("constructions", this.constructions);
    });
    this.calls = 0;
  }
  lifecycle() {
    this.calls += 1;
    return { constructions: this.constructions, callsSinceConstruction: this.calls };
  }
  async increment(by) {
    const value = ((await this.ctx.storage.get("n")) ?? 0) + by;
    await this.ctx.storage.put("n", value);
    return { value, name: this.ctx.id.name, at: new Date(0) };
  }
  fail() {
    throw new RangeError("counter says no");
  }
  get answer() {
    return 42;
  }
  async fetch(request) {
    return new Response(`back saw ${request.method} ${new URL(request.url).pathname}: ${await request.text()}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = env.COUNTER.idFromName(url.searchParams.get("name"));
    if (url.pathname === "/lifecycle") {
      return Response.json(await env.COUNTER.get(id).lifecycle());
    }
    return new Response(id.toString());
  },
};
