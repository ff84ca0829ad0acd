export default {
  fetch(request, env) {
    return Response.json({
      API_TOKEN: env.API_TOKEN,
      PLAIN: env.PLAIN,
      OVERRIDDEN: env.OVERRIDDEN,
      INDEX: typeof env.INDEX,
      AI: typeof env.AI,
    });
  },
};
