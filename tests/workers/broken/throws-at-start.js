export default { fetch: () => new Response("never") };
throw new RangeError("thrown while the script runs");
