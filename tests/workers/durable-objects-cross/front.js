// Uses "back"'s Counter through a Durable Object binding with script_name.
export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("name");
    const stub = env.COUNTER.getByName(name);
    const first = await stub.increment(2);
    const second = await stub.increment(3);
    let error = null;
    try {
      await stub.fail();
    } catch (e) {
      error = { name: e.name, message: e.message, remote: e.remote === true };
    }
    const fetched = await (await stub.fetch("https://do/path", { method: "POST", body: "hi" })).text();
    return Response.json({
      id: stub.id.toString(),
      first: { value: first.value, name: first.name, at: first.at instanceof Date },
      second: second.value,
      error,
      answer: await stub.answer,
      fetched,
    });
  },
};
