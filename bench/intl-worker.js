// bench/intl.py's worker: GET / answers at once; /dtf and /nf build an
// Intl formatter and format with it, so that the first call after start
// pays for loading its locale data.
export default {
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/dtf") {
      const format = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "America/New_York" });
      return new Response(format.format(new Date(0)));
    }
    if (pathname === "/nf") {
      const format = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
      return new Response(format.format(1234.5));
    }
    return new Response("ok");
  },
};
