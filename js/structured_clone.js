// structuredClone for values that reach an object more than once (a cycle,
// or one object under two keys). deno_web's structuredClone hands the value
// to the engine's serializer, and v8x's QuickJS serializer first walks the
// graph without remembering what it has seen: a self-reference under two
// keys makes that walk exponential, so the call never returns and memory
// grows (a single request could take the process down). Such values are
// cloned here instead, once per object, as the HTML standard's
// StructuredSerialize/StructuredDeserialize keep identity; every other value
// (and each leaf this does not know: errors, host objects, functions) still
// goes to deno_web's, which throws its DataCloneError where it must.

(function () {
const { primordials } = __bootstrap;
const {
  ArrayBufferIsView,
  ArrayIsArray,
  ArrayPrototypePush,
  ArrayPrototypePop,
  DataView,
  Date,
  DatePrototype,
  DatePrototypeGetTime,
  Map,
  MapPrototype,
  MapPrototypeForEach,
  MapPrototypeGet,
  MapPrototypeHas,
  MapPrototypeSet,
  ObjectGetPrototypeOf,
  ObjectKeys,
  ObjectPrototype,
  RegExp,
  RegExpPrototype,
  SafeMap,
  SafeSet,
  Set,
  SetPrototype,
  SetPrototypeAdd,
  SetPrototypeForEach,
  SetPrototypeHas,
} = primordials;

// Past this many objects a value is cloned here whether or not it repeats:
// the check would cost as much as the clone.
const WALK_LIMIT = 100000;

function kindOf(value) {
  if (ArrayIsArray(value)) return "array";
  const proto = ObjectGetPrototypeOf(value);
  if (proto === ObjectPrototype || proto === null) return "object";
  if (proto === MapPrototype) return "map";
  if (proto === SetPrototype) return "set";
  if (proto === DatePrototype) return "date";
  if (proto === RegExpPrototype) return "regexp";
  return "leaf";
}

// The values inside a container, in the order they are cloned.
function forEachChild(value, kind, visit) {
  if (kind === "array" || kind === "object") {
    const keys = ObjectKeys(value);
    for (let i = 0; i < keys.length; i++) visit(value[keys[i]]);
  } else if (kind === "map") {
    MapPrototypeForEach(value, (v, k) => {
      visit(k);
      visit(v);
    });
  } else if (kind === "set") {
    SetPrototypeForEach(value, (v) => visit(v));
  }
}

// Whether some object is reached twice from `value` (or the graph is too
// large to tell cheaply).
function repeats(value) {
  const seen = new SafeSet();
  const stack = [value];
  while (stack.length > 0) {
    const current = ArrayPrototypePop(stack);
    if (typeof current !== "object" || current === null) continue;
    if (SetPrototypeHas(seen, current)) return true;
    SetPrototypeAdd(seen, current);
    if (seen.size > WALK_LIMIT) return true;
    forEachChild(current, kindOf(current), (child) => ArrayPrototypePush(stack, child));
  }
  return false;
}

function cloneGraph(value, leafClone) {
  const memo = new SafeMap();
  const clone = (input) => {
    if (typeof input !== "object" || input === null) {
      // Functions and symbols: the leaf clone throws DataCloneError.
      return typeof input === "function" || typeof input === "symbol" ? leafClone(input) : input;
    }
    if (MapPrototypeHas(memo, input)) return MapPrototypeGet(memo, input);
    const kind = kindOf(input);
    let out;
    switch (kind) {
      case "array":
        out = new Array(input.length);
        break;
      case "object":
        out = {};
        break;
      case "map":
        out = new Map();
        break;
      case "set":
        out = new Set();
        break;
      case "date":
        out = new Date(DatePrototypeGetTime(input));
        break;
      case "regexp":
        out = new RegExp(input.source, input.flags);
        break;
      default:
        // Buffers keep their own sharing: a view's buffer is cloned once.
        if (ArrayBufferIsView(input) && !(input instanceof DataView) && MapPrototypeHas(memo, input.buffer)) {
          const buffer = MapPrototypeGet(memo, input.buffer);
          out = new input.constructor(buffer, input.byteOffset, input.length);
        } else {
          out = leafClone(input);
          if (ArrayBufferIsView(input)) MapPrototypeSet(memo, input.buffer, out.buffer);
        }
    }
    MapPrototypeSet(memo, input, out);
    if (kind === "array" || kind === "object") {
      const keys = ObjectKeys(input);
      for (let i = 0; i < keys.length; i++) out[keys[i]] = clone(input[keys[i]]);
    } else if (kind === "map") {
      const entries = [];
      MapPrototypeForEach(input, (v, k) => ArrayPrototypePush(entries, [k, v]));
      for (let i = 0; i < entries.length; i++) {
        MapPrototypeSet(out, clone(entries[i][0]), clone(entries[i][1]));
      }
    } else if (kind === "set") {
      const values = [];
      SetPrototypeForEach(input, (v) => ArrayPrototypePush(values, v));
      for (let i = 0; i < values.length; i++) SetPrototypeAdd(out, clone(values[i]));
    }
    return out;
  };
  return clone(value);
}

// deno_web's structuredClone, with values that repeat an object cloned here.
function wrap(native) {
  return function structuredClone(value, options = undefined) {
    if (
      arguments.length >= 1 && options === undefined && typeof value === "object" &&
      value !== null && kindOf(value) !== "leaf" && repeats(value)
    ) {
      return cloneGraph(value, (leaf) => native(leaf));
    }
    return native(...arguments);
  };
}

return { wrap };
})();
