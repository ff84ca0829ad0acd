// A Durable Object in TypeScript: a counter per name, kept in its SQLite
// storage, reached from the Hono app by RPC.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async increment(by: number = 1): Promise<number> {
    const next: number = ((await this.ctx.storage.get<number>("count")) ?? 0) + by;
    await this.ctx.storage.put("count", next);
    return next;
  }
}
