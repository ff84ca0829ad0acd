// Hostile input for kiln's Intl (tests/e2e/intl.rs): each case answers a
// value or the error's name; none may take the process down or hang it.
const cases = {
  tinyExponent: () => new Intl.NumberFormat("en", { maximumSignificantDigits: 3 }).format("1e-32768"),
  hugeExponent: () => typeof new Intl.NumberFormat("en", { notation: "engineering" }).format("9.9999e32767"),
  hugeCompact: () => typeof new Intl.NumberFormat("en", { notation: "compact" }).format("1e-32768"),
  longNumericString: () => new Intl.NumberFormat("en").format("1".repeat(100000) + "x"),
  trailingDot: () => new Intl.NumberFormat("en").format("5."),
  hugeBigInt: () => typeof new Intl.NumberFormat("en").format(10n ** 5000n),
  farDate: () => typeof new Date(8.64e15).toLocaleString("en-US"),
  dayPeriodOnly: () => typeof new Intl.DateTimeFormat("en", { dayPeriod: "short" }).format(0),
  loneSurrogateUpper: () => "\uD800a".toLocaleUpperCase() === "\uD800A",
  loneSurrogateSegments: () => [...new Intl.Segmenter("en", { granularity: "word" }).segment("a\uD800 b")].length,
  emptySegments: () => [...new Intl.Segmenter().segment("")].length,
  cyclicArray: () => {
    const a = [1];
    a.push(a);
    return a.toLocaleString();
  },
  badLocale: () => new Intl.NumberFormat("en-"),
  badTimeZone: () => new Intl.DateTimeFormat("en", { timeZone: "Mars/Olympus" }),
  badCurrency: () => new Intl.NumberFormat("en", { style: "currency", currency: "US" }),
  missingCurrency: () => new Intl.NumberFormat("en", { style: "currency" }),
  badOption: () => new Intl.NumberFormat("en", { style: "fancy" }),
  badUnit: () => new Intl.RelativeTimeFormat("en").format(1, "fortnight"),
  plusPercent: () => new Intl.NumberFormat("en", { style: "percent", signDisplay: "always" }).format(0.5),
  plusInfinity: () => new Intl.NumberFormat("en", { signDisplay: "exceptZero" }).format(Infinity),
  unitHugeBigInt: () => typeof new Intl.NumberFormat("ar", { style: "unit", unit: "day", unitDisplay: "long" }).format(10n ** 5000n),
  unitNaN: () => new Intl.NumberFormat("en", { style: "unit", unit: "kilometer-per-hour" }).format(NaN),
  unitUnknownLanguage: () => new Intl.NumberFormat("qaa", { style: "unit", unit: "byte", unitDisplay: "narrow" }).format(1),
  unitThreeParts: () => new Intl.NumberFormat("en", { style: "unit", unit: "meter-per-second-per-second" }),
  rangeFarDate: () => typeof new Intl.DateTimeFormat("en").formatRange(0, 8.64e15),
  rangeNaN: () => new Intl.DateTimeFormat("en").formatRange(0, NaN),
  everyComponent: () =>
    typeof new Intl.DateTimeFormat("en", {
      weekday: "narrow", era: "narrow", year: "2-digit", month: "narrow", day: "2-digit", dayPeriod: "narrow",
      hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, timeZoneName: "longGeneric",
      hourCycle: "h24", timeZone: "Pacific/Chatham",
    }).formatToParts(0),
  componentsUnknownLanguage: () => new Intl.DateTimeFormat("qaa", { month: "narrow", timeZone: "UTC" }).format(0),
  compactCurrencyNaN: () => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact" }).format(NaN),
  compactCurrencyHugeBigInt: () =>
    typeof new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact" }).format(10n ** 5000n),
  numberingSystemLocale: () =>
    new Intl.NumberFormat("en", { numberingSystem: "arab" }).resolvedOptions().locale,
};

export default {
  fetch() {
    const out = {};
    for (const [name, run] of Object.entries(cases)) {
      try {
        out[name] = run();
        if (typeof out[name] === "object") out[name] = "object";
      } catch (e) {
        out[name] = { error: e.name };
      }
    }
    return Response.json(out);
  },
};
