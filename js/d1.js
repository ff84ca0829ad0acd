// D1: `env.DB` for each `d1_databases` binding, a `D1Database` with
// prepare, batch, exec, withSession and dump. Queries run in SQLite through
// ops/src/d1/ and runtime/host/src/d1.rs, which answer the JSON bodies
// wrangler dev's D1 object answers; this file is the binding's side of that
// exchange, with the conversions and error texts of the D1 binding workerd
// gives a worker (parameters and rows travel as JSON: NaN becomes null, a
// blob an array of bytes, an integer a number). docs/bindings.md says where
// kiln differs.

(function () {
const { core, primordials } = __bootstrap;
const { op_d1_call } = core.ops;
const {
  ArrayBufferIsView,
  ArrayIsArray,
  ArrayPrototypeEvery,
  ArrayPrototypeFindIndex,
  ArrayPrototypeMap,
  ArrayPrototypePush,
  ArrayPrototypeReduce,
  ArrayFrom,
  Error,
  JSONParse,
  JSONStringify,
  ObjectFromEntries,
  ObjectKeys,
  ObjectPrototypeIsPrototypeOf,
  ArrayBufferPrototype,
  StringPrototypeLocaleCompare,
  StringPrototypeTrim,
  Symbol,
  TypeError,
  Uint8Array,
} = primordials;

const illegal = Symbol("illegal constructor");
const _id = Symbol("database id");
const _session = Symbol("session");

const FIRST_PRIMARY = "first-primary";
const FIRST_UNCONSTRAINED = "first-unconstrained";

function d1Error(prefix, message) {
  return new Error(`${prefix}: ${message}`, { cause: new Error(message) });
}

/** A reply as the binding normalises it: `success` from `error`. */
function normalise(reply) {
  if (reply.error) return { success: false, meta: reply.meta || {}, error: reply.error };
  const out = { success: true, meta: reply.meta || {} };
  if ("results" in reply) out.results = reply.results;
  return out;
}

function firstOf(replies) {
  return ArrayIsArray(replies) ? replies[0] : replies;
}

/** Rows as objects, whatever form they came in. */
function withObjectRows(reply) {
  if (!("results" in reply)) return { ...reply, results: [] };
  const results = reply.results;
  if (ArrayIsArray(results)) return { ...reply, results };
  const { columns, rows } = results;
  return {
    ...reply,
    results: ArrayPrototypeMap(
      rows,
      (row) => ObjectFromEntries(ArrayPrototypeMap(row, (cell, i) => [columns[i], cell])),
    ),
  };
}

/** One bound value as the binding sends it. */
function bindable(value) {
  const type = typeof value;
  if (type === "number" || type === "string") return value;
  if (type === "boolean") return value ? 1 : 0;
  if (type === "object") {
    if (value === null) return null;
    if (
      ArrayIsArray(value) &&
      ArrayPrototypeEvery(value, (b) => typeof b === "number" && b >= 0 && b < 256)
    ) {
      return value;
    }
    if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, value)) {
      return ArrayFrom(new Uint8Array(value));
    }
    if (ArrayBufferIsView(value)) return ArrayFrom(value);
  }
  throw d1Error("D1_TYPE_ERROR", `Type '${type}' not supported for value '${value}'`);
}

class D1DatabaseSession {
  constructor(key, id, bookmarkOrConstraint) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_id] = id;
    this.bookmarkOrConstraint = bookmarkOrConstraint;
    if (!this.bookmarkOrConstraint) {
      throw new Error("D1_SESSION_ERROR: invalid bookmark or constraint");
    }
  }

  prepare(sql) {
    return new D1PreparedStatement(this, sql);
  }

  async batch(statements) {
    // Called as methods, as the binding does: anything but an array fails
    // the way it fails there.
    const replies = await this._sendOrThrow(
      "/query",
      statements.map((s) => s.statement),
      statements.map((s) => s.params),
      "ROWS_AND_COLUMNS",
    );
    return ArrayPrototypeMap(replies, withObjectRows);
  }

  getBookmark() {
    const held = this.bookmarkOrConstraint;
    return held === FIRST_PRIMARY || held === FIRST_UNCONSTRAINED ? null : held;
  }

  _updateBookmark(bookmark) {
    bookmark = StringPrototypeTrim(bookmark);
    if (!bookmark) return this.getBookmark();
    const current = this.getBookmark();
    if (current === null || StringPrototypeLocaleCompare(current, bookmark) < 0) {
      this.bookmarkOrConstraint = bookmark;
    }
    return this.getBookmark();
  }

  async _sendOrThrow(endpoint, query, params, format) {
    const replies = await this._send(endpoint, query, params, format);
    const first = firstOf(replies);
    if (!first.success) throw d1Error("D1_ERROR", first.error);
    return replies;
  }

  async _send(endpoint, query, params, format) {
    const body = JSONStringify(
      ArrayIsArray(query)
        ? ArrayPrototypeMap(query, (sql, i) => ({ sql, params: params[i] }))
        : { sql: query, params },
    );
    const [bookmark, text] = op_d1_call(this[_id], body, format);
    this._updateBookmark(bookmark);
    let reply;
    try {
      reply = JSONParse(text);
    } catch {
      throw d1Error("D1_ERROR", `Failed to parse body as JSON, got: ${text}`);
    }
    return ArrayIsArray(reply) ? ArrayPrototypeMap(reply, normalise) : normalise(reply);
  }
}

