// The Durable Objects test worker (tests/e2e/durable_objects.rs).
//
// GET /scenario/<name>?... runs one named scenario and answers 200 with its
// JSON report; a scenario that throws answers 500 with {uncaught: ...}.
// GET /ws?name=N forwards a WebSocket upgrade to the Counter named N and
// returns the object's 101 Response as it is.
//
// Values are reported in a tagged JSON form (see `enc`) so that types the
// JSON data model lacks (undefined, Map, Date, ArrayBuffer, BigInt, ...)
// can be compared exactly. Errors are reported as {name, message} plus the
// Durable-Object-specific properties (remote, durableObjectReset, ...) when,
// and only when, the runtime set them.

import { DurableObject } from "cloudflare:workers";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Reporting helpers.

function enc(v) {
  if (v === undefined) return { undefined: null };
  if (v === null) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return { BigInt: v.toString() };
    case "number":
      if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) {
        return { Number: Object.is(v, -0) ? "-0" : String(v) };
      }
      return v;
    case "function":
      return { function: v.name };
    case "symbol":
      return { symbol: String(v) };
  }
  if (v instanceof Date) return { Date: v.toISOString() };
  if (v instanceof Map) return { Map: [...v].map(([k, x]) => [enc(k), enc(x)]) };
  if (v instanceof Set) return { Set: [...v].map(enc) };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (v instanceof DataView) {
    return { DataView: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  }
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: Array.from(v, (x) => (typeof x === "bigint" ? x.toString() : enc(x))) };
  }
  if (v instanceof RegExp) return { RegExp: String(v) };
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) {
    const out = [];
    for (let i = 0; i < v.length; i++) out.push(i in v ? enc(v[i]) : { hole: null });
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const k of Object.keys(v)) o[k] = enc(v[k]);
  if (proto === Object.prototype) return { Object: o };
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  const o = { name: e.name, message: e.message };
  for (const k of ["remote", "durableObjectReset", "retryable", "overloaded"]) {
    if (e[k] !== undefined) o[k] = e[k];
  }
  return o;
}

// {ok: enc(value)} or {error: errj(e)}.
async function cap(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: errj(e) };
  }
}

function capSync(fn) {
  try {
    return { ok: enc(fn()) };
  } catch (e) {
    return { error: errj(e) };
  }
}

const keysOf = (map) => [...map.keys()];

// ---------------------------------------------------------------------------
// Counter: `extends DurableObject`, SQLite-backed (new_sqlite_classes).

