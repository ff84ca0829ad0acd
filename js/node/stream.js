// node:stream: the npm package `readable-stream`, which is Node's own
// streams code published by the Node.js streams team for other runtimes.
// The default export is Stream with every class and helper on it, as in
// Node and Workers.
import vendor from "kiln:node-vendor/stream";

const Stream = vendor.Stream;

// readable-stream leaves out the bridges to WHATWG streams, which need
// Node's internals; these are built on the public APIs of both sides.
function webChunk(chunk) {
  return typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
}

Stream.Readable.toWeb = function toWeb(readable) {
  let settled = false;
  return new ReadableStream({
    start(controller) {
      readable.pause();
      readable.on("data", (chunk) => {
        controller.enqueue(readable.readableObjectMode ? chunk : webChunk(chunk));
        if (controller.desiredSize <= 0) readable.pause();
      });
      // finished() also reports a stream that has already ended or was
      // destroyed without an error, which "end" and "error" never would.
      Stream.finished(readable, (error) => {
        if (settled) return;
        settled = true;
        if (error) controller.error(error);
        else controller.close();
      });
    },
    pull() {
      readable.resume();
    },
    cancel(reason) {
      readable.destroy(reason);
    },
  });
};

Stream.Readable.fromWeb = function fromWeb(readableStream, options = {}) {
  const reader = readableStream.getReader();
  return new Stream.Readable({
    ...options,
    read() {
      reader.read().then(
        ({ value, done }) => this.push(done ? null : value),
        (error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      reader.cancel(error ?? undefined).then(() => callback(error), () => callback(error));
    },
  });
};

Stream.Writable.toWeb = function toWeb(writable) {
  return new WritableStream({
    write(chunk) {
      return new Promise((resolve, reject) => writable.write(chunk, (error) => (error ? reject(error) : resolve())));
    },
    close() {
      return new Promise((resolve, reject) => writable.end((error) => (error ? reject(error) : resolve())));
    },
    abort(reason) {
      writable.destroy(reason);
    },
  });
};

Stream.Writable.fromWeb = function fromWeb(writableStream, options = {}) {
  const writer = writableStream.getWriter();
  return new Stream.Writable({
    ...options,
    write(chunk, _encoding, callback) {
      writer.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      writer.abort(error ?? undefined).then(() => callback(error), () => callback(error));
    },
  });
};
export default Stream;
export { Stream };
export const {
  Duplex,
  PassThrough,
  Readable,
  Transform,
  Writable,
  _isUint8Array,
  _uint8ArrayToBuffer,
  addAbortSignal,
  compose,
  destroy,
  finished,
  getDefaultHighWaterMark,
  isDestroyed,
  isDisturbed,
  isErrored,
  isReadable,
  isWritable,
  pipeline,
  promises,
  setDefaultHighWaterMark,
} = Stream;
