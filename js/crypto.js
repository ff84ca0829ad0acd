// `crypto.getRandomValues` and `crypto.randomUUID`. deno_crypto would bring
// `crypto.subtle` too, but it builds aws-lc (a long C build) for every
// developer and CI run; these two methods need only the OS's randomness.

(function () {
const { core, primordials } = __bootstrap;
const { op_kiln_random_fill, op_kiln_random_uuid } = core.ops;
const {
  ArrayBufferIsView,
  ObjectDefineProperty,
  SymbolToStringTag,
  TypeError,
  TypedArrayPrototypeGetSymbolToStringTag,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteOffset,
  Uint8Array,
} = primordials;

const integerArrays = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
];

const illegal = Symbol("illegal constructor");

class Crypto {
  constructor(key) {
    if (key !== illegal) throw new TypeError("Illegal constructor");
  }

  getRandomValues(array) {
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present.",
      );
    }
    const tag = ArrayBufferIsView(array)
      ? TypedArrayPrototypeGetSymbolToStringTag(array)
      : undefined;
    if (tag === undefined || !integerArrays.includes(tag)) {
      // DOMException is loaded lazily: this module is evaluated before the
      // global scope is complete.
      const { DOMException } = core.loadExtScript(
        "ext:deno_web/01_dom_exception.js",
      );
      throw new DOMException(
        "The data argument must be an integer-type TypedArray.",
        "TypeMismatchError",
      );
    }
    const length = TypedArrayPrototypeGetByteLength(array);
    if (length > 65536) {
      const { DOMException } = core.loadExtScript(
        "ext:deno_web/01_dom_exception.js",
      );
      throw new DOMException(
        `getRandomValues() only accepts buffers of size <= 64K but provided ${length} bytes.`,
        "QuotaExceededError",
      );
    }
    op_kiln_random_fill(
      new Uint8Array(
        TypedArrayPrototypeGetBuffer(array),
        TypedArrayPrototypeGetByteOffset(array),
        length,
      ),
    );
    return array;
  }

  randomUUID() {
    return op_kiln_random_uuid();
  }
}

ObjectDefineProperty(Crypto.prototype, SymbolToStringTag, {
  value: "Crypto",
  configurable: true,
});

const crypto = new Crypto(illegal);

return { Crypto, crypto };
})();