export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.value = 0;
    this.seq = [];
    this.events = [];
    this.sockets = new Set();
    this.token = crypto.randomUUID();
    this.ready = false;
    this.constructorArgs = {
      ctxIsThisCtx: this.ctx === ctx,
      envIsThisEnv: this.env === env,
      envHasBinding: typeof env.COUNTER?.idFromName === "function",
      hasStorage: typeof ctx.storage?.get === "function",
      idIsObject: typeof ctx.id?.toString === "function",
    };
    ctx.blockConcurrencyWhile(async () => {
      await sleep(20);
      this.ready = true;
    });
  }

  // -- identity and in-memory state --
  hello() {
    return {
      ready: this.ready,
      name: enc(this.ctx.id.name),
      id: this.ctx.id.toString(),
      token: this.token,
      ...this.constructorArgs,
    };
  }
  increment(by = 1) {
    this.value += by;
    return this.value;
  }
  getValue() {
    return this.value;
  }
  append(i) {
    this.seq.push(i);
    return this.seq.length;
  }
  getSeq() {
    return this.seq;
  }
  get prop() {
    return 42;
  }
  fail(kind) {
    switch (kind) {
      case "TypeError":
        throw new TypeError("bad type here");
      case "RangeError":
        throw new RangeError("out of range");
      case "custom": {
        const e = new Error("custom named");
        e.name = "MyCustomError";
        throw e;
      }
      case "string":
        throw "a plain string";
      default:
        throw new Error("boom");
    }
  }
  abortMe(reason) {
    if (reason === undefined) this.ctx.abort();
    else this.ctx.abort(reason);
    return "not reached";
  }
  startBlocking(ms) {
    this.events = [];
    this.ctx.blockConcurrencyWhile(async () => {
      this.events.push("bcw start");
      await sleep(ms);
      this.events.push("bcw end");
    });
    this.events.push("method returns");
    return "started";
  }
  mark(x) {
    this.events.push(x);
    return [...this.events];
  }
  async bcwResult() {
    return await this.ctx.blockConcurrencyWhile(async () => {
      await sleep(5);
      return "bcw value";
    });
  }
  echo(v) {
    return { seen: enc(v), back: v };
  }

  // -- storage --
  async write(key, value) {
    await this.ctx.storage.put(key, value);
    return "ok";
  }
  async readAll() {
    return Object.fromEntries(await this.ctx.storage.list());
  }
  async readKeys() {
    return keysOf(await this.ctx.storage.list());
  }

  async kvBasic() {
    const s = this.ctx.storage;
    const r = {};
    r.getMissing = await cap(() => s.get("a"));
    r.putOne = await cap(() => s.put("a", 1));
    r.getOne = await cap(() => s.get("a"));
    r.putMany = await cap(() => s.put({ c: 3, b: 2, d: undefined }));
    r.getMany = await cap(() => s.get(["c", "zz", "a", "b", "d"]));
    r.getManyEmpty = await cap(() => s.get(["nope"]));
    r.overwrite = await cap(async () => {
      await s.put("a", "one");
      return s.get("a");
    });
    r.deleteExisting = await cap(() => s.delete("a"));
    r.deleteMissing = await cap(() => s.delete("a"));
    r.deleteMany = await cap(() => s.delete(["b", "c", "nope"]));
    r.deleteManyNone = await cap(() => s.delete(["b", "c"]));
    r.putUndefined = await cap(() => s.put("k", undefined));
    r.putEntriesBadOptions = await cap(() => s.put({ x: 1 }, "not options"));
    r.putFunction = await cap(() => s.put("f", () => 1)).then((x) => (x.error ? { errorName: x.error.name } : x));
    r.listAfter = await cap(() => s.list());
    // The synchronous KV API of SQLite-backed objects shares the same data.
    r.syncKv = capSync(() => {
      s.kv.put("sk1", new Map([["m", 1]]));
      s.kv.put("sk2", 2);
      return [s.kv.get("sk1"), s.kv.get("missing"), [...s.kv.list({ prefix: "sk" })], s.kv.delete("sk2"), s.kv.delete("sk2")];
    });
    r.syncKvSeenByAsync = await cap(() => s.get("sk1"));
    return r;
  }

  async kvList() {
    const s = this.ctx.storage;
    await s.put({ a: 1, b: 2, ba: 3, bb: 4, c: 5, d: 6, e: 7 });
    const l = async (opts) => {
      try {
        return keysOf(await s.list(opts));
      } catch (e) {
        return { error: errj(e) };
      }
    };
    return {
      all: await l(),
      start: await l({ start: "b" }),
      startAfter: await l({ startAfter: "b" }),
      end: await l({ end: "c" }),
      startEnd: await l({ start: "b", end: "d" }),
      prefix: await l({ prefix: "b" }),
      prefixReverse: await l({ prefix: "b", reverse: true }),
      prefixStart: await l({ prefix: "b", start: "ba" }),
      limit: await l({ limit: 2 }),
      reverseLimit: await l({ reverse: true, limit: 2 }),
      startAfterEndReverse: await l({ startAfter: "a", end: "c", reverse: true }),
      emptyRange: await l({ start: "d", end: "b" }),
      noMatchPrefix: await l({ prefix: "zz" }),
      values: enc(await s.list({ prefix: "b" })),
      startAndStartAfter: await l({ start: "a", startAfter: "a" }),
      limitZero: await l({ limit: 0 }),
      limitNegative: await l({ limit: -1 }),
    };
  }

  async kvOrder() {
    const s = this.ctx.storage;
    const keys = ["z", "\u{1F600}", "\uFFFD", "\uE000", "é", "A", "a", "\u0080", "", "a\u0000b", "a0", "ä"];
    for (const k of keys) await s.put(k, k.length);
    const asc = keysOf(await s.list());
    const desc = keysOf(await s.list({ reverse: true }));
    const codes = (ks) => ks.map((k) => [...k].map((c) => c.codePointAt(0).toString(16)).join(" "));
    return { asc: codes(asc), desc: codes(desc), afterEmoji: codes(keysOf(await s.list({ startAfter: "\uFFFD" }))) };
  }

  async kvTypes() {
    const s = this.ctx.storage;
    class Point {
      constructor() {
        this.x = 1;
        this.y = 2;
      }
    }
    const values = {
      string: "héllo \u{1F600}",
      emptyString: "",
      int: 42,
      float: -1.25,
      negZero: -0,
      nan: NaN,
      inf: -Infinity,
      true: true,
      null: null,
      bigint: 12345678901234567890n,
      date: new Date(Date.UTC(2020, 1, 29, 12, 34, 56, 789)),
      map: new Map([[1, "one"], ["two", { n: 2 }]]),
      set: new Set(["x", 1, "x"]),
      u8: new Uint8Array([0, 1, 255]),
      f64: new Float64Array([1.5, -2]),
      i32: new Int32Array([-1, 2147483647]),
      big64: new BigInt64Array([-1n, 9n]),
      arrayBuffer: new Uint8Array([9, 8, 7]).buffer,
      nested: { a: [1, { b: [2, new Map([["k", new Set([3])]])] }], c: { d: null } },
      sparse: [1, , 3],
      regexp: /ab+c/gi,
      error: new RangeError("stored error"),
      instance: new Point(),
    };
    for (const [k, v] of Object.entries(values)) await s.put(`v:${k}`, v);
    const out = {};
    for (const k of Object.keys(values)) out[k] = enc(await s.get(`v:${k}`));
    // The same values through put(entries) and get(keys).
    await s.put({ "m:date": values.date, "m:map": values.map, "m:u8": values.u8 });
    out.many = enc(await s.get(["m:u8", "m:date", "m:map"]));
    // Mutating a value after put does not change what is stored.
    const obj = { n: 1 };
    await s.put("v:mutated", obj);
    obj.n = 2;
    out.mutatedAfterPut = enc(await s.get("v:mutated"));
    return out;
  }

  async kvDeleteAll() {
    const s = this.ctx.storage;
    await s.put({ a: 1, b: 2 });
    s.sql.exec("CREATE TABLE IF NOT EXISTS da (x)");
    s.sql.exec("INSERT INTO da VALUES (1)");
    await s.setAlarm(Date.now() + 3600_000);
    const before = {
      keys: keysOf(await s.list()),
      tables: s.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'da'").toArray().length,
      alarmSet: (await s.getAlarm()) !== null,
    };
    const result = await cap(() => s.deleteAll());
    const after = {
      keys: keysOf(await s.list()),
      tables: s.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'da'").toArray().length,
      alarm: await s.getAlarm(),
    };
    await s.put("again", 1);
    after.putAfter = enc(await s.get("again"));
    return { before, result, after, value: this.value };
  }

  async kvTxn() {
    const s = this.ctx.storage;
    const r = {};
    r.commit = await cap(() =>
      s.transaction(async (txn) => {
        await txn.put("t1", 1);
        await txn.put({ t2: 2 });
        return "committed value";
      }),
    );
    r.afterCommit = enc(await s.get(["t1", "t2"]));
    r.throwing = await cap(() =>
      s.transaction(async (txn) => {
        await txn.put("t3", 3);
        await txn.delete("t1");
        throw new Error("txn boom");
      }),
    );
    r.afterThrow = enc(await s.get(["t1", "t2", "t3"]));
    let moved;
    r.explicitRollback = await cap(() =>
      s.transaction(async (txn) => {
        await txn.put("t4", 4);
        txn.rollback();
        moved = txn;
        return "rolled back";
      }),
    );
    r.afterRollback = enc(await s.get("t4"));
    r.useAfterRollback = await cap(() => moved.put("t5", 5));
    let escaped;
    await s.transaction(async (txn) => {
      escaped = txn;
    });
    r.useAfterCommit = await cap(() => escaped.put("t6", 6));
    r.getAfterCommit = await cap(() => escaped.get("t1"));
    r.deleteAllInTxn = await cap(() => s.transaction(async (txn) => txn.deleteAll()));
    r.readInside = await cap(() =>
      s.transaction(async (txn) => {
        await txn.put("t7", 7);
        return [await txn.get("t7"), keysOf(await txn.list({ prefix: "t" }))];
      }),
    );
    r.nested = await cap(() =>
      s.transaction(async (outer) => {
        await outer.put("n1", 1);
        try {
          await s.transaction(async (inner) => {
            await inner.put("n2", 2);
            throw new Error("inner");
          });
        } catch {}
        return keysOf(await outer.list({ prefix: "n" }));
      }),
    );
    r.afterNested = keysOf(await s.list({ prefix: "n" }));
    // transactionSync: synchronous, savepoint-based.
    s.sql.exec("CREATE TABLE ts (x INTEGER)");
    r.syncCommit = capSync(() =>
      s.transactionSync(() => {
        s.sql.exec("INSERT INTO ts VALUES (1)");
        return "sync value";
      }),
    );
    r.syncThrow = capSync(() =>
      s.transactionSync(() => {
        s.sql.exec("INSERT INTO ts VALUES (2)");
        throw new TypeError("sync boom");
      }),
    );
    r.syncNested = capSync(() =>
      s.transactionSync(() => {
        s.sql.exec("INSERT INTO ts VALUES (3)");
        try {
          s.transactionSync(() => {
            s.sql.exec("INSERT INTO ts VALUES (4)");
            throw new Error("inner sync");
          });
        } catch {}
        return "outer kept";
      }),
    );
    r.syncRows = s.sql.exec("SELECT x FROM ts ORDER BY x").toArray().map((row) => row.x);
    r.value = this.value;
    return r;
  }

  // -- SQL --
  sqlBasic() {
    const sql = this.ctx.storage.sql;
    const r = {};
    const create = sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, n)");
    r.create = { columnNames: create.columnNames, rows: create.toArray().length };
    const ins = sql.exec(
      "INSERT INTO t (name, score, data, n) VALUES (?, ?, ?, ?)",
      "alice",
      1.5,
      new Uint8Array([1, 2, 3]),
      null,
    );
    ins.toArray();
    r.insert = { rowsRead: ins.rowsRead, rowsWritten: ins.rowsWritten };
    sql.exec("INSERT INTO t (name, score, data, n) VALUES (?, ?, ?, ?)", "bob", 2, new Uint8Array([4]).buffer, 7);
    sql.exec("INSERT INTO t (name, score, data, n) VALUES (?, ?, ?, ?)", "carol", -0.5, null, "text in untyped");
    r.all = enc(sql.exec("SELECT * FROM t ORDER BY id").toArray());
    const cursor = sql.exec("SELECT id AS a, name AS b FROM t ORDER BY id");
    r.columnNames = cursor.columnNames;
    r.beforeIteration = { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
    const first = cursor.next();
    r.first = enc(first);
    r.afterOne = { rowsRead: cursor.rowsRead };
    r.rest = enc(cursor.raw().toArray());
    r.afterAll = { rowsRead: cursor.rowsRead, next: enc(cursor.next()) };
    const iterated = [];
    for (const row of sql.exec("SELECT name FROM t WHERE id > ? ORDER BY id", 1)) iterated.push(row.name);
    r.iterated = iterated;
    r.rawSpread = enc([...sql.exec("SELECT id, name FROM t ORDER BY id DESC").raw()]);
    r.rawColumnNames = sql.exec("SELECT 1 AS x, 2 AS x").columnNames;
    r.duplicateColumn = enc(sql.exec("SELECT 1 AS x, 2 AS x").one());
    r.one = enc(sql.exec("SELECT name FROM t WHERE id = ?", 2).one());
    r.oneNone = capSync(() => sql.exec("SELECT name FROM t WHERE id = -1").one());
    r.oneMany = capSync(() => sql.exec("SELECT name FROM t").one());
    const upd = sql.exec("UPDATE t SET score = score + 1");
    r.update = { rowsRead: upd.rowsRead, rowsWritten: upd.rowsWritten, rows: upd.toArray().length };
    const del = sql.exec("DELETE FROM t WHERE id = 3");
    r.delete = { rowsWritten: del.rowsWritten };
    r.types = enc(
      sql.exec("SELECT 1 AS i, 1.5 AS r, 'x' AS s, x'00ff' AS b, NULL AS z, 9007199254740993 AS big, -7 AS neg").one(),
    );
    r.typeofBindings = sql
      .exec(
        "SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c, typeof(?) AS d, typeof(?) AS e, typeof(?) AS f",
        1,
        2.5,
        "s",
        new Uint8Array([1]),
        null,
        undefined,
      )
      .one();
    r.boundValues = enc(sql.exec("SELECT ? AS a, ? AS b, ? AS c", 3, "three", new Uint8Array([3]).buffer).one());
    r.multi = enc(
      sql.exec("INSERT INTO t (name) VALUES ('m1'); INSERT INTO t (name) VALUES ('m2'); SELECT count(*) AS c FROM t").toArray(),
    );
    r.multiLastParam = enc(sql.exec("INSERT INTO t (name) VALUES ('m3'); SELECT ? AS p", 7).toArray());
    r.multiTrailingSemicolon = enc(sql.exec("SELECT 5 AS five;").toArray());
    r.boolBinding = capSync(() => sql.exec("SELECT typeof(?) AS t, ? AS v", true, true).one());
    // The message is the engine's own (V8: "Cannot convert a BigInt value to a number").
    r.bigintBindingErrorName = capSync(() => sql.exec("SELECT ? AS v", 5n).one()).error?.name;
    r.emptySelect = (() => { const c = sql.exec("SELECT * FROM t WHERE id < 0"); const rows = c.toArray(); return { rows: rows.length, rowsRead: c.rowsRead, columnNames: c.columnNames }; })();
    return r;
  }

  sqlErrors() {
    const s = this.ctx.storage;
    const sql = s.sql;
    sql.exec("CREATE TABLE e (x)");
    const e = (q, ...b) => capSync(() => sql.exec(q, ...b).toArray());
    return {
      multiParamNotLast: e("SELECT ?; SELECT 1", 1),
      wrongBindingCount: e("SELECT ?", 1, 2),
      missingBinding: e("SELECT ?, ?", 1),
      empty: e(""),
      onlyComment: e("-- nothing"),
      syntax: e("SELEC 1"),
      noTable: e("SELECT * FROM missing"),
      begin: e("BEGIN TRANSACTION"),
      beginBare: e("BEGIN"),
      commit: e("COMMIT"),
      savepoint: e("SAVEPOINT sp"),
      attach: e("ATTACH DATABASE 'other.db' AS other"),
      createCf: e("CREATE TABLE _cf_mine (x)"),
      createCfUpper: e("CREATE TABLE _CF_Mine (x)"),
      renameToCf: e("ALTER TABLE e RENAME TO _cf_e"),
      temp: e("CREATE TEMP TABLE tt (x)"),
      pragmaJournal: e("PRAGMA journal_mode"),
      pragmaWritable: e("PRAGMA writable_schema = ON"),
      pragmaTableList: capSync(() => sql.exec("PRAGMA table_list").toArray().map((r) => r.name).filter((n) => n === "e")),
      pragmaTableInfo: capSync(() => sql.exec("PRAGMA table_info(e)").toArray().map((r) => r.name)),
      pragmaForeignKeys: e("PRAGMA foreign_keys = ON"),
      pragmaPageSizeRead: capSync(() => typeof sql.exec("PRAGMA page_size").one().page_size),
      fnSqliteVersion: e("SELECT sqlite_version()"),
      fnSourceId: e("SELECT sqlite_source_id()"),
      fnAllowed: capSync(() => sql.exec("SELECT abs(-3) AS a, upper('x') AS u, json_extract('{\"k\":4}', '$.k') AS j").one()),
      constraint: capSync(() => {
        sql.exec("CREATE TABLE u (x UNIQUE)");
        sql.exec("INSERT INTO u VALUES (1)");
        sql.exec("INSERT INTO u VALUES (1)");
      }),
      stillWorks: enc(sql.exec("SELECT count(*) AS n FROM u").one()),
    };
  }

  async sqlCf() {
    await this.ctx.storage.put("kvkey", "kvvalue");
    const sql = this.ctx.storage.sql;
    return {
      readKv: capSync(() => sql.exec("SELECT * FROM _cf_KV").toArray()),
      dropKv: capSync(() => sql.exec("DROP TABLE _cf_KV").toArray()),
      kvStillThere: enc(await this.ctx.storage.get("kvkey")),
    };
  }

  sqlSize() {
    const s = this.ctx.storage;
    const before = s.sql.databaseSize;
    s.sql.exec("CREATE TABLE IF NOT EXISTS big (b BLOB)");
    for (let i = 0; i < 10; i++) s.sql.exec("INSERT INTO big VALUES (?)", new Uint8Array(16384));
    const after = s.sql.databaseSize;
    return {
      type: typeof before,
      beforePositive: before > 0,
      grewBy160k: after - before >= 160000,
      multipleOfPage: after % s.sql.exec("PRAGMA page_size").one().page_size === 0,
    };
  }

  // -- alarms --
  async alarmApi() {
    const s = this.ctx.storage;
    const r = {};
    r.initial = await s.getAlarm();
    const t1 = Date.now() + 3600_000;
    r.setNumber = await cap(() => s.setAlarm(t1));
    r.getAfterNumber = (await s.getAlarm()) === t1;
    const t2 = Date.now() + 7200_000;
    r.setDate = await cap(() => s.setAlarm(new Date(t2)));
    r.getAfterDate = (await s.getAlarm()) === t2;
    r.deleteResult = await cap(() => s.deleteAlarm());
    r.afterDelete = await s.getAlarm();
    r.deleteAgain = await cap(() => s.deleteAlarm());
    r.setZero = await cap(() => s.setAlarm(0));
    r.setNegative = await cap(() => s.setAlarm(-5));
    r.setEpochDate = await cap(() => s.setAlarm(new Date(0)));
    r.afterErrors = await s.getAlarm();
    return r;
  }

  async setAlarmIn(ms, fail) {
    const s = this.ctx.storage;
    await s.put("alarm:fail", fail);
    await s.delete("alarm:runs");
    const t = Date.now() + ms;
    await s.setAlarm(t);
    return { t, get: await s.getAlarm() };
  }

  async alarmStatus() {
    return {
      runs: (await this.ctx.storage.get("alarm:runs")) ?? [],
      alarm: await this.ctx.storage.getAlarm(),
      now: Date.now(),
    };
  }

  async alarm(info) {
    const s = this.ctx.storage;
    const runs = (await s.get("alarm:runs")) ?? [];
    runs.push({
      scheduledTime: info?.scheduledTime,
      retryCount: info?.retryCount,
      isRetry: info?.isRetry,
      at: Date.now(),
      name: enc(this.ctx.id.name),
      getAlarmDuring: await s.getAlarm(),
    });
    await s.put("alarm:runs", runs);
    const fail = (await s.get("alarm:fail")) ?? 0;
    if (fail > 0) {
      await s.put("alarm:fail", fail - 1);
      throw new Error("alarm failed on purpose");
    }
  }

  // -- WebSocket --
  broadcast(msg) {
    for (const ws of this.sockets) ws.send(`broadcast:${msg}`);
    return this.sockets.size;
  }

  async fetch(request) {
    if (request.headers.get("Upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      this.sockets.add(server);
      server.addEventListener("message", (e) => {
        if (e.data === "value") server.send(`value:${this.value}`);
        else if (e.data === "name") server.send(`name:${this.ctx.id.name}`);
        else server.send(`echo:${e.data}`);
      });
      server.addEventListener("close", () => this.sockets.delete(server));
      return new Response(null, { status: 101, webSocket: client });
    }
    const url = new URL(request.url);
    const headers = {};
    for (const [k, v] of request.headers) if (k.startsWith("x-")) headers[k] = v;
    return new Response(
      JSON.stringify({
        method: request.method,
        url: request.url,
        path: url.pathname,
        headers,
        body: await request.text(),
        name: enc(this.ctx.id.name),
        value: this.value,
      }),
      { status: 201, headers: { "content-type": "application/json", "x-from-do": "yes" } },
    );
  }
}

