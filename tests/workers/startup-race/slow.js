// Takes a while to start (its top level runs for 1.5 s), which leaves a
// window in which "front" has started and "slow" has not.
const until = Date.now() + 1500;
while (Date.now() < until) {}

export default {
  fetch() {
    return new Response("slow is up");
  },
};
