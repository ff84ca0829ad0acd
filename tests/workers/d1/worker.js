// The D1 test worker (tests/e2e/d1.rs).
//
// GET /scenario/<name> runs one named scenario against env.DB and answers
// 200 with its JSON report; a scenario that throws answers 500 with
// {uncaught: ...}. Every scenario creates (or drops and recreates) the
// tables it uses, so that scenarios do not depend on each other, except
// where a scenario says it reads what another wrote (persist-*, migrated).
//
// Values are reported in a tagged JSON form (see `enc`) so that types the
// JSON data model lacks (undefined, ArrayBuffer, ...) can be compared
// exactly. Unlike the KV worker's `enc`, a plain object (prototype
// Object.prototype) is reported as itself, untagged: D1 answers nothing but
// plain objects, arrays and primitives, and the reports stay readable; an
// object of any other class is still tagged "instance of <class>".
// Errors are reported as {name, message, cause?} (`cause`: the message of
// the error's `cause`, which D1's errors carry); where the message is the
// JavaScript engine's own (a TypeError from calling a method of undefined,
// say), only {name} is reported, so that V8 and QuickJS builds compare
// alike.
//
// A D1 result's `meta` is reported by `stableMeta`: the fields that vary
// from run to run (duration, size_after, timings, served_by*) and the row
// counters (rows_read, rows_written: exact values are compared by the
// row-counts scenario only) are replaced by {type: typeof value}; every
// other field (changes, last_row_id, changed_db) is reported as it is.
// Key order is reported separately where it matters (`keys`).

// ---------------------------------------------------------------------------
// Reporting helpers (as in tests/workers/kv/worker.js).

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
  if (v instanceof ReadableStream) return { ReadableStream: null };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) return v.map(enc);
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const k of Object.keys(v)) o[k] = enc(v[k]);
  if (proto === Object.prototype) return o;
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  const r = { name: e.name, message: e.message };
  if (e.cause !== undefined) r.cause = e.cause instanceof Error ? e.cause.message : enc(e.cause);
  return r;
}

// {ok: enc(value)} or {error: {name, message, cause?}}.
async function cap(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: errj(e) };
  }
}

// The same, but an error is reported by its name only (for errors whose
// message the JavaScript engine writes).
async function capName(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: { name: e?.name } };
  }
}

// The fields of `meta` whose values vary from run to run, and the row
// counters (see the header).
const VARYING = [
  "duration",
  "size_after",
  "rows_read",
  "rows_written",
  "timings",
  "served_by",
  "served_by_region",
  "served_by_primary",
  "total_attempts",
];

function stableMeta(meta) {
  if (meta === null || typeof meta !== "object") return { notAnObject: enc(meta) };
  const o = {};
  for (const k of Object.keys(meta)) o[k] = VARYING.includes(k) ? { type: typeof meta[k] } : meta[k];
  return o;
}

// A D1 result ({success, meta, results}) with its meta made stable and its
// own keys in order.
function res(r) {
  if (r === null || typeof r !== "object") return r;
  const o = { keys: Object.keys(r) };
  for (const k of Object.keys(r)) o[k] = k === "meta" ? stableMeta(r[k]) : r[k];
  return o;
}

// The names (and types) of the tables and other schema objects the worker
// made: not SQLite's own, nor workerd's `_cf_*`.
async function schema(DB) {
  const { results } = await DB.prepare(
    "SELECT type, name FROM sqlite_master WHERE substr(name, 1, 7) != 'sqlite_' AND substr(name, 1, 4) != '_cf_' ORDER BY name",
  ).all();
  return results.map((r) => `${r.type} ${r.name}`);
}

// exec(), its {count, duration} reported with duration as its type.
function ex(DB, sql) {
  return cap(async () => {
    const r = await DB.exec(sql);
    const o = {};
    for (const k of Object.keys(r)) o[k] = k === "duration" ? { type: typeof r[k] } : r[k];
    return o;
  });
}

async function fresh(DB, ...tables) {
  for (const t of tables) await DB.exec(`DROP TABLE IF EXISTS ${t}`);
}

// ---------------------------------------------------------------------------
// Scenarios. Each gets env.DB, the request's URL and env, and returns its
// report.