// ---------------------------------------------------------------------------
// Plain: a class that extends nothing and takes (state, env); SQLite-backed,
// no alarm() handler.

export class Plain {
  constructor(state, env) {
    this.state = state;
    this.env = env;
    this.count = 0;
  }

  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/whoami":
        return Response.json({
          name: enc(this.state.id.name),
          id: this.state.id.toString(),
          envHasBinding: typeof this.env.PLAIN?.idFromName === "function",
          count: ++this.count,
          storageWorks: await cap(async () => {
            await this.state.storage.put("k", "v");
            return this.state.storage.get("k");
          }),
        });
      case "/set-alarm":
        return Response.json(await cap(() => this.state.storage.setAlarm(Date.now() + 60_000)));
      default:
        return new Response("plain: not found", { status: 404 });
    }
  }
}

// ---------------------------------------------------------------------------
// KvOnly: `extends DurableObject`, declared with new_classes (no SQL).

export class KvOnly extends DurableObject {
  async probe() {
    const s = this.ctx.storage;
    return {
      sqlAccess: capSync(() => typeof s.sql),
      exec: capSync(() => s.sql.exec("SELECT 1").toArray()),
      databaseSize: capSync(() => s.sql.databaseSize),
      kv: await cap(async () => {
        await s.put("k", new Map([["a", 1]]));
        return s.get("k");
      }),
      list: await cap(() => s.list()),
      syncKv: capSync(() => s.kv.get("k")),
      transactionSync: capSync(() => s.transactionSync(() => "sync ok")),
      transaction: await cap(() =>
        s.transaction(async (txn) => {
          await txn.put("t", 1);
          return txn.get("t");
        }),
      ),
    };
  }
}

