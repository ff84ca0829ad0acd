// Workers' own streams: FixedLengthStream (a byte stream of a length
// declared up front) and IdentityTransformStream, and which streams have a
// known length, as R2's put() requires: a FixedLengthStream's readable side,
// and the body of a Request or Response whose length is known (a body given
// whole, or one with a Content-Length).

(function () {
const { core, primordials } = __bootstrap;
const {
  ArrayBufferIsView,
  ArrayBufferPrototype,
  Number,
  NumberIsInteger,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectPrototypeIsPrototypeOf,
  RangeError,
  SafeWeakSet,
  StringPrototypeToLowerCase,
  TypeError,
} = primordials;

const streams = core.loadExtScript("ext:deno_web/06_streams.js");
const requestMod = core.loadExtScript("ext:deno_fetch/23_request.js");
const responseMod = core.loadExtScript("ext:deno_fetch/23_response.js");

const knownLength = new SafeWeakSet();

/** Whether `stream` is one whose length is known before it is read. */
function hasKnownLength(stream) {
  return knownLength.has(stream);
}

function byteLength(chunk) {
  if (ArrayBufferIsView(chunk)) return chunk.byteLength;
  if (ObjectPrototypeIsPrototypeOf(ArrayBufferPrototype, chunk)) return chunk.byteLength;
  throw new TypeError(
    "This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.",
  );
}

class IdentityTransformStream extends streams.TransformStream {
  constructor() {
    super({
      transform(chunk, controller) {
        byteLength(chunk);
        controller.enqueue(chunk);
      },
    });
  }
}

class FixedLengthStream extends streams.TransformStream {
  constructor(expectedLength) {
    const expected = Number(expectedLength);
    if (!NumberIsInteger(expected) || expected < 0) {
      throw new RangeError("FixedLengthStream requires a non-negative integer expected length.");
    }
    let seen = 0;
    super({
      transform(chunk, controller) {
        seen += byteLength(chunk);
        if (seen > expected) {
          controller.error(new TypeError("Attempt to write too many bytes through a FixedLengthStream."));
          return;
        }
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (seen < expected) {
          controller.error(new TypeError("FixedLengthStream did not see all expected bytes before close()."));
        }
      },
    });
    knownLength.add(this.readable);
  }
}

/** Notes the streams of bodies whose length is known as they are handed out. */
function trackBodyLengths(prototype, toInner) {
  const descriptor = ObjectGetOwnPropertyDescriptor(prototype, "body");
  if (descriptor?.get === undefined) return;
  const get = descriptor.get;
  ObjectDefineProperty(prototype, "body", {
    ...descriptor,
    get() {
      const stream = get.call(this);
      if (stream !== null && !knownLength.has(stream)) {
        const inner = toInner(this);
        const given = inner.body?.source !== null && inner.body?.source !== undefined;
        let declared = false;
        for (const [name] of inner.headerList) {
          if (StringPrototypeToLowerCase(name) === "content-length") declared = true;
        }
        if (given || declared) knownLength.add(stream);
      }
      return stream;
    },
  });
}
trackBodyLengths(responseMod.ResponsePrototype, responseMod.toInnerResponse);
trackBodyLengths(requestMod.RequestPrototype, requestMod.toInnerRequest);

return { FixedLengthStream, IdentityTransformStream, hasKnownLength };
})();
