export default {
  fetch(request, env) {
    return Response.json({
      API_TOKEN: env.API_TOKEN,
      PLAIN: env.PLAIN,
      OVERRIDDEN: env.OVERRIDDEN,
      BUCKET: typeof env.BUCKET,
      AI: typeof env.AI,
    });
  },
};