// ---------------------------------------------------------------------------
// Room: `extends DurableObject`, SQLite-backed (migration "v2"): the
// WebSocket hibernation API (spec websocket-semantics.md §7).
//
// GET /room-ws?name=N&tags=a,b&client=C&onclose=close|none forwards the
// upgrade to the Room named N, whose fetch() accepts pair[1] with
// ctx.acceptWebSocket(ws, tags), stores {client, onclose} as the socket's
// attachment and answers 101 with pair[0]. The handlers record what they
// see in storage (ctx.storage.kv "events") so that the record survives a
// hibernation; /scenario/room-* routes read it back through RPC.

const ROOM_EVENTS = "room-events";

// How many Room instances were constructed in this isolate: a module
// variable outlives a hibernated instance, so a rise shows a wake-up.
let roomConstructions = 0;

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    roomConstructions++;
  }

  record(event) {
    const events = this.ctx.storage.kv.get(ROOM_EVENTS) ?? [];
    events.push(event);
    this.ctx.storage.kv.put(ROOM_EVENTS, events);
  }

  clientOf(ws) {
    try {
      return ws.deserializeAttachment()?.client ?? null;
    } catch (e) {
      return { error: errj(e) };
    }
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (request.headers.get("Upgrade") !== "websocket") {
      return new Response("room: expected a WebSocket upgrade", { status: 426 });
    }
    const tags = (url.searchParams.get("tags") ?? "").split(",").filter((t) => t !== "");
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], tags);
    pair[1].serializeAttachment({
      client: url.searchParams.get("client") ?? "anonymous",
      onclose: url.searchParams.get("onclose") ?? "none",
    });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    const client = this.clientOf(ws);
    if (typeof message === "string") {
      this.record({ type: "message", client, kind: "string", data: message });
      if (message === "close-me") ws.close(4000, "server closing");
      else if (message === "throw") throw new Error("handler failed on purpose");
      else if (message.startsWith("hold-timer:")) {
        // Holds the object awake until the timer fires.
        setTimeout(() => ws.send("timer fired"), Number(message.slice(11)));
        ws.send("timer set");
      } else if (message.startsWith("hold-wait-until:")) {
        this.ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, Number(message.slice(16)))));
        ws.send("waitUntil set");
      } else if (message === "hold-plain-socket") {
        // A socket accepted with accept() cannot hibernate.
        this.plain = new WebSocketPair();
        this.plain[0].accept();
        ws.send("plain socket accepted");
      } else if (message === "release-plain-socket") {
        this.plain[0].close(1000, "done");
        this.plain[1].accept();
        ws.send("plain socket closed");
      } else ws.send(`echo:${message}`);
      return;
    }
    const bytes = [...new Uint8Array(message)];
    this.record({ type: "message", client, kind: Object.prototype.toString.call(message), data: bytes });
    ws.send(`binary:${message instanceof ArrayBuffer ? "ArrayBuffer" : typeof message}:${bytes.join(",")}`);
    ws.send(message);
  }

  webSocketClose(ws, code, reason, wasClean) {
    const attachment = ws.deserializeAttachment();
    const event = { type: "close", client: attachment?.client ?? null, code, reason, wasClean };
    if (attachment?.onclose === "close") event.closeResult = capSync(() => ws.close(1000, "done"));
    this.record(event);
  }

  webSocketError(ws, error) {
    this.record({ type: "error", client: this.clientOf(ws), error: errj(error) });
  }

  // -- read back --
  events() {
    return this.ctx.storage.kv.get(ROOM_EVENTS) ?? [];
  }
  sockets(tag) {
    const all = this.ctx.getWebSockets();
    return {
      all: all.map((ws) => this.clientOf(ws)),
      tags: all.map((ws) => this.ctx.getTags(ws)),
      tagged: tag === null ? null : this.ctx.getWebSockets(tag).map((ws) => this.clientOf(ws)),
      unknownTag: this.ctx.getWebSockets("no-such-tag").length,
    };
  }
  broadcast(text) {
    const all = this.ctx.getWebSockets();
    for (const ws of all) ws.send(text);
    return all.length;
  }

  // -- auto-response --
  setAutoResponse(request, response) {
    const before = this.ctx.getWebSocketAutoResponse();
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(request, response));
    const pair = this.ctx.getWebSocketAutoResponse();
    return {
      before: enc(before),
      isPair: pair instanceof WebSocketRequestResponsePair,
      request: pair.request,
      response: pair.response,
    };
  }
  autoResponseState() {
    return this.ctx.getWebSockets().map((ws) => {
      const ts = this.ctx.getWebSocketAutoResponseTimestamp(ws);
      return {
        client: this.clientOf(ws),
        isDate: ts instanceof Date,
        recent: ts instanceof Date ? Math.abs(Date.now() - ts.getTime()) < 60_000 : enc(ts),
      };
    });
  }

  // -- errors, limits and attachments, without a client --
  apiErrors() {
    const ctx = this.ctx;
    const r = {};
    const accepted = new WebSocketPair();
    accepted[1].accept();
    r.alreadyAccepted = capSync(() => ctx.acceptWebSocket(accepted[1]));
    const peerAccepted = new WebSocketPair();
    peerAccepted[0].accept();
    r.peerAccepted = capSync(() => ctx.acceptWebSocket(peerAccepted[1]));
    const eleven = Array.from({ length: 11 }, (_, i) => `t${i}`);
    r.elevenTags = capSync(() => ctx.acceptWebSocket(new WebSocketPair()[1], eleven));
    r.tag257 = capSync(() => ctx.acceptWebSocket(new WebSocketPair()[1], ["x".repeat(257)]));
    // 129 characters, 258 bytes of UTF-8: the limit counts bytes.
    r.tag258Bytes = capSync(() => ctx.acceptWebSocket(new WebSocketPair()[1], ["é".repeat(129)]));
    r.afterFailures = ctx.getWebSockets().length;
    // At the limits, with duplicates (dropped).
    // The limit counts the array's entries before duplicates are dropped.
    r.twelveEntriesTenDistinct = capSync(() =>
      ctx.acceptWebSocket(new WebSocketPair()[1], [...Array.from({ length: 10 }, (_, i) => `t${i}`), "t0", "t9"]),
    );
    const ten = new WebSocketPair();
    r.tenTags = capSync(() => {
      ctx.acceptWebSocket(ten[1], Array.from({ length: 10 }, (_, i) => `t${i}`));
      return ctx.getTags(ten[1]);
    });
    r.tenEntriesWithDuplicates = capSync(() => {
      const p = new WebSocketPair();
      ctx.acceptWebSocket(p[1], ["d", "c", "d", "b", "a", "b", "c", "e", "f", "g"]);
      return ctx.getTags(p[1]);
    });
    const long = new WebSocketPair();
    r.tag256 = capSync(() => {
      ctx.acceptWebSocket(long[1], ["y".repeat(256)]);
      return ctx.getTags(long[1]).map((t) => t.length);
    });
    r.noTags = capSync(() => {
      const p = new WebSocketPair();
      ctx.acceptWebSocket(p[1]);
      return ctx.getTags(p[1]);
    });
    r.count = ctx.getWebSockets().length;
    const plain = new WebSocketPair();
    r.getTagsUnaccepted = capSync(() => ctx.getTags(plain[1]));
    plain[0].accept();
    r.getTagsAccepted = capSync(() => ctx.getTags(plain[0]));
    r.getTagsPeerOfHibernatable = capSync(() => ctx.getTags(ten[0]));
    // Attachments: a one-byte string of length L serializes to L + 5 bytes
    // (version header 0xFF 0x0F, tag '"', 2-byte varint length).
    const a = new WebSocketPair()[0];
    r.attachmentAtLimit = capSync(() => {
      a.serializeAttachment("a".repeat(16379));
      return a.deserializeAttachment().length;
    });
    r.attachmentOverLimit = capSync(() => a.serializeAttachment("a".repeat(16380)));
    r.attachmentKeptAfterFailure = capSync(() => a.deserializeAttachment().length);
    // Auto-response limits.
    r.request2048 = capSync(() => new WebSocketRequestResponsePair("q".repeat(2048), "r").request.length);
    r.request2049 = capSync(() => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("q".repeat(2049), "r")));
    r.response2049 = capSync(() => ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("q", "r".repeat(2049))));
    r.autoResponseAfter = capSync(() => ctx.getWebSocketAutoResponse());
    r.autoResponseSetAndClear = capSync(() => {
      ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("a", "b"));
      const set = ctx.getWebSocketAutoResponse();
      ctx.setWebSocketAutoResponse();
      return [set.request, set.response, ctx.getWebSocketAutoResponse()];
    });
    r.timestampNever = capSync(() => ctx.getWebSocketAutoResponseTimestamp(ten[1]));
    // Event timeout.
    r.timeoutInitial = capSync(() => ctx.getHibernatableWebSocketEventTimeout());
    r.timeoutTooLarge = capSync(() => ctx.setHibernatableWebSocketEventTimeout(604800001));
    r.timeoutMax = capSync(() => {
      ctx.setHibernatableWebSocketEventTimeout(604800000);
      return ctx.getHibernatableWebSocketEventTimeout();
    });
    r.timeoutZero = capSync(() => {
      ctx.setHibernatableWebSocketEventTimeout(1000);
      const set = ctx.getHibernatableWebSocketEventTimeout();
      ctx.setHibernatableWebSocketEventTimeout(0);
      return [set, ctx.getHibernatableWebSocketEventTimeout()];
    });
    r.timeoutNoArgument = capSync(() => {
      ctx.setHibernatableWebSocketEventTimeout(5);
      ctx.setHibernatableWebSocketEventTimeout();
      return ctx.getHibernatableWebSocketEventTimeout();
    });
    return r;
  }

  attachments() {
    const r = {};
    const pair = new WebSocketPair();
    const ws = pair[0];
    r.none = capSync(() => ws.deserializeAttachment());
    const obj = { a: 1, d: new Date(0) };
    r.serialize = capSync(() => ws.serializeAttachment(obj));
    obj.a = 2;
    obj.d.setTime(5000);
    obj.added = true;
    r.afterMutation = capSync(() => ws.deserializeAttachment());
    r.dateIsDate = ws.deserializeAttachment().d instanceof Date;
    r.freshCopies = ws.deserializeAttachment() !== ws.deserializeAttachment();
    r.copyMutationNotKept = capSync(() => {
      ws.deserializeAttachment().a = 99;
      return ws.deserializeAttachment().a;
    });
    r.overwrite = capSync(() => {
      ws.serializeAttachment(new Map([["k", [1, 2]]]));
      return ws.deserializeAttachment();
    });
    r.setNull = capSync(() => {
      ws.serializeAttachment(null);
      return ws.deserializeAttachment();
    });
    r.otherEndUnaffected = capSync(() => pair[1].deserializeAttachment());
    // On a hibernatable socket.
    const h = new WebSocketPair();
    this.ctx.acceptWebSocket(h[1], ["att"]);
    r.hibernatableNone = capSync(() => h[1].deserializeAttachment());
    r.hibernatable = capSync(() => {
      h[1].serializeAttachment({ list: [1, "two"], big: 3n });
      return this.ctx.getWebSockets("att")[0].deserializeAttachment();
    });
    return r;
  }
}

