// The hello-world worker every server in the HTTP benchmark runs.
export default {
  fetch() {
    return new Response("Hello, world!");
  },
};