const scenarios = {
  // What env.DB and its statements are.
  async binding(DB, url, env) {
    const st = DB.prepare("SELECT 1");
    const bound = DB.prepare("SELECT ?");
    const session = DB.withSession();
    return {
      string: String(DB),
      tag: Object.prototype.toString.call(DB),
      typeof: typeof DB,
      constructor: DB.constructor.name,
      methods: Object.getOwnPropertyNames(Object.getPrototypeOf(DB)).sort(),
      typeofs: ["prepare", "batch", "exec", "dump", "withSession"].map((m) => typeof DB[m]),
      envKeys: Object.keys(env),
      same: env.DB === DB,
      statement: {
        string: String(st),
        constructor: st.constructor.name,
        methods: Object.getOwnPropertyNames(Object.getPrototypeOf(st)).sort(),
        statement: st.statement,
        params: st.params,
        fresh: DB.prepare("SELECT 1") !== st,
      },
      // bind() answers a new statement and leaves the old one as it was.
      bind: (() => {
        const b = bound.bind(1);
        return { isNew: b !== bound, params: b.params, originalParams: bound.params, statement: b.statement };
      })(),
      // prepare() sends nothing: bad SQL fails only when run.
      prepareBadSql: await cap(() => DB.prepare("NOT SQL AT ALL").statement),
      session: {
        constructor: session.constructor.name,
        typeofs: ["prepare", "batch", "getBookmark", "exec", "dump", "withSession"].map((m) => typeof session[m]),
      },
    };
  },

  // Every kind of value, bound into columns of every affinity and read back
  // with SQLite's typeof(); values written as SQL literals.
  async types(DB) {
    await fresh(DB, "vals");
    await DB.exec(
      "CREATE TABLE vals (label TEXT PRIMARY KEY, none_col, int_col INTEGER, real_col REAL, text_col TEXT, blob_col BLOB, num_col NUMERIC)",
    );
    const values = [
      ["null", null],
      ["zero", 0],
      ["one", 1],
      ["minus one", -1],
      ["one and a half", 1.5],
      ["2^53", 2 ** 53],
      ["text", "text"],
      ["empty text", ""],
      ["numeric text", "42"],
      ["float text", "1.5"],
      ["unicode", "\u00e9\u4e2d\ud83d\ude00"],
      ["true", true],
      ["false", false],
      ["Uint8Array", new Uint8Array([0, 1, 255])],
      ["ArrayBuffer", new Uint8Array([7, 8]).buffer],
      ["byte array", [1, 2]],
      ["no bytes", new Uint8Array(0)],
      ["NaN", NaN],
      ["Infinity", Infinity],
      ["-0", -0],
    ];
    const insert = DB.prepare("INSERT INTO vals VALUES (?1, ?2, ?2, ?2, ?2, ?2, ?2)");
    const r = {};
    r.inserted = await cap(async () => (await DB.batch(values.map(([l, v]) => insert.bind(l, v)))).length);
    r.stored = await cap(async () => {
      const rows = await DB.prepare(
        "SELECT label, none_col, typeof(none_col), int_col, typeof(int_col), real_col, typeof(real_col), text_col, typeof(text_col), blob_col, typeof(blob_col), num_col, typeof(num_col) FROM vals ORDER BY rowid",
      ).raw();
      return Object.fromEntries(rows.map(([label, ...cells]) => [label, cells]));
    });
    // Numbers are reported as strings here: JSON would blur the large ones.
    r.literals = await cap(async () => {
      const row = await DB.prepare(
        "SELECT 9007199254740993 AS big, 9223372036854775807 AS max, -9223372036854775808 AS min, 0.1 + 0.2 AS sum, 1e999 AS inf, -1e999 AS ninf, 10 / 4 AS intdiv, 10 / 4.0 AS div, 1 / 0 AS divzero, x'00ff' AS blob, x'' AS noblob, NULL AS nul, 'a' || char(0) || 'b' AS nulchar, typeof(9007199254740993) AS t",
      ).first();
      return Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, typeof v === "number" ? ["number", String(v)] : v]),
      );
    });
    r.blobIsArray = await cap(async () => {
      const v = (await DB.prepare("SELECT x'0102' AS b").first()).b;
      return [Array.isArray(v), v instanceof ArrayBuffer, ArrayBuffer.isView(v)];
    });
    return r;
  },

  // bind(): what it accepts, how it converts, what it refuses.
  async binds(DB) {
    const probe = (v) =>
      cap(async () => {
        const st = DB.prepare("SELECT ?1 AS v, typeof(?1) AS t").bind(v);
        return { params: st.params, row: await st.first() };
      });
    const r = {};
    r.accepted = {};
    const accepted = {
      null: null,
      integer: 7,
      fraction: 0.25,
      negative: -3,
      maxSafe: Number.MAX_SAFE_INTEGER,
      string: "s",
      emptyString: "",
      true: true,
      false: false,
      NaN: NaN,
      Infinity: Infinity,
      negativeZero: -0,
      byteArray: [1, 2, 255],
      emptyArray: [],
      ArrayBuffer: new Uint8Array([1, 2]).buffer,
      Uint8Array: new Uint8Array([3, 4]),
      subarray: new Uint8Array([1, 2, 3, 4]).subarray(1, 3),
      Int8Array: new Int8Array([-1, 2]),
      Uint16Array: new Uint16Array([258, 3]),
      Float64Array: new Float64Array([1.5]),
      DataView: new DataView(new Uint8Array([9, 8]).buffer),
    };
    for (const [k, v] of Object.entries(accepted)) r.accepted[k] = await probe(v);
    r.refused = {};
    const refused = {
      undefined: undefined,
      bigint: 5n,
      object: { a: 1 },
      nestedArray: [[1]],
      arrayOver255: [1, 256],
      arrayNegative: [-1],
      arrayFraction: [1.5],
      arrayOfStrings: ["a"],
      Map: new Map(),
    };
    for (const [k, v] of Object.entries(refused)) r.refused[k] = await probe(v);
    // A Symbol cannot even be put in the message (the engine's TypeError).
    r.refused.symbol = await capName(() => DB.prepare("SELECT ?").bind(Symbol("s")));
    // bind() checks at once, before anything runs.
    r.throwsInBind = (() => {
      try {
        DB.prepare("SELECT ?").bind(undefined);
        return "returned";
      } catch (e) {
        return "threw";
      }
    })();
    r.refusesAmongOthers = await cap(() => DB.prepare("SELECT ?, ?").bind(1, undefined));
    // Parameter numbering: ?, ?NNN, :name, @name, $name are all bound by
    // position.
    r.numbered = await cap(() => DB.prepare("SELECT ?2 AS b, ?1 AS a, ?1 AS again").bind("one", "two").first());
    r.named = await cap(() => DB.prepare("SELECT :x AS x, @y AS y, $z AS z").bind(1, 2, 3).first());
    r.mixed = await cap(() => DB.prepare("SELECT ? AS a, :n AS n, ? AS b").bind(1, 2, 3).first());
    r.tooMany = await cap(() => DB.prepare("SELECT ? AS a").bind(1, 2).first());
    r.tooFew = await cap(() => DB.prepare("SELECT ? AS a, ? AS b").bind(1).first());
    r.noneBound = await cap(() => DB.prepare("SELECT ? AS a").first());
    r.gap = await cap(() => DB.prepare("SELECT ?2 AS a").bind(1).first());
    r.gapFilled = await cap(() => DB.prepare("SELECT ?2 AS a").bind(1, 2).first());
    r.noParameters = await cap(() => DB.prepare("SELECT 1 AS a").bind(1).first());
    r.bindNothing = await cap(() => DB.prepare("SELECT 1 AS a").bind().first());
    r.rebind = await cap(() => DB.prepare("SELECT ? AS a, ? AS b").bind(1).bind(2, 3).first());
    r.reuse = await cap(async () => {
      const st = DB.prepare("SELECT ? AS a");
      return [await st.bind(1).first("a"), await st.bind(2).first("a"), st.params];
    });
    // Bound numbers are REAL: into a TEXT column 1 becomes "1.0".
    r.numberIntoText = await cap(async () => {
      await fresh(DB, "bt");
      await DB.exec("CREATE TABLE bt (t TEXT, i INTEGER)");
      await DB.prepare("INSERT INTO bt VALUES (?, ?)").bind(1, 1).run();
      await DB.prepare("INSERT INTO bt VALUES (?, ?)").bind(true, "2").run();
      return DB.prepare("SELECT t, typeof(t), i, typeof(i) FROM bt ORDER BY rowid").raw();
    });
    return r;
  },

  // The shapes of all(), run(), raw() and first() results.
  async shapes(DB) {
    await fresh(DB, "sh", "sh2");
    await DB.exec("CREATE TABLE sh (id INTEGER PRIMARY KEY, name TEXT, n REAL)");
    // (meta.last_row_id is the connection's last_insert_rowid(): every
    // result below comes after an insert into the new table.)
    const r = {};
    r.insertRun = await cap(async () =>
      res(await DB.prepare("INSERT INTO sh (name, n) VALUES (?, ?)").bind("a", 1.5).run()),
    );
    r.insertTwo = await cap(async () =>
      res(await DB.prepare("INSERT INTO sh (name, n) VALUES ('b', 2), ('c', NULL)").run()),
    );
    r.insertAll = await cap(async () => res(await DB.prepare("INSERT INTO sh (name) VALUES ('d')").all()));
    r.selectAll = await cap(async () => res(await DB.prepare("SELECT * FROM sh ORDER BY id").all()));
    // run() of a query answers its rows too.
    r.selectRun = await cap(async () => res(await DB.prepare("SELECT name FROM sh WHERE id < 3 ORDER BY id").run()));
    r.emptyAll = await cap(async () => res(await DB.prepare("SELECT * FROM sh WHERE id > 100").all()));
    r.returning = await cap(async () =>
      res(await DB.prepare("INSERT INTO sh (name) VALUES (?) RETURNING id, name").bind("e").all()),
    );
    r.update = await cap(async () => res(await DB.prepare("UPDATE sh SET n = 0 WHERE n IS NULL").run()));
    r.updateNone = await cap(async () => res(await DB.prepare("UPDATE sh SET n = 0 WHERE id > 100").run()));
    r.deleteOne = await cap(async () => res(await DB.prepare("DELETE FROM sh WHERE name = 'e'").run()));
    r.create = await cap(async () => res(await DB.prepare("CREATE TABLE sh2 (x)").run()));
    r.createIfNotExists = await cap(async () => res(await DB.prepare("CREATE TABLE IF NOT EXISTS sh (x)").run()));
    r.raw = await cap(() => DB.prepare("SELECT id, name FROM sh ORDER BY id").raw());
    r.rawColumnNames = await cap(() => DB.prepare("SELECT id, name FROM sh ORDER BY id LIMIT 2").raw({ columnNames: true }));
    r.rawColumnNamesFalse = await cap(() => DB.prepare("SELECT id FROM sh ORDER BY id LIMIT 1").raw({ columnNames: false }));
    r.rawColumnNamesTruthy = await cap(() => DB.prepare("SELECT id FROM sh ORDER BY id LIMIT 1").raw({ columnNames: 1 }));
    r.rawEmpty = await cap(() => DB.prepare("SELECT id FROM sh WHERE id > 100").raw());
    // The column names come even without rows.
    r.rawEmptyColumnNames = await cap(() => DB.prepare("SELECT id, name FROM sh WHERE id > 100").raw({ columnNames: true }));
    r.rawInsert = await cap(() => DB.prepare("INSERT INTO sh (name) VALUES ('f')").raw());
    r.rawInsertColumnNames = await cap(() => DB.prepare("INSERT INTO sh (name) VALUES ('g')").raw({ columnNames: true }));
    // Duplicate column names: the last one wins in an object.
    r.duplicateAll = await cap(async () => (await DB.prepare("SELECT 1 AS a, 2 AS a").all()).results);
    r.duplicateRaw = await cap(() => DB.prepare("SELECT 1 AS a, 2 AS a").raw({ columnNames: true }));
    r.duplicateFirst = await cap(() => DB.prepare("SELECT 1 AS a, 2 AS a").first());
    r.columnOrder = await cap(async () => Object.keys(await DB.prepare("SELECT 1 AS z, 2 AS a, 3 AS m").first()));
    r.expressionNames = await cap(async () => Object.keys(await DB.prepare("SELECT 1, 1 + 1, 'x', NULL").first()));
    r.metaServedBy = await cap(async () => (await DB.prepare("SELECT 1").all()).meta.served_by);
    r.resultClass = await cap(async () => {
      const all = await DB.prepare("SELECT 1 AS a").all();
      return [Object.getPrototypeOf(all) === Object.prototype, Array.isArray(all.results), typeof all.meta.duration];
    });
    return r;
  },

  // first() and first(column).
  async first(DB) {
    await fresh(DB, "fi");
    await DB.exec("CREATE TABLE fi (a INTEGER, b TEXT, c)");
    await DB.exec("INSERT INTO fi VALUES (1, 'x', NULL);\nINSERT INTO fi VALUES (2, 'y', 5)");
    const st = DB.prepare("SELECT a, b, c FROM fi ORDER BY a");
    const none = DB.prepare("SELECT a, b FROM fi WHERE a > 100");
    return {
      row: await cap(() => st.first()),
      column: await cap(() => st.first("b")),
      nullColumn: await cap(() => st.first("c")),
      missingColumn: await cap(() => st.first("nope")),
      noRows: await cap(() => none.first()),
      noRowsMissingColumn: await cap(() => none.first("nope")),
      numberColumn: await cap(() => st.first(5)),
      numberNamedColumn: await cap(() => DB.prepare("SELECT 1 AS '5'").first(5)),
      nullArgument: await cap(() => DB.prepare("SELECT 1 AS 'null'").first(null)),
      undefinedArgument: await cap(() => st.first(undefined)),
      emptyName: await cap(() => st.first("")),
      secondRowIgnored: await cap(() => DB.prepare("SELECT a FROM fi ORDER BY a DESC").first("a")),
      error: await cap(() => DB.prepare("SELECT * FROM nope").first()),
    };
  },

  // SQL errors, and what D1 (workerd's SQLite) refuses.
  async "sql-errors"(DB) {
    await fresh(DB, "se", "parent", "child");
    await DB.exec("CREATE TABLE se (id INTEGER PRIMARY KEY, u TEXT UNIQUE, nn TEXT NOT NULL DEFAULT 'd', ck INTEGER CHECK (ck > 0))");
    await DB.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    await DB.exec("CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id))");
    await DB.exec("INSERT INTO se (id, u) VALUES (1, 'taken')");
    const r = {};
    const cases = [
      ["noSuchTable", "all", "SELECT * FROM nope"],
      ["noSuchColumn", "all", "SELECT nope FROM se"],
      ["syntax", "all", "SELEC 1"],
      ["syntaxAtEnd", "all", "SELECT * FROM se WHERE"],
      ["syntaxOffset", "all", "SELECT 1 FROM se WHERE id = = 1"],
      ["unique", "run", "INSERT INTO se (u) VALUES ('taken')"],
      ["primaryKey", "run", "INSERT INTO se (id) VALUES (1)"],
      ["notNull", "run", "INSERT INTO se (nn) VALUES (NULL)"],
      ["check", "run", "INSERT INTO se (ck) VALUES (0)"],
      ["foreignKey", "run", "INSERT INTO child (pid) VALUES (99)"],
      ["mismatch", "run", "INSERT INTO se (id) VALUES ('abc')"],
      ["tableExists", "run", "CREATE TABLE se (x)"],
      ["emptySql", "all", ""],
      ["blankSql", "run", "  \n\t "],
      ["indentedComment", "all", "  -- only a comment"],
      ["comment", "all", "-- only a comment"],
      ["blockComment", "all", "/* only a comment */"],
      ["begin", "run", "BEGIN TRANSACTION"],
      ["beginPlain", "run", "BEGIN"],
      ["commit", "run", "COMMIT"],
      ["rollback", "run", "ROLLBACK"],
      ["savepoint", "run", "SAVEPOINT s"],
      ["release", "run", "RELEASE s"],
      ["attach", "run", "ATTACH DATABASE 'other.db' AS other"],
      ["cfTable", "run", "CREATE TABLE _cf_mine (x)"],
      ["cfRead", "all", "SELECT * FROM _cf_METADATA"],
      ["sqliteVersion", "all", "SELECT sqlite_version()"],
      ["vacuum", "run", "VACUUM"],
    ];
    for (const [name, method, sql] of cases) r[name] = await cap(() => DB.prepare(sql)[method]());
    r.foreignKeysOn = await cap(() => DB.prepare("PRAGMA foreign_keys").raw());
    r.stillThere = await cap(() => DB.prepare("SELECT id, u, nn, ck FROM se").raw());
    r.childEmpty = await cap(() => DB.prepare("SELECT count(*) AS n FROM child").first("n"));
    return r;
  },

  // Limits of workerd's SQLite: bound parameters, statement length and
  // result columns.
  async limits(DB) {
    const params = (n) =>
      cap(async () => {
        const sql = "SELECT " + Array.from({ length: n }, () => "?").join(",");
        const rows = await DB.prepare(sql).bind(...Array.from({ length: n }, (_, i) => i)).raw();
        return rows[0].length;
      });
    const length = (n) =>
      cap(async () => {
        const head = "SELECT 1 AS a";
        return DB.prepare(head + " ".repeat(n - head.length)).first("a");
      });
    const columns = (n) =>
      cap(async () => {
        const sql = "SELECT " + Array.from({ length: n }, (_, i) => `${i} AS c${i}`).join(", ");
        return Object.keys(await DB.prepare(sql).first()).length;
      });
    return {
      params100: await params(100),
      params101: await params(101),
      sql100000: await length(100000),
      sql100001: await length(100001),
      columns100: await columns(100),
      columns101: await columns(101),
      // The longest string or blob: 2,200,000 bytes.
      string2200000: await cap(() => DB.prepare("SELECT length(?) AS n").bind("x".repeat(2200000)).first("n")),
      string2200001: await cap(() => DB.prepare("SELECT length(?) AS n").bind("x".repeat(2200001)).first("n")),
      blob2200000: await cap(() => DB.prepare("SELECT length(?) AS n").bind(new Uint8Array(2200000)).first("n")),
      blob2200001: await cap(() => DB.prepare("SELECT length(?) AS n").bind(new Uint8Array(2200001)).first("n")),
      zeroblob2200001: await cap(() => DB.prepare("SELECT length(zeroblob(2200001)) AS n").first("n")),
    };
  },

  // batch(): one transaction, one result per statement.
  async batch(DB) {
    await fresh(DB, "ba");
    await DB.exec("CREATE TABLE ba (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
    const insert = DB.prepare("INSERT INTO ba (v) VALUES (?)");
    const r = {};
    r.results = await cap(async () =>
      (
        await DB.batch([
          insert.bind("one"),
          insert.bind("two"),
          DB.prepare("SELECT id, v FROM ba ORDER BY id"),
          DB.prepare("UPDATE ba SET v = v || '!' WHERE id > ?").bind(0),
          DB.prepare("SELECT count(*) AS n FROM ba"),
        ])
      ).map(res),
    );
    // The second statement fails: the first one's row is gone too.
    r.failing = await cap(() => DB.batch([insert.bind("three"), insert.bind("one!"), insert.bind("four")]));
    r.afterFailing = await cap(() => DB.prepare("SELECT id, v FROM ba ORDER BY id").raw());
    r.failingFirst = await cap(() => DB.batch([DB.prepare("SELECT * FROM nope"), insert.bind("five")]));
    r.failingLast = await cap(() => DB.batch([insert.bind("six"), DB.prepare("INSERT INTO nope VALUES (1)")]));
    r.failingBind = await cap(() => DB.batch([insert.bind("seven"), DB.prepare("SELECT ?").bind(1, 2)]));
    r.afterAll = await cap(() => DB.prepare("SELECT id, v FROM ba ORDER BY id").raw());
    // last_insert_rowid() is the connection's: a rolled-back insert moved it.
    r.lastRowIdAfterRollback = await cap(async () => (await DB.prepare("SELECT 1").run()).meta.last_row_id);
    // A statement sees the writes of the ones before it.
    r.seesEarlierWrites = await cap(async () =>
      (
        await DB.batch([
          DB.prepare("CREATE TABLE IF NOT EXISTS ba2 (x)"),
          DB.prepare("INSERT INTO ba2 VALUES (1), (2)"),
          DB.prepare("SELECT sum(x) AS s FROM ba2"),
        ])
      ).map((x) => x.results),
    );
    r.single = await cap(async () => (await DB.batch([DB.prepare("SELECT 1 AS one")])).map(res));
    r.sameStatementTwice = await cap(async () => {
      const st = DB.prepare("SELECT ? AS v");
      return (await DB.batch([st.bind(1), st.bind(2), st.bind(1)])).map((x) => x.results);
    });
    return r;
  },

  // batch() given what it does not expect.
  async "batch-errors"(DB) {
    return {
      empty: await cap(() => DB.batch([])),
      notAnArray: await capName(() => DB.batch(DB.prepare("SELECT 1"))),
      noArgument: await capName(() => DB.batch()),
      nullElement: await capName(() => DB.batch([null])),
      // Anything with `statement` and `params` passes for a statement.
      lookalike: await cap(async () => (await DB.batch([{ statement: "SELECT 7 AS x", params: [] }])).map((x) => x.results)),
      // A statement of blank SQL is left out of the batch (and its result
      // with it); only blank statements is an error.
      blankDropped: await cap(async () =>
        (await DB.batch([DB.prepare("SELECT 1 AS a"), DB.prepare(""), DB.prepare("SELECT 2 AS b")])).map((x) => x.results),
      ),
      onlyBlank: await cap(() => DB.batch([DB.prepare(" "), DB.prepare("")])),
      transaction: await cap(() => DB.batch([DB.prepare("BEGIN")])),
    };
  },

  // exec(): the query is split at line breaks; each non-blank line is one
  // statement, all in one transaction.
  async exec(DB) {
    await fresh(DB, "ex");
    const count = async () => (await DB.prepare("SELECT count(*) AS n FROM ex").first("n"));
    const r = {};
    r.one = await ex(DB, "CREATE TABLE ex (x)");
    r.lines = await ex(DB, "INSERT INTO ex VALUES (1);\nINSERT INTO ex VALUES (2);\n\n   \nINSERT INTO ex VALUES (3)");
    r.sameLine = await ex(DB, "INSERT INTO ex VALUES (4); INSERT INTO ex VALUES (5)");
    r.crlf = await ex(DB, "INSERT INTO ex VALUES (6);\r\nINSERT INTO ex VALUES (7);");
    r.padded = await ex(DB, "\n\n  SELECT 1;  \n\n");
    r.select = await ex(DB, "SELECT * FROM ex");
    r.count = await cap(count);
    // A failing line: the message names line 1 and quotes the first line
    // whatever line failed, and no line's writes stay.
    r.failingSecond = await ex(DB, "INSERT INTO ex VALUES (8);\nINSERT INTO nope VALUES (1);\nINSERT INTO ex VALUES (9)");
    r.failingFirst = await ex(DB, "SELEC 1");
    r.countAfter = await cap(count);
    r.statementOverLines = await ex(DB, "SELECT\n1");
    r.empty = await ex(DB, "");
    r.blank = await ex(DB, "  \n  ");
    r.comment = await ex(DB, "-- a comment");
    r.indentedComment = await ex(DB, "SELECT 1;\n  -- a comment");
    r.trailingComment = await ex(DB, "SELECT 1; -- a comment");
    r.noArgument = await capName(() => DB.exec());
    r.number = await capName(() => DB.exec(5));
    r.keys = await cap(async () => Object.keys(await DB.exec("SELECT 1")));
    r.durationType = await cap(async () => typeof (await DB.exec("SELECT 1")).duration);
    return r;
  },

  // Several statements in one prepare(): all run, the last one's rows come
  // back. (Each SQL text here is run once: workerd refuses every second
  // run of a cached multi-statement text, "A SQL prepared statement can
  // only be executed once at a time.", which is a workerd bug.)
  async "multi-statement"(DB) {
    await fresh(DB, "ms");
    await DB.exec("CREATE TABLE ms (x)");
    const r = {};
    r.lastRows = await cap(async () => (await DB.prepare("SELECT 1 AS a; SELECT 2 AS b").all()).results);
    r.trailingSemicolon = await cap(async () => (await DB.prepare("SELECT 3 AS c;").all()).results);
    r.writes = await cap(async () => {
      const { meta } = await DB.prepare("INSERT INTO ms VALUES (1); INSERT INTO ms VALUES (2), (3)").run();
      return { changes: meta.changes, last_row_id: meta.last_row_id, changed_db: meta.changed_db };
    });
    r.failingSecond = await cap(() => DB.prepare("INSERT INTO ms VALUES (4); INSERT INTO nope VALUES (5)").run());
    r.rows = await cap(() => DB.prepare("SELECT x FROM ms ORDER BY x").raw());
    r.trailingComment = await cap(() => DB.prepare("SELECT 6 AS d; -- the end").all());
    r.bindsSpanStatements = await cap(async () => (await DB.prepare("SELECT ? AS e; SELECT ? AS f").bind(7, 8).all()).results);
    return r;
  },

  // dump() (deprecated) and withSession().
  async "dump-session"(DB) {
    const r = {};
    r.dump = await cap(() => DB.dump());
    const s = DB.withSession();
    r.bookmarkBefore = await cap(() => s.getBookmark());
    r.first = await cap(() => s.prepare("SELECT 1 AS x").first());
    r.bookmarkAfter = await cap(() => {
      const b = s.getBookmark();
      return [typeof b, /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/.test(b)];
    });
    r.batch = await cap(async () => (await s.batch([s.prepare("SELECT 2 AS y")])).map((x) => x.results));
    r.all = await cap(async () => {
      const a = await s.prepare("SELECT 3 AS z").all();
      return { keys: Object.keys(a), success: a.success, results: a.results };
    });
    r.firstPrimary = await cap(() => DB.withSession("first-primary").getBookmark());
    r.firstUnconstrained = await cap(() => DB.withSession("first-unconstrained").getBookmark());
    r.blank = await cap(() => DB.withSession("  ").getBookmark());
    r.givenBookmark = await cap(async () => {
      const t = DB.withSession("abc");
      return [t.getBookmark(), await t.prepare("SELECT 4 AS w").first("w")];
    });
    r.notAString = await capName(() => DB.withSession(5));
    return r;
  },

  // meta.rows_read and meta.rows_written, which workerd's SQLite counts
  // (cloudflare/workerd patches/sqlite/0001-row-counts-plain.patch).
  async "row-counts"(DB) {
    await fresh(DB, "rc");
    const counts = async (sql, method = "run") => {
      const { meta } = await DB.prepare(sql)[method]();
      return [meta.rows_read, meta.rows_written];
    };
    const r = {};
    r.selectConstant = await cap(() => counts("SELECT 1"));
    r.create = await cap(() => counts("CREATE TABLE rc (a, b)"));
    r.selectEmpty = await cap(() => counts("SELECT * FROM rc", "all"));
    r.insertOne = await cap(() => counts("INSERT INTO rc VALUES (1, 2)"));
    r.insertThree = await cap(() => counts("INSERT INTO rc VALUES (2, 3), (3, 4), (4, 5)"));
    r.selectAll = await cap(() => counts("SELECT * FROM rc", "all"));
    r.selectWhere = await cap(() => counts("SELECT * FROM rc WHERE a > 2", "all"));
    r.count = await cap(() => counts("SELECT count(*) FROM rc", "all"));
    r.updateAll = await cap(() => counts("UPDATE rc SET b = b + 1"));
    r.updateOne = await cap(() => counts("UPDATE rc SET b = b + 1 WHERE a = 1"));
    r.deleteOne = await cap(() => counts("DELETE FROM rc WHERE a = 1"));
    r.deleteAll = await cap(() => counts("DELETE FROM rc"));
    return r;
  },

  // Written before a kill -9 ...
  async "persist-write"(DB) {
    await fresh(DB, "pe");
    await DB.exec("CREATE TABLE pe (id INTEGER PRIMARY KEY, v, b BLOB)");
    await DB.batch([
      DB.prepare("INSERT INTO pe (v, b) VALUES (?, ?)").bind("kept", new Uint8Array([0, 1, 255])),
      DB.prepare("INSERT INTO pe (v) VALUES (?)").bind(2.5),
      DB.prepare("INSERT INTO pe (v) VALUES (?)").bind("deleted"),
    ]);
    await DB.prepare("DELETE FROM pe WHERE v = ?").bind("deleted").run();
    await DB.prepare("UPDATE pe SET v = ? WHERE id = 2").bind("updated").run();
    return DB.prepare("SELECT id, v, b FROM pe ORDER BY id").raw();
  },

  // ... and read after it.
  async "persist-read"(DB) {
    return {
      rows: await cap(() => DB.prepare("SELECT id, v, b FROM pe ORDER BY id").raw()),
      schema: await cap(() => schema(DB)),
      // A new process: last_insert_rowid() starts at 0 again.
      lastRowId: await cap(async () => (await DB.prepare("SELECT 1").run()).meta.last_row_id),
      nextId: await cap(async () => (await DB.prepare("INSERT INTO pe (v) VALUES ('new')").run()).meta.last_row_id),
    };
  },

  // The schema and the migrations' tracking table (its name in
  // ?table=, default d1_migrations).
  async tables(DB, url) {
    const table = url.searchParams.get("table") || "d1_migrations";
    return {
      schema: await cap(() => schema(DB)),
      applied: await cap(async () => (await DB.prepare(`SELECT id, name FROM ${table} ORDER BY id`).raw())),
      appliedAt: await cap(async () =>
        (await DB.prepare(`SELECT applied_at FROM ${table}`).raw()).map(([at]) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(at)),
      ),
      columns: await cap(async () =>
        (await DB.prepare(`PRAGMA table_info(${table})`).all()).results.map((c) => [c.name, c.type, c.notnull, c.dflt_value, c.pk]),
      ),
    };
  },

  // What tests/workers/d1/migrations/ made.
  async migrated(DB) {
    return {
      users: await cap(() => DB.prepare("SELECT id, name, note FROM users ORDER BY id").raw()),
      posts: await cap(() => DB.prepare("SELECT id, user_id, title FROM posts").raw()),
      postCount: await cap(() => DB.prepare("SELECT n FROM post_count").first("n")),
      // The trigger 0002 made still counts.
      triggerFires: await cap(async () => {
        await DB.prepare("INSERT INTO posts (user_id, title) VALUES (2, 'again')").run();
        return DB.prepare("SELECT n FROM post_count").first("n");
      }),
      // As stored: wrangler drops the comments from a migration's SQL
      // when it splits it into statements.
      usersSql: await cap(() => DB.prepare("SELECT sql FROM sqlite_master WHERE name = 'users'").first("sql")),
      triggerSql: await cap(() => DB.prepare("SELECT sql FROM sqlite_master WHERE name = 'count_posts'").first("sql")),
      autoincrement: await cap(() => DB.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name").raw()),
    };
  },

  // What the environment has (for a configuration without the binding).
  async env(DB, url, env) {
    return { envKeys: Object.keys(env), db: typeof env.DB };
  },

  // A first query, so that the database file exists.
  async touch(DB) {
    await fresh(DB, "touched");
    return ex(DB, "CREATE TABLE touched (x)");
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/scenario\/(.+)$/);
    const scenario = match && scenarios[decodeURIComponent(match[1])];
    if (!scenario) return new Response(`no such scenario: ${url.pathname}\n`, { status: 404 });
    try {
      return Response.json(await scenario(env.DB, url, env));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
