// node:stream/promises: pipeline() and finished() returning promises.
import Stream from "node:stream";

export const { finished, pipeline } = Stream.promises;
export default Stream.promises;