/** The session `env.DB` itself uses: always the primary, never a bookmark. */
class D1DatabaseSessionAlwaysPrimary extends D1DatabaseSession {
  constructor(key, id) {
    super(key, id, FIRST_PRIMARY);
  }

  _updateBookmark(_bookmark) {
    return null;
  }

  getBookmark() {
    return null;
  }

  async exec(query) {
    const lines = query.trim().split("\n");
    const replies = await this._send("/execute", lines, [], "NONE");
    const all = ArrayIsArray(replies) ? replies : [replies];
    const failed = ArrayPrototypeFindIndex(all, (r) => !!r.error);
    if (failed !== -1) {
      throw d1Error(
        "D1_EXEC_ERROR",
        `Error in line ${failed + 1}: ${lines[failed]}: ${all[failed].error}`,
      );
    }
    return {
      count: all.length,
      duration: ArrayPrototypeReduce(all, (sum, r) => sum + r.meta.duration, 0),
    };
  }

  // wrangler dev's D1 object has no dump endpoint: its 404 is what a
  // worker sees.
  async dump() {
    throw new Error("D1_DUMP_ERROR: Status + 404", { cause: new Error("Status 404") });
  }
}

class D1Database {
  constructor(key, id) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
    this[_id] = id;
    this[_session] = new D1DatabaseSessionAlwaysPrimary(illegal, id);
  }

  prepare(query) {
    return new D1PreparedStatement(this[_session], query);
  }

  async batch(statements) {
    return this[_session].batch(statements);
  }

  async exec(query) {
    return this[_session].exec(query);
  }

  withSession(constraintOrBookmark = undefined) {
    let held = constraintOrBookmark?.trim();
    if (held === undefined || held === null || held === "") held = FIRST_UNCONSTRAINED;
    return new D1DatabaseSession(illegal, this[_id], held);
  }

  async dump() {
    return this[_session].dump();
  }
}

class D1PreparedStatement {
  constructor(session, statement, params = undefined) {
    this[_session] = session;
    this.statement = statement;
    this.params = params || [];
  }

  bind(...values) {
    return new D1PreparedStatement(this[_session], this.statement, ArrayPrototypeMap(values, bindable));
  }

  async first(column = undefined) {
    const reply = firstOf(
      await this[_session]._sendOrThrow("/query", this.statement, this.params, "ROWS_AND_COLUMNS"),
    );
    const rows = withObjectRows(reply).results;
    if (rows.length === 0) return null;
    const row = rows[0];
    if (column === undefined) return row;
    if (row?.[column] === undefined) {
      throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`, {
        cause: new Error("Column not found"),
      });
    }
    return row[column];
  }

  async run() {
    return firstOf(await this[_session]._sendOrThrow("/execute", this.statement, this.params, "NONE"));
  }

  async all() {
    return withObjectRows(
      firstOf(await this[_session]._sendOrThrow("/query", this.statement, this.params, "ROWS_AND_COLUMNS")),
    );
  }

  async raw(options = undefined) {
    const reply = firstOf(
      await this[_session]._sendOrThrow("/query", this.statement, this.params, "ROWS_AND_COLUMNS"),
    );
    if (!("results" in reply)) return [];
    const results = reply.results;
    if (ArrayIsArray(results)) {
      const out = [];
      for (const row of results) {
        if (options?.columnNames && out.length === 0) ArrayPrototypePush(out, ObjectKeys(row));
        ArrayPrototypePush(out, ArrayPrototypeMap(ObjectKeys(row), (k) => row[k]));
      }
      return out;
    }
    return [...(options?.columnNames ? [results.columns] : []), ...results.rows];
  }
}

/** `env[binding]` for each D1 binding of the worker. */
function databases(facts) {
  const out = [];
  for (const { binding, id } of facts) ArrayPrototypePush(out, [binding, new D1Database(illegal, id)]);
  return out;
}

return { D1Database, D1DatabaseSession, D1PreparedStatement, databases };
})();