// ---------------------------------------------------------------------------
// The worker: named scenarios.

function stubFor(env, url, binding = "COUNTER") {
  return env[binding].getByName(url.searchParams.get("name") ?? "default");
}

const HEX64 = /^[0-9a-f]{64}$/;

const scenarios = {
  // 1. ids
  async ids(url, env) {
    const ns = env.COUNTER;
    const foo = ns.idFromName("foo");
    const unique1 = ns.newUniqueId();
    const unique2 = ns.newUniqueId();
    const parsed = ns.idFromString(foo.toString());
    const stub = ns.getByName("foo");
    const stub2 = ns.get(foo);
    const tooLong = foo.toString() + "0";
    const badHex = "g" + foo.toString().slice(1);
    const otherNs = env.PLAIN.idFromName("foo").toString();
    return {
      foo: foo.toString(),
      fooAgain: ns.idFromName("foo").toString(),
      fooName: enc(foo.name),
      fooEqualsAgain: foo.equals(ns.idFromName("foo")),
      fooEqualsBar: foo.equals(ns.idFromName("bar")),
      names: {
        bar: ns.idFromName("bar").toString(),
        empty: ns.idFromName("").toString(),
        unicode: ns.idFromName("ünï\u{1F600}").toString(),
      },
      plainFoo: otherNs,
      idType: typeof foo,
      toStringIsString: typeof foo.toString() === "string",
      jsonStringify: JSON.stringify({ id: foo }),
      templateString: `${foo}` === foo.toString(),
      jurisdiction: enc(foo.jurisdiction),
      unique: {
        format: HEX64.test(unique1.toString()),
        differ: unique1.toString() !== unique2.toString(),
        equals: unique1.equals(unique2),
        name: enc(unique1.name),
        roundTrip: ns.idFromString(unique1.toString()).equals(unique1),
        jurisdiction: await cap(() => ns.newUniqueId({ jurisdiction: "eu" })),
        emptyOptions: await cap(() => HEX64.test(ns.newUniqueId({}).toString())),
      },
      fromString: {
        toString: parsed.toString(),
        equals: parsed.equals(foo),
        name: enc(parsed.name),
        upperCase: await cap(() => ns.idFromString(foo.toString().toUpperCase()).toString()),
        short: await cap(() => ns.idFromString("abc")),
        tooLong: await cap(() => ns.idFromString(tooLong)),
        empty: await cap(() => ns.idFromString("")),
        badHex: await cap(() => ns.idFromString(badHex)),
        otherNamespace: await cap(() => ns.idFromString(otherNs)),
        flippedMac: await cap(() => ns.idFromString(foo.toString().slice(0, 63) + (foo.toString()[63] === "0" ? "1" : "0"))),
      },
      stub: {
        getByNameId: stub.id.toString(),
        getByNameName: enc(stub.name),
        getIdName: enc(stub2.name),
        getFromStringName: enc(ns.get(parsed).name),
        sameObject: (await stub.hello()).token === (await stub2.hello()).token,
        locationHint: await cap(async () => (await ns.get(foo, { locationHint: "wnam" }).hello()).id),
        badRoutingMode: await cap(() => ns.get(foo, { routingMode: "nearest" })),
        namespaceJurisdiction: await cap(() => ns.jurisdiction("eu")),
      },
    };
  },

  // A fresh unique id, to be parsed again after a restart.
  async "new-unique"(url, env) {
    return { id: env.COUNTER.newUniqueId().toString() };
  },

  async parse(url, env) {
    return await cap(async () => {
      const id = env.COUNTER.idFromString(url.searchParams.get("id"));
      return { id: id.toString(), hello: (await env.COUNTER.get(id).hello()).id };
    });
  },

  // 2. objects
  async increment(url, env) {
    // Two stubs made here plus whatever the earlier requests made.
    const ns = env.COUNTER;
    const name = url.searchParams.get("name");
    const a = ns.getByName(name);
    const b = ns.get(ns.idFromName(name));
    const c = ns.get(ns.idFromString(ns.idFromName(name).toString()));
    return [await a.increment(), await b.increment(), await c.increment(10)];
  },

  async hello(url, env) {
    const h = await stubFor(env, url).hello();
    delete h.token;
    return h;
  },

  async "name-from-string"(url, env) {
    const ns = env.COUNTER;
    const name = url.searchParams.get("name");
    const viaString = ns.get(ns.idFromString(ns.idFromName(name).toString()));
    const first = (await viaString.hello()).name;
    const thenByName = (await ns.getByName(name).hello()).name;
    return { first, thenByName };
  },

  async plain(url, env) {
    const stub = stubFor(env, url, "PLAIN");
    const r1 = await stub.fetch("https://plain/whoami");
    const r2 = await stub.fetch("https://plain/whoami");
    const second = await r2.json();
    return {
      first: { status: r1.status, body: await r1.json() },
      secondCount: second.count,
      setAlarmWithoutHandler: await (await stub.fetch("https://plain/set-alarm")).json(),
      rpc: await cap(() => stub.anything()),
      rpcFetchStillWorks: (await stub.fetch("https://plain/whoami")).status,
    };
  },

  async "block-concurrency"(url, env) {
    const stub = stubFor(env, url);
    const started = await stub.startBlocking(200);
    const events = await stub.mark("second call");
    return { started, events, bcwResult: await stub.bcwResult() };
  },

  async "throw-keeps-state"(url, env) {
    const stub = stubFor(env, url);
    const before = await stub.increment();
    const token = (await stub.hello()).token;
    const thrown = await cap(() => stub.fail("Error"));
    const sameStub = await cap(() => stub.increment());
    const newStub = await stubFor(env, url).increment();
    const sameInstance = (await stubFor(env, url).hello()).token === token;
    return { before, thrown, sameStub, newStub, sameInstance };
  },

  async abort(url, env) {
    const stub = stubFor(env, url);
    const reason = url.searchParams.get("reason") ?? undefined;
    await stub.write("before-abort", "kept");
    await stub.increment();
    await stub.increment();
    const token = (await stub.hello()).token;
    const aborted = await cap(() => stub.abortMe(reason));
    const usedStubAgain = await cap(() => stub.increment());
    const usedStubThird = await cap(() => stub.getValue());
    const fresh = stubFor(env, url);
    const freshValue = await cap(() => fresh.increment());
    const newInstance = (await fresh.hello()).token !== token;
    const storageKept = await cap(async () => (await fresh.readAll())["before-abort"]);
    return { aborted, usedStubAgain, usedStubThird, freshValue, newInstance, storageKept };
  },

  // 3. stubs
  async "stub-fetch"(url, env) {
    const stub = stubFor(env, url);
    await stub.increment(5);
    const resp = await stub.fetch("https://do.example/some/path?q=1", {
      method: "POST",
      headers: { "x-test": "forwarded", "content-type": "text/plain" },
      body: "payload ✓",
    });
    const req = new Request("http://other.example/req", { method: "PUT", headers: { "x-req": "r" }, body: "from request" });
    const resp2 = await stub.fetch(req);
    return {
      status: resp.status,
      header: resp.headers.get("x-from-do"),
      body: await resp.json(),
      fromRequest: await resp2.json(),
      relative: await cap(() => stub.fetch("/relative")),
      noScheme: await cap(() => stub.fetch("do.example/x")),
    };
  },

  async rpc(url, env) {
    const stub = stubFor(env, url);
    const value = {
      map: new Map([[1, "a"], ["b", { c: [2, 3] }]]),
      date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      buf: new Uint8Array([1, 2, 254, 255]).buffer,
      u16: new Uint16Array([1, 65535]),
      nested: { arr: [1, [2, [3, { deep: true }]]], set: new Set([1, "two"]) },
      big: 10n ** 20n,
      undef: undefined,
      nul: null,
      nan: NaN,
      str: "ünï\u{1F600}",
      re: /x+/g,
    };
    const { seen, back } = await stub.echo(value);
    class Foo {
      constructor() {
        this.x = 1;
      }
    }
    return {
      seen,
      back: enc(back),
      backMapIsMap: back.map instanceof Map,
      backDateIsDate: back.date instanceof Date,
      primitive: await stub.echo(7),
      undefinedArg: (await stub.echo(undefined)).seen,
      noArg: (await stub.echo()).seen,
      classInstance: await cap(() => stub.echo(new Foo())),
      errors: {
        Error: await cap(() => stub.fail("Error")),
        TypeError: await cap(() => stub.fail("TypeError")),
        RangeError: await cap(() => stub.fail("RangeError")),
        custom: await cap(() => stub.fail("custom")),
      },
      unknownMethod: await cap(() => stub.nope()),
      ownProperty: await cap(() => stub.value()),
      reserved: {
        alarm: await cap(() => stub.alarm()),
        webSocketMessage: await cap(() => stub.webSocketMessage()),
        webSocketClose: await cap(() => stub.webSocketClose()),
        webSocketError: await cap(() => stub.webSocketError()),
      },
      getter: await cap(() => stub.prop),
      getterCalled: await cap(() => stub.prop()),
      afterErrors: await stub.increment(),
    };
  },

  async order(url, env) {
    const stub = stubFor(env, url);
    const calls = [];
    for (let i = 0; i < 50; i++) calls.push(stub.append(i));
    const results = await Promise.all(calls);
    return { results, seq: await stub.getSeq() };
  },

  // 4. storage
  async "kv-basic"(url, env) {
    return await stubFor(env, url).kvBasic();
  },
  async "kv-list"(url, env) {
    return await stubFor(env, url).kvList();
  },
  async "kv-order"(url, env) {
    return await stubFor(env, url).kvOrder();
  },
  async "kv-types"(url, env) {
    return await stubFor(env, url).kvTypes();
  },
  async "kv-delete-all"(url, env) {
    const stub = stubFor(env, url);
    await stub.increment(3);
    return await stub.kvDeleteAll();
  },
  async "kv-txn"(url, env) {
    const stub = stubFor(env, url);
    await stub.increment(2);
    return await stub.kvTxn();
  },

  // 5. SQL
  async sql(url, env) {
    return await stubFor(env, url).sqlBasic();
  },
  async "sql-errors"(url, env) {
    return await stubFor(env, url).sqlErrors();
  },
  async "sql-cf"(url, env) {
    return await stubFor(env, url).sqlCf();
  },
  async "sql-size"(url, env) {
    return await stubFor(env, url).sqlSize();
  },
  async "kv-only"(url, env) {
    return await stubFor(env, url, "KVONLY").probe();
  },

  // 6. alarms
  async "alarm-api"(url, env) {
    return await stubFor(env, url).alarmApi();
  },
  async "alarm-set"(url, env) {
    const ms = Number(url.searchParams.get("ms") ?? "200");
    const fail = Number(url.searchParams.get("fail") ?? "0");
    return await stubFor(env, url).setAlarmIn(ms, fail);
  },
  async "alarm-status"(url, env) {
    return await stubFor(env, url).alarmStatus();
  },

  // 7. persistence
  async write(url, env) {
    return await stubFor(env, url).write(url.searchParams.get("key"), url.searchParams.get("value"));
  },
  async keys(url, env) {
    return await stubFor(env, url).readKeys();
  },
  async "persist-write"(url, env) {
    const stub = stubFor(env, url);
    await stub.write("date", new Date(Date.UTC(2001, 8, 9, 1, 46, 40)));
    await stub.write("map", new Map([["k", new Set([1, 2])]]));
    await stub.write("bytes", new Uint8Array([1, 2, 3]));
    await stub.write("text", "persisted ✓");
    await stub.sqlSize();
    await stub.increment(9);
    return "written";
  },
  async "persist-read"(url, env) {
    const stub = stubFor(env, url);
    const all = await stub.readAll();
    const out = {};
    for (const [k, v] of Object.entries(all)) out[k] = enc(v);
    return { kv: out, inMemoryValue: await stub.getValue(), sqlSize: await stub.sqlSize() };
  },

  // 8. WebSocket
  async broadcast(url, env) {
    return await stubFor(env, url).broadcast(url.searchParams.get("msg"));
  },

  // 9. WebSocket hibernation (Room)
  async "room-events"(url, env) {
    return await stubFor(env, url, "ROOMS").events();
  },
  async "room-sockets"(url, env) {
    return await stubFor(env, url, "ROOMS").sockets(url.searchParams.get("tag"));
  },
  async "room-errors"(url, env) {
    return await stubFor(env, url, "ROOMS").apiErrors();
  },
  async "room-attachments"(url, env) {
    return await stubFor(env, url, "ROOMS").attachments();
  },
  async "room-auto-response"(url, env) {
    const stub = stubFor(env, url, "ROOMS");
    return await stub.setAutoResponse(url.searchParams.get("request"), url.searchParams.get("response"));
  },
  async "room-auto-state"(url, env) {
    return await stubFor(env, url, "ROOMS").autoResponseState();
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/ws") return stubFor(env, url).fetch(request);
    if (url.pathname === "/room-ws") return stubFor(env, url, "ROOMS").fetch(request);
    if (url.pathname === "/room-constructions") return Response.json(roomConstructions);
    if (url.pathname === "/room-broadcast") {
      return Response.json(await stubFor(env, url, "ROOMS").broadcast(url.searchParams.get("text")));
    }
    const match = url.pathname.match(/^\/scenario\/([a-z-]+)$/);
    const scenario = match && scenarios[match[1]];
    if (!scenario) return new Response(`no scenario ${url.pathname}`, { status: 404 });
    try {
      return Response.json(await scenario(url, env, request));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
