// bench/intl.py's worker: GET / answers at once; /dtf, /components, /nf
// and /unit build an Intl formatter and format with it, so that the first
// call after start pays for loading its locale data (/components and /unit
// also for parsing the CLDR patterns kiln carries beside ICU4X's data).
export default {
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/dtf") {
      const format = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "America/New_York" });
      return new Response(format.format(new Date(0)));
    }
    if (pathname === "/components") {
      const format = new Intl.DateTimeFormat("de-DE", { weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: "Europe/Berlin" });
      return new Response(format.format(new Date(0)));
    }
    if (pathname === "/unit") {
      const format = new Intl.NumberFormat("fr-FR", { style: "unit", unit: "kilobyte-per-second", unitDisplay: "long" });
      return new Response(format.format(1234.5));
    }
    if (pathname === "/nf") {
      const format = new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" });
      return new Response(format.format(1234.5));
    }
    return new Response("ok");
  },
};
