// The cases of the language suite (tests/e2e/language.rs): deterministic
// expressions whose answers workerd (V8 with ICU) and kiln must agree on, or
// whose difference is listed in docs/engine-differences.md.
//
// Each case is a function rather than source text, since neither runtime
// allows eval() in a request; `expr` is the function's own source, for
// reports. Nothing here may read the clock or a random source. Both
// runtimes run with TZ=UTC, which is what the cases that use the host's
// time zone (Date's local-time methods) assume.
//
// Syntax that an engine may not parse (new RegExp flags and groups above
// all) is written as `new RegExp("...")`: a parse error would take the whole
// module, and every case, down with it.

// Monday 15 January 2024, 13:05:09.087 UTC: an afternoon, so that 12- and
// 24-hour clocks differ, with milliseconds for fractionalSecondDigits.
const T = Date.UTC(2024, 0, 15, 13, 5, 9, 87);
// 00:07 UTC on 4 July 2024: hour 0, where h11, h12, h23 and h24 all differ.
const MIDNIGHT = Date.UTC(2024, 6, 4, 0, 7, 0);

const dtf = (locale, options, t = T) => new Intl.DateTimeFormat(locale, options).format(t);
const nf = (locale, options, n) => new Intl.NumberFormat(locale, options).format(n);
const parts = (list) => list.map((p) => `${p.type}:${p.value}`).join("|");
// Code points, for answers whose difference would be invisible as text.
const cps = (s) =>
  [...s].map((c) => "U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")).join(" ");
const segments = (locale, granularity, text) =>
  [...new Intl.Segmenter(locale, { granularity }).segment(text)].map((s) => s.segment);
const words = (locale, text) =>
  [...new Intl.Segmenter(locale, { granularity: "word" }).segment(text)]
    .filter((s) => s.isWordLike)
    .map((s) => s.segment);
const plurals = (locale, type, numbers) => {
  const rules = new Intl.PluralRules(locale, { type });
  return numbers.map((n) => `${n}:${rules.select(n)}`).join(" ");
};
const sorted = (locale, list, options) => [...list].sort(new Intl.Collator(locale, options).compare);
const thrown = (f) => {
  try {
    return { returned: f() };
  } catch (e) {
    return { name: e.name, message: e.message };
  }
};
const has = (object, key) => typeof object?.[key];

const entries = [
  // ---- Intl.DateTimeFormat: styles in every length, in many locales ----
  ["intl.dtf.datestyle-full-en-us", () => dtf("en-US", { dateStyle: "full", timeZone: "UTC" })],
  ["intl.dtf.datestyle-long-en-us", () => dtf("en-US", { dateStyle: "long", timeZone: "UTC" })],
  ["intl.dtf.datestyle-medium-en-us", () => dtf("en-US", { dateStyle: "medium", timeZone: "UTC" })],
  ["intl.dtf.datestyle-short-en-us", () => dtf("en-US", { dateStyle: "short", timeZone: "UTC" })],
  ["intl.dtf.timestyle-full-en-us", () => dtf("en-US", { timeStyle: "full", timeZone: "UTC" })],
  ["intl.dtf.timestyle-long-en-us", () => dtf("en-US", { timeStyle: "long", timeZone: "UTC" })],
  ["intl.dtf.timestyle-medium-en-us", () => dtf("en-US", { timeStyle: "medium", timeZone: "UTC" })],
  ["intl.dtf.timestyle-short-en-us", () => dtf("en-US", { timeStyle: "short", timeZone: "UTC" })],
  ["intl.dtf.medium-utc", () => dtf("en-US", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" })],
  ["intl.dtf.default-en-us", () => dtf("en-US", { timeZone: "UTC" })],
  ["intl.dtf.full-en-gb-berlin", () => dtf("en-GB", { dateStyle: "full", timeStyle: "full", timeZone: "Europe/Berlin" })],
  ["intl.dtf.full-de-de-berlin", () => dtf("de-DE", { dateStyle: "full", timeStyle: "long", timeZone: "Europe/Berlin" })],
  ["intl.dtf.short-de-de", () => dtf("de-DE", { dateStyle: "short", timeStyle: "short", timeZone: "UTC" })],
  ["intl.dtf.long-fr-fr-paris", () => dtf("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" })],
  ["intl.dtf.full-fr-fr", () => dtf("fr-FR", { dateStyle: "full", timeZone: "UTC" })],
  ["intl.dtf.full-ja-jp-tokyo", () => dtf("ja-JP", { dateStyle: "full", timeStyle: "long", timeZone: "Asia/Tokyo" })],
  ["intl.dtf.short-ja-jp", () => dtf("ja-JP", { dateStyle: "short", timeStyle: "short", timeZone: "Asia/Tokyo" })],
  ["intl.dtf.full-ar-eg-cairo", () => dtf("ar-EG", { dateStyle: "full", timeStyle: "medium", timeZone: "Africa/Cairo" })],
  ["intl.dtf.long-hi-in-kolkata", () => dtf("hi-IN", { dateStyle: "long", timeStyle: "short", timeZone: "Asia/Kolkata" })],
  ["intl.dtf.full-zh-cn-shanghai", () => dtf("zh-CN", { dateStyle: "full", timeStyle: "full", timeZone: "Asia/Shanghai" })],
  ["intl.dtf.long-ru-ru-moscow", () => dtf("ru-RU", { dateStyle: "long", timeStyle: "medium", timeZone: "Europe/Moscow" })],
  ["intl.dtf.full-pt-br-sao-paulo", () => dtf("pt-BR", { dateStyle: "full", timeStyle: "short", timeZone: "America/Sao_Paulo" })],
  ["intl.dtf.full-es-es-madrid", () => dtf("es-ES", { dateStyle: "full", timeStyle: "medium", timeZone: "Europe/Madrid" })],
  ["intl.dtf.full-ko-kr-seoul", () => dtf("ko-KR", { dateStyle: "full", timeStyle: "full", timeZone: "Asia/Seoul" })],
  ["intl.dtf.full-he-il-jerusalem", () => dtf("he-IL", { dateStyle: "full", timeStyle: "short", timeZone: "Asia/Jerusalem" })],
  ["intl.dtf.full-tr-tr-istanbul", () => dtf("tr-TR", { dateStyle: "full", timeStyle: "medium", timeZone: "Europe/Istanbul" })],
  // ---- components ----
  ["intl.dtf.components-long-date", () => dtf("en-US", { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" })],
  ["intl.dtf.components-2-digit", () => dtf("en-US", { year: "2-digit", month: "2-digit", day: "2-digit", timeZone: "UTC" })],
  ["intl.dtf.components-month-narrow", () => dtf("en-US", { month: "narrow", timeZone: "UTC" })],
  ["intl.dtf.components-month-short-de", () => dtf("de-DE", { month: "short", day: "numeric", timeZone: "UTC" })],
  ["intl.dtf.components-weekday-short-de", () => dtf("de-DE", { weekday: "short", timeZone: "UTC" })],
  ["intl.dtf.components-weekday-narrow-fr", () => dtf("fr-FR", { weekday: "narrow", timeZone: "UTC" })],
  ["intl.dtf.components-year-month-ja", () => dtf("ja-JP", { year: "numeric", month: "long", timeZone: "UTC" })],
  ["intl.dtf.hour12-true", () => dtf("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit", hour12: true, timeZone: "UTC" })],
  ["intl.dtf.hour12-false", () => dtf("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "UTC" })],
  ["intl.dtf.hourcycle-h11", () => dtf("en-US", { hour: "numeric", minute: "numeric", hourCycle: "h11", timeZone: "UTC" }, MIDNIGHT)],
  ["intl.dtf.hourcycle-h12", () => dtf("en-US", { hour: "numeric", minute: "numeric", hourCycle: "h12", timeZone: "UTC" }, MIDNIGHT)],
  ["intl.dtf.hourcycle-h23", () => dtf("en-US", { hour: "numeric", minute: "numeric", hourCycle: "h23", timeZone: "UTC" }, MIDNIGHT)],
  ["intl.dtf.hourcycle-h24", () => dtf("en-US", { hour: "numeric", minute: "numeric", hourCycle: "h24", timeZone: "UTC" }, MIDNIGHT)],
  ["intl.dtf.hour-2-digit-en-gb", () => dtf("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }, MIDNIGHT)],
  ["intl.dtf.day-period", () => dtf("en-US", { hour: "numeric", dayPeriod: "long", timeZone: "UTC" })],
  ["intl.dtf.fractional-1", () => dtf("en-US", { minute: "2-digit", second: "2-digit", fractionalSecondDigits: 1, timeZone: "UTC" })],
  ["intl.dtf.fractional-2", () => dtf("en-US", { second: "numeric", fractionalSecondDigits: 2, timeZone: "UTC" })],
  ["intl.dtf.fractional-3", () => dtf("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, hour12: false, timeZone: "UTC" })],
  ["intl.dtf.era-long", () => dtf("en-US", { year: "numeric", era: "long", timeZone: "UTC" })],
  ["intl.dtf.era-short-bc", () => dtf("en-US", { year: "numeric", era: "short", timeZone: "UTC" }, Date.UTC(-500, 5, 1))],
  ["intl.dtf.era-narrow", () => dtf("en-US", { year: "numeric", month: "short", era: "narrow", timeZone: "UTC" })],
  ["intl.dtf.tzname-short-ny", () => dtf("en-US", { timeStyle: "short", timeZone: "America/New_York" }) + " " + dtf("en-US", { hour: "numeric", timeZoneName: "short", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-long-ny", () => dtf("en-US", { hour: "numeric", timeZoneName: "long", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-short-offset-ny", () => dtf("en-US", { hour: "numeric", timeZoneName: "shortOffset", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-long-offset-ny", () => dtf("en-US", { hour: "numeric", timeZoneName: "longOffset", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-short-generic-ny", () => dtf("en-US", { hour: "numeric", timeZoneName: "shortGeneric", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-long-generic-ny", () => dtf("en-US", { hour: "numeric", timeZoneName: "longGeneric", timeZone: "America/New_York" })],
  ["intl.dtf.tzname-short-de-berlin", () => dtf("de-DE", { hour: "numeric", timeZoneName: "short", timeZone: "Europe/Berlin" })],
  ["intl.dtf.kolkata", () => dtf("en-US", { hour: "numeric", minute: "2-digit", timeZone: "Asia/Kolkata" })],
  ["intl.dtf.kathmandu-offset", () => dtf("en-US", { hour: "numeric", minute: "2-digit", timeZoneName: "shortOffset", timeZone: "Asia/Kathmandu" })],
  ["intl.dtf.lord-howe-summer", () => dtf("en-US", { hour: "numeric", minute: "2-digit", timeZoneName: "longOffset", timeZone: "Australia/Lord_Howe" })],
  ["intl.dtf.lord-howe-winter", () => dtf("en-US", { hour: "numeric", minute: "2-digit", timeZoneName: "longOffset", timeZone: "Australia/Lord_Howe" }, MIDNIGHT)],
  ["intl.dtf.lord-howe-transition", () =>
    // Clocks go back half an hour at 02:00 local on 7 April 2024.
    [Date.UTC(2024, 3, 6, 14, 59), Date.UTC(2024, 3, 6, 15, 0)]
      .map((t) => dtf("en-GB", { hour: "2-digit", minute: "2-digit", timeZoneName: "shortOffset", timeZone: "Australia/Lord_Howe" }, t))
      .join(" / ")],
  ["intl.dtf.dst-spring-new-york", () =>
    [Date.UTC(2024, 2, 10, 6, 59, 59), Date.UTC(2024, 2, 10, 7, 0, 0)]
      .map((t) => dtf("en-US", { timeStyle: "long", timeZone: "America/New_York" }, t))
      .join(" / ")],
  ["intl.dtf.dst-fall-new-york", () =>
    [Date.UTC(2024, 10, 3, 5, 30), Date.UTC(2024, 10, 3, 6, 30)]
      .map((t) => dtf("en-US", { hour: "numeric", minute: "2-digit", timeZoneName: "short", timeZone: "America/New_York" }, t))
      .join(" / ")],
  ["intl.dtf.dst-spring-berlin", () =>
    [Date.UTC(2024, 2, 31, 0, 59), Date.UTC(2024, 2, 31, 1, 0)]
      .map((t) => dtf("de-DE", { timeStyle: "long", timeZone: "Europe/Berlin" }, t))
      .join(" / ")],
  ["intl.dtf.offset-time-zone", () => dtf("en-US", { timeStyle: "long", timeZone: "+05:30" })],
  ["intl.dtf.etc-gmt", () => dtf("en-US", { timeStyle: "long", timeZone: "Etc/GMT-14" })],
  ["intl.dtf.time-zone-case", () => new Intl.DateTimeFormat("en-US", { timeZone: "america/new_york" }).resolvedOptions().timeZone],
  ["intl.dtf.time-zone-invalid", () => new Intl.DateTimeFormat("en-US", { timeZone: "Mars/Olympus_Mons" })],
  ["intl.dtf.invalid-date", () => dtf("en-US", { timeZone: "UTC" }, NaN)],
  ["intl.dtf.calendar-buddhist", () => dtf("en-US-u-ca-buddhist", { dateStyle: "long", timeZone: "UTC" })],
  ["intl.dtf.calendar-japanese", () => dtf("ja-JP-u-ca-japanese", { dateStyle: "long", timeZone: "UTC" })],
  ["intl.dtf.calendar-islamic", () => dtf("en-US", { dateStyle: "long", calendar: "islamic-umalqura", timeZone: "UTC" })],
  ["intl.dtf.calendar-hebrew", () => dtf("he-IL-u-ca-hebrew", { dateStyle: "long", timeZone: "UTC" })],
  ["intl.dtf.numbering-system-thai", () => dtf("th-TH-u-nu-thai", { dateStyle: "short", timeZone: "UTC" })],
  ["intl.dtf.numbering-system-arab", () => dtf("ar-EG", { year: "numeric", month: "numeric", day: "numeric", timeZone: "UTC" })],
  ["intl.dtf.format-to-parts-en", () => parts(new Intl.DateTimeFormat("en-US", { dateStyle: "full", timeStyle: "long", timeZone: "UTC" }).formatToParts(T))],
  ["intl.dtf.format-to-parts-de", () => parts(new Intl.DateTimeFormat("de-DE", { weekday: "short", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin" }).formatToParts(T))],
  ["intl.dtf.format-to-parts-fractional", () => parts(new Intl.DateTimeFormat("en-US", { second: "numeric", fractionalSecondDigits: 3, timeZone: "UTC" }).formatToParts(T))],
  ["intl.dtf.components-de-fraction", () => dtf("de-DE", { month: "long", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", fractionalSecondDigits: 3, timeZone: "UTC" })],
  ["intl.dtf.components-ja-weekday", () => dtf("ja-JP", { year: "numeric", month: "long", day: "numeric", weekday: "short", timeZone: "UTC" })],
  ["intl.dtf.components-en-gb-morning", () => dtf("en-GB", { hour: "numeric", minute: "numeric", timeZone: "UTC" }, T - 4 * 3600e3)],
  ["intl.dtf.components-de-year-month", () => dtf("de-DE", { year: "numeric", month: "numeric", timeZone: "UTC" })],
  ["intl.dtf.components-en-at", () => dtf("en-US", { month: "long", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit", timeZone: "UTC" })],
  ["intl.dtf.format-range-same-day", () => new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "numeric", timeZone: "UTC" }).formatRange(T, T + 3 * 3600e3)],
  ["intl.dtf.format-range-days", () => new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).formatRange(T, T + 3 * 86400e3)],
  ["intl.dtf.format-range-months", () => new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", timeZone: "UTC" }).formatRange(T, Date.UTC(2024, 2, 3))],
  ["intl.dtf.format-range-years", () => new Intl.DateTimeFormat("de-DE", { dateStyle: "long", timeZone: "UTC" }).formatRange(T, Date.UTC(2025, 1, 1))],
  ["intl.dtf.format-range-equal", () => new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).formatRange(T, T + 1000)],
  ["intl.dtf.format-range-mixed", () => new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).formatRange(T, T + 3600e3)],
  ["intl.dtf.format-range-fr-months", () => new Intl.DateTimeFormat("fr-FR", { year: "numeric", month: "long", timeZone: "UTC" }).formatRange(T, T + 40 * 86400e3)],
  ["intl.dtf.format-range-reversed", () => new Intl.DateTimeFormat("en-US", { timeZone: "UTC" }).formatRange(T, T - 400 * 86400e3)],
  ["intl.dtf.format-range-zone", () => new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", timeZoneName: "short", hour: "numeric" }).formatRange(T, T + 7200e3)],
  ["intl.dtf.format-range-to-parts", () =>
    new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" })
      .formatRangeToParts(T, T + 2 * 86400e3)
      .map((p) => `${p.type}:${p.value}:${p.source}`)
      .join("|")],
  ["intl.dtf.resolved-en-us", () => JSON.stringify(new Intl.DateTimeFormat("en-US", { timeZone: "UTC" }).resolvedOptions())],
  ["intl.dtf.resolved-ja-styles", () => JSON.stringify(new Intl.DateTimeFormat("ja-JP", { dateStyle: "long", timeStyle: "short", timeZone: "Asia/Tokyo" }).resolvedOptions())],
  ["intl.dtf.resolved-hour-cycle-de", () => new Intl.DateTimeFormat("de-DE", { hour: "numeric" }).resolvedOptions().hourCycle],
  ["intl.dtf.resolved-components", () => JSON.stringify(new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "numeric", timeZoneName: "short", timeZone: "Asia/Kolkata" }).resolvedOptions())],
  ["intl.dtf.style-and-component", () => new Intl.DateTimeFormat("en-US", { dateStyle: "short", hour: "numeric" })],
  ["intl.dtf.supported-locales", () => Intl.DateTimeFormat.supportedLocalesOf(["en-US", "de-DE", "tlh", "zh-Hant-TW"])],

  // ---- Intl.NumberFormat ----
  ["intl.nf.decimal-en-us", () => nf("en-US", {}, 1234567.891)],
  ["intl.nf.decimal-de-de", () => nf("de-DE", {}, 1234567.891)],
  ["intl.nf.decimal-fr-fr", () => cps(nf("fr-FR", {}, 1234567.891))],
  ["intl.nf.decimal-hi-in", () => nf("hi-IN", {}, 1234567.891)],
  ["intl.nf.decimal-ar-eg", () => nf("ar-EG", {}, 1234567.891)],
  ["intl.nf.decimal-ja-jp", () => nf("ja-JP", {}, 1234567.891)],
  ["intl.nf.decimal-ru-ru", () => cps(nf("ru-RU", {}, 1234567.891))],
  ["intl.nf.decimal-pt-br", () => nf("pt-BR", {}, 1234567.891)],
  ["intl.nf.decimal-es-es-4-digits", () => [nf("es-ES", {}, 1234.5), nf("es-ES", {}, 12345.5)]],
  ["intl.nf.decimal-de-ch", () => nf("de-CH", {}, 1234567.891)],
  ["intl.nf.min-fraction", () => nf("en-US", { minimumFractionDigits: 2 }, 5)],
  ["intl.nf.max-fraction-0", () => [2.5, 3.5, -2.5].map((n) => nf("en-US", { maximumFractionDigits: 0 }, n))],
  ["intl.nf.max-fraction-1", () => [1.25, 1.35, 1.05].map((n) => nf("en-US", { maximumFractionDigits: 1 }, n))],
  ["intl.nf.min-integer", () => nf("en-US", { minimumIntegerDigits: 3 }, 7)],
  ["intl.nf.max-significant", () => nf("en-US", { maximumSignificantDigits: 3 }, 123456)],
  ["intl.nf.min-significant", () => nf("en-US", { minimumSignificantDigits: 5 }, 1.5)],
  ["intl.nf.significant-and-fraction", () => nf("en-US", { maximumSignificantDigits: 2, maximumFractionDigits: 3, roundingPriority: "lessPrecision" }, 1.23456)],
  ["intl.nf.percent", () => nf("en-US", { style: "percent" }, 0.256)],
  ["intl.nf.percent-de", () => cps(nf("de-DE", { style: "percent" }, 0.256))],
  ["intl.nf.percent-fraction", () => nf("en-US", { style: "percent", maximumFractionDigits: 1 }, 0.12345)],
  ["intl.nf.currency-eur-de", () => nf("de-DE", { style: "currency", currency: "EUR" }, 1234.5)],
  ["intl.nf.currency-usd-en", () => nf("en-US", { style: "currency", currency: "USD" }, -1234.5)],
  ["intl.nf.currency-jpy-ja", () => nf("ja-JP", { style: "currency", currency: "JPY" }, 1234.5)],
  ["intl.nf.currency-inr-hi", () => nf("hi-IN", { style: "currency", currency: "INR" }, 1234567.5)],
  ["intl.nf.currency-display-code", () => nf("en-US", { style: "currency", currency: "EUR", currencyDisplay: "code" }, 12.5)],
  ["intl.nf.currency-display-name", () => nf("en-US", { style: "currency", currency: "EUR", currencyDisplay: "name" }, 12.5)],
  ["intl.nf.currency-display-name-one", () => nf("en-US", { style: "currency", currency: "USD", currencyDisplay: "name" }, 1)],
  ["intl.nf.currency-display-narrow", () => [nf("en-CA", { style: "currency", currency: "USD" }, 5), nf("en-CA", { style: "currency", currency: "USD", currencyDisplay: "narrowSymbol" }, 5)]],
  ["intl.nf.currency-accounting", () => nf("en-US", { style: "currency", currency: "USD", currencySign: "accounting" }, -5)],
  ["intl.nf.currency-lowercase-code", () => nf("en-US", { style: "currency", currency: "eur" }, 1)],
  ["intl.nf.currency-missing", () => new Intl.NumberFormat("en-US", { style: "currency" })],
  ["intl.nf.currency-invalid", () => new Intl.NumberFormat("en-US", { style: "currency", currency: "EURO" })],
  ["intl.nf.unit-kmh-long", () => nf("en-US", { style: "unit", unit: "kilometer-per-hour", unitDisplay: "long" }, 50)],
  ["intl.nf.unit-kmh-short", () => nf("en-US", { style: "unit", unit: "kilometer-per-hour", unitDisplay: "short" }, 50)],
  ["intl.nf.unit-kmh-narrow", () => nf("en-US", { style: "unit", unit: "kilometer-per-hour", unitDisplay: "narrow" }, 50)],
  ["intl.nf.unit-liter", () => [1, 2].map((n) => nf("en-US", { style: "unit", unit: "liter", unitDisplay: "long" }, n))],
  ["intl.nf.unit-liter-de", () => nf("de-DE", { style: "unit", unit: "liter", unitDisplay: "long" }, 2)],
  ["intl.nf.unit-byte-narrow", () => nf("en-US", { style: "unit", unit: "byte", unitDisplay: "narrow" }, 512)],
  ["intl.nf.unit-kilobyte", () => nf("en-US", { style: "unit", unit: "kilobyte" }, 1.5)],
  ["intl.nf.unit-megabyte-long", () => nf("en-US", { style: "unit", unit: "megabyte", unitDisplay: "long" }, 3)],
  ["intl.nf.unit-celsius-fr", () => cps(nf("fr-FR", { style: "unit", unit: "celsius" }, 21.5))],
  ["intl.nf.unit-arabic-dual", () => [1, 2, 5].map((n) => nf("ar", { style: "unit", unit: "day", unitDisplay: "long" }, n))],
  ["intl.nf.unit-compound-per-pattern", () => nf("en-US", { style: "unit", unit: "kilobyte-per-second", unitDisplay: "long" }, 2)],
  ["intl.nf.unit-compound-per-name", () => nf("de-DE", { style: "unit", unit: "gram-per-liter", unitDisplay: "long" }, 5)],
  ["intl.nf.unit-percent-short-de", () => cps(nf("de-DE", { style: "unit", unit: "percent" }, 12.5))],
  ["intl.nf.unit-percent-long", () => nf("en-US", { style: "unit", unit: "percent", unitDisplay: "long" }, 12.5)],
  ["intl.nf.unit-compact-byte", () => nf("en-US", { style: "unit", unit: "byte", notation: "compact", unitDisplay: "narrow" }, 1500000)],
  ["intl.nf.unit-parts-long", () => new Intl.NumberFormat("en-US", { style: "unit", unit: "mile-per-hour", unitDisplay: "long" }).formatToParts(-1234.5).map((p) => `${p.type}:${p.value}`).join("|")],
  ["intl.nf.unit-zh-tw", () => nf("zh-TW", { style: "unit", unit: "hour", unitDisplay: "long" }, 3)],
  ["intl.nf.unit-ja-narrow", () => nf("ja-JP", { style: "unit", unit: "kilogram", unitDisplay: "narrow" }, 70)],
  ["intl.nf.unit-ru-plural", () => [1, 3, 5, 1.5].map((n) => nf("ru-RU", { style: "unit", unit: "minute", unitDisplay: "long" }, n))],
  ["intl.nf.unit-invalid", () => new Intl.NumberFormat("en-US", { style: "unit", unit: "furlong" })],
  ["intl.nf.compact-short", () => [999, 1234, 1234567, 1.5e9].map((n) => nf("en-US", { notation: "compact" }, n))],
  ["intl.nf.compact-long", () => [1234, 1234567].map((n) => nf("en-US", { notation: "compact", compactDisplay: "long" }, n))],
  ["intl.nf.compact-long-de", () => nf("de-DE", { notation: "compact", compactDisplay: "long" }, 1234567)],
  ["intl.nf.compact-digit-options", () => [
    nf("en-US", { notation: "compact", maximumFractionDigits: 2 }, 1234567),
    nf("en-US", { notation: "compact", minimumSignificantDigits: 4 }, 1234567),
    nf("en-US", { notation: "compact", maximumSignificantDigits: 1 }, 1567),
    nf("en-US", { notation: "compact", roundingMode: "floor", maximumFractionDigits: 0 }, 1999),
  ]],
  ["intl.nf.compact-carry", () => [999499, 999500, 999950].map((n) => nf("en-US", { notation: "compact" }, n))],
  ["intl.nf.compact-words-fr", () => [1000, 1234, 2e6].map((n) => nf("fr-FR", { notation: "compact", compactDisplay: "long" }, n))],
  ["intl.nf.compact-parts-fr", () => parts(new Intl.NumberFormat("fr-FR", { notation: "compact" }).formatToParts(-1234567))],
  ["intl.nf.compact-currency", () => [
    ...[1234, 1234567, -1.5e9].map((n) => nf("en-US", { style: "currency", currency: "USD", notation: "compact" }, n)),
    nf("de-DE", { style: "currency", currency: "EUR", notation: "compact" }, 1234567),
    nf("en-IN", { style: "currency", currency: "INR", notation: "compact" }, 1234567),
    nf("en-US", { style: "currency", currency: "USD", notation: "compact", compactDisplay: "long" }, 1234567),
  ]],
  ["intl.nf.compact-percent", () => nf("en-US", { style: "percent", notation: "compact" }, 12.345)],
  ["intl.nf.compact-ja", () => nf("ja-JP", { notation: "compact" }, 123456789)],
  ["intl.nf.compact-hi", () => nf("hi-IN", { notation: "compact" }, 1234567)],
  ["intl.nf.scientific", () => [123456, 0.00012].map((n) => nf("en-US", { notation: "scientific" }, n))],
  ["intl.nf.engineering", () => [123456, 0.00012].map((n) => nf("en-US", { notation: "engineering" }, n))],
  ["intl.nf.sign-auto", () => [-1, -0, 0, 1].map((n) => nf("en-US", { signDisplay: "auto" }, n))],
  ["intl.nf.sign-always", () => [-1, -0, 0, 1].map((n) => nf("en-US", { signDisplay: "always" }, n))],
  ["intl.nf.sign-never", () => [-1, -0, 0, 1].map((n) => nf("en-US", { signDisplay: "never" }, n))],
  ["intl.nf.sign-except-zero", () => [-1, -0, 0, 1].map((n) => nf("en-US", { signDisplay: "exceptZero" }, n))],
  ["intl.nf.sign-negative", () => [-1, -0, 0, 1].map((n) => nf("en-US", { signDisplay: "negative" }, n))],
  ["intl.nf.format-to-parts-currency-de", () => parts(new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" }).formatToParts(-1234.56))],
  ["intl.nf.format-to-parts-compact", () => parts(new Intl.NumberFormat("en-US", { notation: "compact" }).formatToParts(1234567))],
  ["intl.nf.format-to-parts-scientific", () => parts(new Intl.NumberFormat("en-US", { notation: "scientific" }).formatToParts(-0.00125))],
  ["intl.nf.bigint-en", () => nf("en-US", {}, 12345678901234567890n)],
  ["intl.nf.bigint-de", () => nf("de-DE", { style: "currency", currency: "EUR" }, -12345678901234567890n)],
  ["intl.nf.decimal-string-exact", () => nf("en-US", { maximumFractionDigits: 20 }, "1234567891234567891.123456789")],
  ["intl.nf.negative-zero", () => nf("en-US", {}, -0)],
  ["intl.nf.nan-infinity", () => [NaN, Infinity, -Infinity].map((n) => nf("en-US", {}, n))],
  ["intl.nf.nan-de", () => nf("de-DE", { style: "percent" }, NaN)],
  ["intl.nf.rounding-modes", () =>
    ["ceil", "floor", "expand", "trunc", "halfCeil", "halfFloor", "halfExpand", "halfTrunc", "halfEven"]
      .map((roundingMode) => `${roundingMode}:${[2.5, -2.5, 3.5].map((n) => nf("en-US", { maximumFractionDigits: 0, roundingMode }, n))}`)
      .join(" ")],
  ["intl.nf.rounding-increment", () => [1.23, 1.27, 1.225].map((n) => nf("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2, roundingIncrement: 5 }, n))],
  ["intl.nf.rounding-increment-invalid", () => new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, roundingIncrement: 3 })],
  ["intl.nf.trailing-zero-display", () => [1, 1.5].map((n) => nf("en-US", { minimumFractionDigits: 2, trailingZeroDisplay: "stripIfInteger" }, n))],
  ["intl.nf.use-grouping", () => [false, "min2", "always", "auto"].map((useGrouping) => nf("en-US", { useGrouping }, 1234))],
  ["intl.nf.use-grouping-es", () => [false, "min2", "always", "auto"].map((useGrouping) => nf("es-ES", { useGrouping }, 1234))],
  ["intl.nf.format-range", () => new Intl.NumberFormat("en-US").formatRange(3, 5)],
  ["intl.nf.format-range-currency", () => new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR", maximumFractionDigits: 0 }).formatRange(3, 5)],
  ["intl.nf.format-range-approx", () => new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).formatRange(2.9, 3.1)],
  ["intl.nf.resolved-currency", () => JSON.stringify(new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" }).resolvedOptions())],
  ["intl.nf.resolved-default", () => JSON.stringify(new Intl.NumberFormat("en-US").resolvedOptions())],
  ["intl.nf.number-to-locale-string-currency", () => (1234.5).toLocaleString("de-DE", { style: "currency", currency: "EUR" })],
  ["intl.nf.supported-locales", () => Intl.NumberFormat.supportedLocalesOf(["en-US", "xx-YY", "ar-EG"])],
  ["intl.nf.numbering-system-option", () => nf("en-US", { numberingSystem: "arab" }, 1234.5)],
  ["intl.nf.numbering-system-extension", () => nf("zh-CN-u-nu-hanidec", {}, 2024)],

  // ---- Intl.Collator and localeCompare ----
  ["intl.collator.compare-en", () => ["a", "b", "A", "á"].map((x) => new Intl.Collator("en").compare(x, "a"))],
  ["intl.collator.umlaut-de-sv", () => [new Intl.Collator("de").compare("ä", "z"), new Intl.Collator("sv").compare("ä", "z")]],
  ["intl.collator.sensitivity", () =>
    ["base", "accent", "case", "variant"]
      .map((sensitivity) => {
        const c = new Intl.Collator("en", { sensitivity });
        return `${sensitivity}:${c.compare("a", "á")},${c.compare("a", "A")}`;
      })
      .join(" ")],
  ["intl.collator.numeric", () => [true, false].map((numeric) => new Intl.Collator("en", { numeric }).compare("2", "10"))],
  ["intl.collator.case-first-upper", () => sorted("en", ["a", "A", "b", "B"], { caseFirst: "upper" })],
  ["intl.collator.case-first-lower", () => sorted("en", ["A", "a", "B", "b"], { caseFirst: "lower" })],
  ["intl.collator.sort-de", () => sorted("de", ["Zebra", "Äpfel", "apfel", "Ähre", "zoo", "Ofen", "Öl"])],
  ["intl.collator.sort-de-phonebook", () => sorted("de-u-co-phonebk", ["Müller", "Mueller", "Mulder", "Muller"])],
  ["intl.collator.sort-sv", () => sorted("sv", ["z", "ä", "ö", "å", "a", "o"])],
  ["intl.collator.sort-es", () => sorted("es", ["ñu", "nube", "oso", "chico", "cosa", "dedo"])],
  ["intl.collator.sort-numeric", () => sorted("en", ["item10", "item2", "item1", "Item3"], { numeric: true })],
  ["intl.collator.ignore-punctuation", () => new Intl.Collator("en", { ignorePunctuation: true }).compare("a-b", "ab")],
  ["intl.collator.resolved", () => JSON.stringify(new Intl.Collator("de", { numeric: true, sensitivity: "base" }).resolvedOptions())],
  ["intl.collator.usage-search", () => new Intl.Collator("de", { usage: "search", sensitivity: "base" }).compare("ä", "a")],
  ["intl.locale-compare.options", () => ["a".localeCompare("ä", "de", { sensitivity: "base" }), "résumé".localeCompare("resume", "en", { sensitivity: "accent" }), "a".localeCompare("B", "en")]],
  ["intl.locale-compare.sort", () => ["résumé", "resume", "Resume", "rèsume"].sort((a, b) => a.localeCompare(b, "fr"))],

  // ---- Intl.PluralRules ----
  ["intl.plural.en-cardinal", () => plurals("en", "cardinal", [0, 1, 2, 1.5])],
  ["intl.plural.en-ordinal", () => plurals("en", "ordinal", [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111])],
  ["intl.plural.ar", () => plurals("ar", "cardinal", [0, 1, 2, 3, 11, 100, 102])],
  ["intl.plural.ru", () => plurals("ru", "cardinal", [1, 2, 5, 11, 21, 22, 25, 1.5])],
  ["intl.plural.pl", () => plurals("pl", "cardinal", [1, 2, 5, 12, 22, 25, 1.5])],
  ["intl.plural.fr", () => plurals("fr", "cardinal", [0, 1, 1.5, 2, 1000000])],
  ["intl.plural.fr-ordinal", () => plurals("fr", "ordinal", [1, 2])],
  ["intl.plural.min-fraction", () => new Intl.PluralRules("en", { minimumFractionDigits: 1 }).select(1)],
  ["intl.plural.categories-ar", () => new Intl.PluralRules("ar").resolvedOptions().pluralCategories],
  ["intl.plural.categories-en-ordinal", () => new Intl.PluralRules("en", { type: "ordinal" }).resolvedOptions().pluralCategories],
  ["intl.plural.select-range", () => new Intl.PluralRules("en").selectRange(1, 2)],

  // ---- Intl.RelativeTimeFormat ----
  ["intl.rtf.always", () => [-1, 0, 1, 2].map((n) => new Intl.RelativeTimeFormat("en", { numeric: "always" }).format(n, "day"))],
  ["intl.rtf.auto", () => [-1, 0, 1, 2].map((n) => new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(n, "day"))],
  ["intl.rtf.auto-units", () => ["year", "quarter", "month", "week", "hour", "minute", "second"].map((unit) => new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(-1, unit))],
  ["intl.rtf.short", () => new Intl.RelativeTimeFormat("en", { style: "short" }).format(3, "month")],
  ["intl.rtf.narrow", () => new Intl.RelativeTimeFormat("en", { style: "narrow" }).format(-5, "minutes")],
  ["intl.rtf.de-auto", () => [-2, -1, 1, 2].map((n) => new Intl.RelativeTimeFormat("de", { numeric: "auto" }).format(n, "day"))],
  ["intl.rtf.fr", () => new Intl.RelativeTimeFormat("fr", { numeric: "auto" }).format(-1, "week")],
  ["intl.rtf.ja", () => new Intl.RelativeTimeFormat("ja").format(3, "hour")],
  ["intl.rtf.ar", () => new Intl.RelativeTimeFormat("ar").format(-3, "hour")],
  ["intl.rtf.ru-plural", () => [1, 2, 5].map((n) => new Intl.RelativeTimeFormat("ru").format(n, "day"))],
  ["intl.rtf.format-to-parts", () => parts(new Intl.RelativeTimeFormat("en").formatToParts(100, "day"))],
  ["intl.rtf.invalid-unit", () => new Intl.RelativeTimeFormat("en").format(1, "fortnight")],
  ["intl.rtf.resolved", () => JSON.stringify(new Intl.RelativeTimeFormat("es", { style: "short" }).resolvedOptions())],

  // ---- Intl.ListFormat ----
  ["intl.list.en-conjunction", () => new Intl.ListFormat("en", { type: "conjunction" }).format(["a", "b", "c"])],
  ["intl.list.en-gb-conjunction", () => new Intl.ListFormat("en-GB").format(["a", "b", "c"])],
  ["intl.list.en-disjunction", () => new Intl.ListFormat("en", { type: "disjunction" }).format(["a", "b", "c"])],
  ["intl.list.en-unit-narrow", () => new Intl.ListFormat("en", { type: "unit", style: "narrow" }).format(["5 ft", "2 in"])],
  ["intl.list.en-short", () => new Intl.ListFormat("en", { style: "short" }).format(["a", "b", "c"])],
  ["intl.list.two-items", () => new Intl.ListFormat("en").format(["a", "b"])],
  ["intl.list.de", () => new Intl.ListFormat("de").format(["Äpfel", "Birnen", "Kirschen"])],
  ["intl.list.es-y-e", () => [new Intl.ListFormat("es").format(["agua", "hielo"]), new Intl.ListFormat("es").format(["agua", "vino"])]],
  ["intl.list.es-disjunction-o-u", () => new Intl.ListFormat("es", { type: "disjunction" }).format(["siete", "ocho"])],
  ["intl.list.ja", () => new Intl.ListFormat("ja").format(["りんご", "みかん", "ぶどう"])],
  ["intl.list.zh", () => new Intl.ListFormat("zh-CN", { type: "disjunction" }).format(["甲", "乙", "丙"])],
  ["intl.list.ar", () => new Intl.ListFormat("ar").format(["أ", "ب", "ج"])],
  ["intl.list.format-to-parts", () => parts(new Intl.ListFormat("en").formatToParts(["x", "y", "z"]))],
  ["intl.list.not-strings", () => new Intl.ListFormat("en").format(["a", 1])],

  // ---- Intl.DisplayNames ----
  ["intl.display.language", () => new Intl.DisplayNames("en", { type: "language" }).of("de")],
  ["intl.display.language-dialect", () => new Intl.DisplayNames("en", { type: "language" }).of("en-US")],
  ["intl.display.language-standard", () => new Intl.DisplayNames("en", { type: "language", languageDisplay: "standard" }).of("en-US")],
  ["intl.display.language-in-fr", () => new Intl.DisplayNames("fr", { type: "language" }).of("zh-Hant")],
  ["intl.display.region", () => ["JP", "DE", "419"].map((r) => new Intl.DisplayNames("en", { type: "region" }).of(r))],
  ["intl.display.region-fr", () => new Intl.DisplayNames("fr", { type: "region" }).of("DE")],
  ["intl.display.region-short", () => new Intl.DisplayNames("en", { type: "region", style: "short" }).of("GB")],
  ["intl.display.script", () => ["Cyrl", "Hans", "Arab"].map((s) => new Intl.DisplayNames("en", { type: "script" }).of(s))],
  ["intl.display.currency", () => ["EUR", "JPY", "INR"].map((c) => new Intl.DisplayNames("en", { type: "currency" }).of(c))],
  ["intl.display.currency-ja", () => new Intl.DisplayNames("ja", { type: "currency" }).of("JPY")],
  ["intl.display.fallback-none", () => new Intl.DisplayNames("en", { type: "region", fallback: "none" }).of("ZZ")],
  ["intl.display.fallback-code", () => new Intl.DisplayNames("en", { type: "region" }).of("ZZ")],
  ["intl.display.calendar", () => new Intl.DisplayNames("en", { type: "calendar" }).of("gregory")],
  ["intl.display.date-time-field", () => ["year", "weekday", "dayPeriod"].map((f) => new Intl.DisplayNames("de", { type: "dateTimeField" }).of(f))],
  ["intl.display.calendars-en", () => ["gregory", "ethioaa", "islamic-umalqura", "iso8601", "roc"].map((c) => new Intl.DisplayNames("en", { type: "calendar" }).of(c))],
  ["intl.display.date-time-field-narrow", () => ["year", "weekOfYear", "dayPeriod", "timeZoneName"].map((f) => new Intl.DisplayNames("en", { type: "dateTimeField", style: "narrow" }).of(f))],
  ["intl.display.type-missing", () => new Intl.DisplayNames("en")],

  // ---- Intl.Segmenter ----
  ["intl.segmenter.grapheme-zwj", () => segments("en", "grapheme", "👨‍👩‍👧‍👦🇩🇪e\u0301!").length],
  ["intl.segmenter.grapheme-list", () => segments("en", "grapheme", "a👍🏽🏳️‍🌈ñ")],
  ["intl.segmenter.grapheme-hindi", () => segments("hi", "grapheme", "नमस्ते")],
  ["intl.segmenter.word-en", () =>
    [...new Intl.Segmenter("en", { granularity: "word" }).segment("Hello, world! It's 3.14.")]
      .map((s) => `${s.segment}:${s.index}:${s.isWordLike}`)],
  ["intl.segmenter.word-thai", () => words("th", "สวัสดีครับ ยินดีต้อนรับ")],
  ["intl.segmenter.word-ja", () => words("ja", "今日は良い天気です")],
  ["intl.segmenter.word-zh", () => words("zh", "我爱北京天安门")],
  ["intl.segmenter.sentence", () => segments("en", "sentence", "Mr. Smith went to Washington. He left! Did he? Yes.")],
  ["intl.segmenter.containing", () => {
    const s = new Intl.Segmenter("en", { granularity: "word" }).segment("The quick fox");
    const hit = s.containing(5);
    return [hit.segment, hit.index, hit.isWordLike, s.containing(99)];
  }],
  ["intl.segmenter.resolved", () => JSON.stringify(new Intl.Segmenter("fr", { granularity: "word" }).resolvedOptions())],

  // ---- Intl.Locale and locale lists ----
  ["intl.locale.properties", () => {
    const l = new Intl.Locale("en-Latn-US-u-ca-gregory-hc-h12-nu-latn-kn-kf-upper");
    return [l.baseName, l.language, l.script, l.region, l.calendar, l.hourCycle, l.numberingSystem, l.numeric, l.caseFirst];
  }],
  ["intl.locale.options", () => new Intl.Locale("de", { region: "AT", calendar: "buddhist", collation: "phonebk" }).toString()],
  ["intl.locale.maximize", () => ["zh", "sr", "en", "und", "ar"].map((t) => new Intl.Locale(t).maximize().toString())],
  ["intl.locale.minimize", () => ["en-Latn-US", "zh-Hant-TW", "de-Latn-DE-u-ca-gregory"].map((t) => new Intl.Locale(t).minimize().toString())],
  ["intl.locale.invalid", () => new Intl.Locale("en_US")],
  ["intl.locale.week-info", () => {
    const l = new Intl.Locale("en-US");
    const info = typeof l.getWeekInfo === "function" ? l.getWeekInfo() : l.weekInfo;
    return JSON.stringify(info);
  }],
  ["intl.locale.hour-cycles", () => {
    const l = new Intl.Locale("ja-JP");
    return typeof l.getHourCycles === "function" ? l.getHourCycles() : l.hourCycles;
  }],
  ["intl.locale.text-info", () => {
    const l = new Intl.Locale("he");
    return JSON.stringify(typeof l.getTextInfo === "function" ? l.getTextInfo() : l.textInfo);
  }],
  ["intl.get-canonical-locales", () => Intl.getCanonicalLocales(["EN-us", "zh-hant-tw", "en-US", "iw", "sgn-GR"])],
  ["intl.get-canonical-locales-invalid", () => Intl.getCanonicalLocales("en-")],
  ["intl.supported-values.calendar", () => {
    const list = Intl.supportedValuesOf("calendar");
    return [list.length, list.includes("gregory"), list.includes("japanese"), list.includes("islamic-umalqura")];
  }],
  ["intl.supported-values.currency", () => {
    const list = Intl.supportedValuesOf("currency");
    return [list.length, list.includes("EUR"), list.includes("JPY"), list.includes("XXX")];
  }],
  ["intl.supported-values.time-zone", () => {
    const list = Intl.supportedValuesOf("timeZone");
    return [list.length, list.includes("America/New_York"), list.includes("Asia/Kathmandu"), list.includes("UTC")];
  }],
  ["intl.supported-values.unit", () => Intl.supportedValuesOf("unit").length],
  ["intl.supported-values.invalid", () => Intl.supportedValuesOf("colour")],
  ["intl.duration-format", () => new Intl.DurationFormat("en", { style: "long" }).format({ hours: 1, minutes: 46, seconds: 40 })],
  ["intl.duration-format-digital", () => new Intl.DurationFormat("en", { style: "digital" }).format({ hours: 1, minutes: 6, seconds: 4 })],
  ["intl.own-keys", () => Object.getOwnPropertyNames(Intl).sort()],
  ["intl.to-string-tag", () => Object.prototype.toString.call(Intl)],

  // ---- toLocale*String ----
  ["intl.to-locale.number-default", () => (1234567.891).toLocaleString()],
  ["intl.to-locale.number-en-in", () => (1234567.891).toLocaleString("en-IN")],
  ["intl.to-locale.number-options", () => (0.5).toLocaleString("en-US", { style: "percent" })],
  ["intl.to-locale.date-default", () => new Date(T).toLocaleString()],
  ["intl.to-locale.date-en-us-utc", () => new Date(T).toLocaleString("en-US", { timeZone: "UTC" })],
  ["intl.to-locale.date-string-de-kolkata", () => new Date(T).toLocaleDateString("de-DE", { timeZone: "Asia/Kolkata" })],
  ["intl.to-locale.time-string-ja-tokyo", () => new Date(T).toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" })],
  ["intl.to-locale.date-string-options", () => new Date(T).toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" })],
  ["intl.to-locale.time-string-default", () => new Date(T).toLocaleTimeString()],
  ["intl.to-locale.invalid-date", () => new Date(NaN).toLocaleString("en-US")],
  ["intl.to-locale.bigint", () => 1234567n.toLocaleString("de-DE")],
  ["intl.to-locale.array", () => [1234.5, new Date(T), null, "x"].toLocaleString("en-US", { timeZone: "UTC" })],
  ["intl.to-locale.upper-tr", () => ["istanbul".toLocaleUpperCase("tr"), "istanbul".toLocaleUpperCase("en-US")]],
  ["intl.to-locale.lower-tr", () => cps("IİI".toLocaleLowerCase("tr"))],
  ["intl.to-locale.lower-lt", () => cps("ÌĮ̃".toLocaleLowerCase("lt"))],
  ["intl.to-locale.upper-az", () => "i".toLocaleUpperCase(["az", "en"])],
  ["intl.to-locale.upper-el", () => "άσπρο".toLocaleUpperCase("el")],

  // ---- Date: parsing, formatting ----
  ["date.parse.iso-date-only", () => Date.parse("2024-01-15")],
  ["date.parse.iso-local", () => Date.parse("2024-01-15T10:00")],
  ["date.parse.iso-z", () => Date.parse("2024-01-15T10:00:00Z")],
  ["date.parse.iso-offset", () => Date.parse("2024-01-15T10:00:00.123+05:30")],
  ["date.parse.iso-space", () => Date.parse("2024-01-15 10:00")],
  ["date.parse.iso-micro", () => Date.parse("2024-01-15T10:00:00.123456Z")],
  ["date.parse.iso-lowercase", () => [Date.parse("2024-01-15t10:00:00z"), Date.parse("2024-01-15T10:00:00z")]],
  ["date.parse.iso-24h", () => Date.parse("2024-01-15T24:00:00Z")],
  ["date.parse.iso-25h", () => Date.parse("2024-01-15T25:00:00Z")],
  ["date.parse.iso-year-only", () => [Date.parse("2024"), Date.parse("2024-06")]],
  ["date.parse.iso-extended-year", () => [Date.parse("+275760-09-13T00:00:00Z"), Date.parse("-000001-01-01T00:00:00Z"), Date.parse("+275760-09-13T00:00:00.001Z")]],
  ["date.parse.iso-minus-zero-year", () => Date.parse("-000000-01-01T00:00:00Z")],
  ["date.parse.iso-feb-30", () => Date.parse("2024-02-30")],
  ["date.parse.iso-month-13", () => Date.parse("2024-13-01")],
  ["date.parse.iso-no-padding", () => Date.parse("2024-1-5")],
  ["date.parse.iso-basic", () => Date.parse("20240115")],
  ["date.parse.us-month-name", () => Date.parse("Jan 15, 2024")],
  ["date.parse.day-month-name", () => Date.parse("15 January 2024")],
  ["date.parse.month-year", () => Date.parse("June 2024")],
  ["date.parse.rfc-1123", () => Date.parse("Mon, 15 Jan 2024 10:00:00 GMT")],
  ["date.parse.rfc-2822-offset", () => Date.parse("Mon, 15 Jan 2024 10:00:00 +0200")],
  ["date.parse.to-string-format", () => Date.parse("Tue Mar 05 2024 12:00:00 GMT+0100 (Central European Standard Time)")],
  ["date.parse.gmt-offset", () => Date.parse("Thu, 01 Jan 1970 00:00:00 GMT+0100")],
  ["date.parse.slashes-ymd", () => Date.parse("2024/01/15")],
  ["date.parse.slashes-mdy", () => Date.parse("01/15/2024")],
  ["date.parse.slashes-pm", () => Date.parse("1/15/2024 10:00 PM")],
  ["date.parse.two-digit-year", () => [Date.parse("1/1/50"), Date.parse("1/1/49")]],
  ["date.parse.time-only", () => Date.parse("12:00")],
  ["date.parse.empty", () => Date.parse("")],
  ["date.parse.garbage", () => Date.parse("not a date")],
  ["date.parse.utc-suffix", () => Date.parse("2024-01-15 10:00 UTC")],
  ["date.parse.est", () => Date.parse("Jan 15 2024 10:00 EST")],
  ["date.parse.round-trip-to-string", () => Date.parse(new Date(T).toString()) === Math.floor(T / 1000) * 1000],
  ["date.parse.round-trip-utc-string", () => Date.parse(new Date(T).toUTCString())],
  ["date.iso.max", () => new Date(8.64e15).toISOString()],
  ["date.iso.beyond-max", () => new Date(8.64e15 + 1).getTime()],
  ["date.iso.min", () => new Date(-8.64e15).toISOString()],
  ["date.iso.negative-ms", () => new Date(-1).toISOString()],
  ["date.iso.year-zero", () => new Date(Date.UTC(0, 0, 1)).toISOString()],
  ["date.iso.year-minus-one", () => { const d = new Date(0); d.setUTCFullYear(-1); return d.toISOString(); }],
  ["date.iso.invalid", () => new Date(NaN).toISOString()],
  ["date.to-json-invalid", () => new Date(NaN).toJSON()],
  ["date.to-string", () => new Date(T).toString()],
  ["date.to-string-invalid", () => String(new Date(NaN))],
  ["date.to-utc-string", () => new Date(T).toUTCString()],
  ["date.to-utc-string-negative-year", () => new Date(Date.UTC(-50, 0, 1)).toUTCString()],
  ["date.to-date-string", () => new Date(T).toDateString()],
  ["date.to-time-string", () => new Date(T).toTimeString()],
  ["date.timezone-offset", () => new Date(T).getTimezoneOffset()],
  ["date.local-constructor", () => new Date(2024, 0, 15, 13, 5).getTime()],
  ["date.two-digit-year-constructor", () => new Date(99, 0).getFullYear()],
  ["date.utc-one-arg", () => [Date.UTC(2024), Date.UTC()]],
  ["date.setters-overflow", () => { const d = new Date(Date.UTC(2024, 0, 31)); d.setUTCMonth(1); return d.toISOString(); }],
  ["date.to-primitive", () => [new Date(T)[Symbol.toPrimitive]("number"), typeof (new Date(T) + 1)]],
  ["date.fractional-ms", () => new Date(2024, 0, 1, 0, 0, 0, 0.9).getMilliseconds()],
  ["date.get-day", () => [new Date(T).getDay(), new Date(T).getUTCDay()]],
  ["date.year-method", () => typeof Date.prototype.getYear === "function" ? new Date(T).getYear() : "absent"],
  ["date.to-gmt-string", () => Date.prototype.toGMTString === Date.prototype.toUTCString],
  ["date.construct-from-string-object", () => new Date(new String("2024-01-15T00:00:00Z")).getTime()],

  // ---- Strings and Unicode (no Intl) ----
  ["string.normalize.nfc", () => cps("\u1E9B\u0323".normalize("NFC"))],
  ["string.normalize.nfd", () => cps("\u1E9B\u0323".normalize("NFD"))],
  ["string.normalize.nfkc", () => cps("\u1E9B\u0323".normalize("NFKC"))],
  ["string.normalize.nfkd", () => cps("\u1E9B\u0323".normalize("NFKD"))],
  ["string.normalize.hangul", () => [cps("한".normalize("NFD")), cps("\u1112\u1161\u11AB".normalize("NFC"))]],
  ["string.normalize.compatibility", () => ["ﬁ", "①", "㎏", "Ⅻ", "ｶ"].map((s) => s.normalize("NFKC"))],
  ["string.normalize.invalid-form", () => "a".normalize("NFX")],
  ["string.upper.sharp-s", () => ["ß".toUpperCase(), "ẞ".toLowerCase()]],
  ["string.upper.n-apostrophe", () => cps("ŉ".toUpperCase())],
  ["string.upper.ligatures", () => ["ﬃ".toUpperCase(), "ﬆ".toUpperCase()]],
  ["string.upper.iota-dialytika", () => cps("ΐ".toUpperCase())],
  ["string.upper.titlecase-digraph", () => ["ǅ".toUpperCase(), "ǅ".toLowerCase(), "Ǆ".toLowerCase()]],
  ["string.lower.final-sigma", () => ["ΟΔΟΣ".toLowerCase(), "ΌΣΟΣ ΣΑ".toLowerCase(), "Σ".toLowerCase(), "ΑΣ.".toLowerCase()]],
  ["string.lower.dotted-i", () => cps("İ".toLowerCase())],
  ["string.lower.length-change", () => ["İ".toLowerCase().length, "ß".toUpperCase().length, "ﬃ".toUpperCase().length]],
  ["string.well-formed", () => ["ab\uD800".isWellFormed(), "ab\uD83D\uDE00".isWellFormed(), "\uDC00x".isWellFormed()]],
  ["string.to-well-formed", () => cps("a\uD800b\uDC00".toWellFormed())],
  ["string.code-point-at", () => ["😀".codePointAt(0), "😀".codePointAt(1), "😀".codePointAt(2), "😀".length]],
  ["string.from-code-point", () => [String.fromCodePoint(0x1f600, 97), String.fromCodePoint(0x10ffff).length]],
  ["string.from-code-point-invalid", () => String.fromCodePoint(0x110000)],
  ["string.spread-emoji", () => [[..."👨‍👩‍👧"].length, "👨‍👩‍👧".length, Array.from("🇩🇪").length]],
  ["string.raw", () => String.raw`a\n${1 + 1}\t\u{41}`],
  ["string.raw-call", () => String.raw({ raw: ["x", "y", "z"] }, 1, 2, 3)],
  ["string.pad", () => ["abc".padStart(8, "12"), "abc".padEnd(6, "😀"), "abc".padStart(2), "x".padStart(3, "")]],
  ["string.at", () => ["abc".at(-1), "abc".at(5), "😀".at(0).length]],
  ["string.replace-all", () => ["a-b-c".replaceAll("-", "+"), "aaa".replaceAll("a", "$&$&"), "x".replaceAll("", "_")]],
  ["string.replace-all-non-global", () => "aa".replaceAll(/a/, "b")],
  ["string.trim-unicode", () => ["\u00a0\u2028\ufeffx\u3000".trim(), "\u200bx".trim().length, "\u180ex".trim().length]],
  ["string.split-surrogates", () => "a😀b".split("").length],
  ["string.locale-compare-default", () => ["a".localeCompare("b"), "a".localeCompare("B"), "b".localeCompare("a"), "a".localeCompare("a")]],
  ["string.locale-compare-accent", () => ["é".localeCompare("f"), "e\u0301".localeCompare("é"), "Z".localeCompare("a")]],
  ["string.sort-locale-compare", () => ["b", "a", "C", "ä", "Ä", "z", "10", "9"].sort((x, y) => x.localeCompare(y))],
  ["string.sort-default", () => ["b", "a", "C", "ä", "z", "10", "9"].sort()],
  ["string.substr", () => ["abcdef".substr(-3, 2), "abc".substring(2, 0), "abc".slice(-2)]],
  ["string.html-methods", () => ["x".anchor('"q"'), "y".bold(), "z".link("u")]],
  ["string.escape-unescape", () => [escape("é ü😀+/"), unescape("%u00E9%20%zz")]],
  ["string.encode-uri", () => [encodeURIComponent("é 😀&="), encodeURI("http://x/ä?q=1 2#f")]],
  ["string.encode-uri-lone-surrogate", () => encodeURIComponent("\uD800")],
  ["string.decode-uri-malformed", () => decodeURIComponent("%E0%A4%A")],
  ["string.decode-uri-emoji", () => decodeURIComponent("%F0%9F%98%80")],
  ["string.repeat-invalid", () => "abc".repeat(-1)],
  ["string.repeat-too-long", () => "abc".repeat(2 ** 30)],
  ["string.index-of-empty", () => ["abc".indexOf("", 10), "abc".lastIndexOf("", -5), "abc".includes("")]],
  ["string.starts-with-regexp", () => "abc".startsWith(/a/)],
  ["string.to-string-symbol", () => String(Symbol("desc"))],
  ["string.template-symbol", () => `${Symbol("x")}`],
  ["string.char-code-at-nan", () => ["abc".charCodeAt(9), "abc".charAt(9), "abc"[9]]],
  ["string.number-to-string", () => [0.1 + 0.2, 1e21, 1e-7, 123e-20, 2 ** 53 + 2, -1e-7, 5e-324].map(String)],
  ["string.number-radix", () => [(255).toString(36), (0.5).toString(2), (-255).toString(16), (1e21).toString(7), (0.1).toString(3)]],
  ["string.to-fixed", () => [(1.005).toFixed(2), (-1.5).toFixed(0), (-0).toFixed(0), (1e21).toFixed(2), (0.000001).toFixed(7), (123.456).toFixed(10)]],
  ["string.to-precision", () => [(123.456).toPrecision(2), (0.00001234).toPrecision(2), (1e21).toPrecision(3), (123456).toPrecision(2)]],
  ["string.to-exponential", () => [(25).toExponential(), (1.5).toExponential(0), (0).toExponential(2), (-1e-7).toExponential(3)]],
  ["string.to-fixed-range", () => (1).toFixed(101)],
  ["string.radix-range", () => (1).toString(1)],
  ["string.parse-number", () => [Number("0x1f"), Number("0b101"), Number(" 12 "), Number("1_000"), Number(""), parseFloat("1e-7x"), parseInt("0x1f"), parseInt("08"), Number("-0")].map((n) => Object.is(n, -0) ? "-0" : String(n))],

  // ---- RegExp ----
  ["regexp.v-flag-difference", () => new RegExp("[\\p{L}--[a-z]]", "v").test("a") + " " + new RegExp("[\\p{L}--[a-z]]", "v").test("A")],
  ["regexp.v-flag-intersection", () => "hello world".match(new RegExp("[[a-z]&&[aeiou]]", "gv"))],
  ["regexp.v-flag-string-literal", () => "xabcx".match(new RegExp("[\\q{abc|d}]", "v"))[0]],
  ["regexp.v-flag-emoji-sequence", () => "👨‍👩‍👧!".match(new RegExp("\\p{RGI_Emoji}", "v"))[0].length],
  ["regexp.v-flag-properties", () => { const r = new RegExp("x", "v"); return [r.unicodeSets, r.unicode, r.flags]; }],
  ["regexp.v-and-u", () => new RegExp("x", "uv")],
  ["regexp.named-groups", () => JSON.stringify("2024-01-15".match(/(?<year>\d{4})-(?<month>\d{2})/).groups)],
  ["regexp.named-groups-replace", () => "2024-01-15".replace(/(?<y>\d+)-(?<m>\d+)-(?<d>\d+)/, "$<d>/$<m>/$<y>")],
  ["regexp.named-groups-prototype", () => Object.getPrototypeOf(/(?<a>x)/.exec("x").groups)],
  ["regexp.duplicate-named-groups", () => {
    const r = new RegExp("(?<part>a)x|(?<part>b)y");
    return [r.exec("by").groups.part, r.exec("ax").groups.part];
  }],
  ["regexp.lookbehind", () => ["$42 and €7".match(/(?<=\$)\d+/)[0], "a1b2".replace(/(?<!a)\d/g, "#")]],
  ["regexp.lookbehind-variable", () => "abc123def".match(/(?<=[a-z]+)\d+/)[0]],
  ["regexp.script-greek", () => "abc αβγ ДЖ".match(/\p{Script=Greek}+/u)[0]],
  ["regexp.script-extensions", () => /\p{Script_Extensions=Hira}/u.test("ー")],
  ["regexp.property-general-category", () => "a1_Ω٣".match(/\p{Nd}/gu)],
  ["regexp.property-invalid", () => new RegExp("\\p{Nope}", "u")],
  ["regexp.indices", () => {
    const m = new RegExp("a(?<z>b)?(c)", "d").exec("xxabc");
    return JSON.stringify([m.indices, m.indices.groups]);
  }],
  ["regexp.indices-flag", () => new RegExp("a", "dg").flags],
  ["regexp.sticky", () => {
    const r = /foo/y;
    r.lastIndex = 3;
    const first = r.test("barfoo");
    return [first, r.lastIndex, r.test("barfoo"), r.lastIndex];
  }],
  ["regexp.sticky-split", () => "a,b".split(/,/y)],
  ["regexp.escape", () => typeof RegExp.escape === "function" ? RegExp.escape("a.b*c(1)") : "absent"],
  ["regexp.escape-leading-digit", () => typeof RegExp.escape === "function" ? RegExp.escape("1x -") : "absent"],
  ["regexp.modifiers", () => new RegExp("(?i:a)b").test("Ab") + " " + new RegExp("(?i:a)b").test("AB")],
  ["regexp.modifiers-remove", () => new RegExp("(?-i:a)b", "i").test("aB") + " " + new RegExp("(?-i:a)b", "i").test("AB")],
  ["regexp.flags-order", () => new RegExp("x", "ysmigd").flags],
  ["regexp.flags-invalid", () => new RegExp("x", "gg")],
  ["regexp.syntax-error-bracket", () => new RegExp("[")],
  ["regexp.syntax-error-quantifier", () => new RegExp("*a")],
  ["regexp.syntax-error-group-name", () => new RegExp("(?<1a>x)")],
  ["regexp.syntax-error-lookbehind-quantifier", () => new RegExp("(?<=a)+", "u")],
  ["regexp.source-escaping", () => [new RegExp("/").source, new RegExp("\n").source, String(new RegExp("")), new RegExp("a/b", "g").toString()]],
  ["regexp.match-all", () => [..."a1b2c3".matchAll(/[a-z](\d)/g)].map((m) => `${m[0]}@${m.index}:${m[1]}`)],
  ["regexp.match-all-non-global", () => "a".matchAll(/a/)],
  ["regexp.replace-function-args", () => "x-12-y".replace(/(?<n>\d+)/, (...args) => JSON.stringify(args))],
  ["regexp.replace-patterns", () => "abc".replace(/b/, "[$`|$&|$'|$$|$1]")],
  ["regexp.split-limit", () => ["a1b2c3".split(/\d/, 2), "abc".split(/(b)/), "".split(/x/), "test".split(/(?:)/u)]],
  ["regexp.case-folding-unicode", () => [/\u212A/iu.test("k"), /\u212A/i.test("k"), /ſ/iu.test("S"), /[^\W]/iu.test("ſ")]],
  ["regexp.unicode-escapes", () => [/\u{1F600}/u.test("😀"), /^.$/u.test("😀"), /^.$/.test("😀")]],
  ["regexp.dot-all", () => [/a.b/s.test("a\nb"), /a.b/.test("a\nb"), /a.b/.test("a\u2028b")]],
  ["regexp.backreference-forward", () => /\1(a)/.exec("aa")[0]],
  ["regexp.word-boundary-unicode", () => "über straße".match(/\b\w+\b/gu)],
  ["regexp.last-index-global", () => { const r = /a/g; r.test("aa"); r.test("aa"); return [r.lastIndex, r.test("aa"), r.lastIndex]; }],
  ["regexp.symbol-replace-non-regexp", () => RegExp.prototype[Symbol.replace].call(/b/g, "abcb", "X")],
  ["regexp.legacy-static", () => { /(\w)(\d)/.exec("-a1-"); return typeof RegExp.$1 === "string" ? [RegExp.$1, RegExp.$2, RegExp.lastMatch] : "absent"; }],
  ["regexp.compile", () => { const r = /a/g; return typeof r.compile === "function" ? String(r.compile("b", "i")) : "absent"; }],

  // ---- Errors: the messages of common failures ----
  ["error.null-property", () => { const o = null; return o.x; }],
  ["error.undefined-property", () => { const o = undefined; return o.name; }],
  ["error.nested-undefined-property", () => { const o = {}; return o.a.b; }],
  ["error.null-set-property", () => { const o = null; o.x = 1; }],
  ["error.call-undefined", () => { const f = undefined; return f(); }],
  ["error.call-property-not-function", () => { const o = { f: 1 }; return o.f(); }],
  ["error.call-missing-method", () => [].nope()],
  ["error.new-non-constructor", () => { const f = () => 1; return new f(); }],
  ["error.new-number", () => { const n = 1; return new n(); }],
  ["error.class-without-new", () => { class Klass {} return Klass(); }],
  ["error.invalid-array-length", () => new Array(-1)],
  ["error.array-length-assign", () => { const a = []; a.length = 2 ** 32; }],
  ["error.array-buffer-negative", () => new ArrayBuffer(-1)],
  ["error.json-parse-bad-token", () => JSON.parse("{bad")],
  ["error.json-parse-empty", () => JSON.parse("")],
  ["error.json-parse-trailing-comma", () => JSON.parse("[1,2,]")],
  ["error.json-parse-unterminated-string", () => JSON.parse('"abc')],
  ["error.json-parse-undefined", () => JSON.parse(undefined)],
  ["error.json-parse-single-quotes", () => JSON.parse("{'a': 1}")],
  ["error.json-stringify-cyclic", () => { const o = { name: "o" }; o.self = o; return JSON.stringify(o); }],
  ["error.json-stringify-bigint", () => JSON.stringify({ n: 1n })],
  ["error.bigint-mix", () => 1n + 1],
  ["error.bigint-from-float", () => BigInt(1.5)],
  ["error.bigint-from-string", () => BigInt("1.5")],
  ["error.bigint-unary-plus", () => +1n],
  ["error.bigint-division-by-zero", () => 1n / 0n],
  ["error.bigint-negative-exponent", () => 2n ** -1n],
  ["error.reference-undefined-variable", () => undefinedVariableForTheSuite],
  ["error.tdz", () => { const f = () => later; f(); let later = 1; return later; }],
  ["error.const-assign", () => { const c = 1; c = 2; return c; }],
  ["error.symbol-to-string", () => Symbol("s") + ""],
  ["error.symbol-to-number", () => +Symbol("s")],
  ["error.frozen-define", () => Object.defineProperty(Object.freeze({}), "x", { value: 1 })],
  ["error.frozen-assign-strict", () => { "use strict"; const o = Object.freeze({ x: 1 }); o.x = 2; }],
  ["error.non-extensible-add", () => { "use strict"; const o = Object.preventExtensions({}); o.y = 1; }],
  ["error.getter-only-assign", () => { "use strict"; const o = { get x() { return 1; } }; o.x = 2; }],
  ["error.private-field-brand", () => { class A { #x = 1; static read(o) { return o.#x; } } return A.read({}); }],
  ["error.super-before-this", () => { class A {} class B extends A { constructor() { this.x = 1; super(); } } return new B(); }],
  ["error.not-iterable-object", () => { const [a] = {}; return a; }],
  ["error.not-iterable-number", () => { for (const x of 5) return x; }],
  ["error.spread-undefined", () => [...undefined]],
  ["error.destructure-null", () => { const { a } = null; return a; }],
  ["error.in-primitive", () => "a" in "str"],
  ["error.instanceof-non-callable", () => ({}) instanceof 1],
  ["error.reduce-empty", () => [].reduce((a, b) => a + b)],
  ["error.uri-malformed", () => decodeURI("%")],
  ["error.proxy-revoked", () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy.x; }],
  ["error.set-prototype-cycle", () => { const a = {}; const b = Object.create(a); return Object.setPrototypeOf(a, b); }],
  ["error.object-from-entries", () => Object.fromEntries([1])],
  ["error.weakmap-key", () => new WeakMap().set(1, 1)],
  ["error.stack-overflow", () => { const f = (n) => f(n + 1) + 1; return f(0); }],
  ["error.number-method-on-string", () => Number.prototype.toFixed.call("1", 2)],
  ["error.array-method-on-null", () => Array.prototype.map.call(null, (x) => x)],
  ["error.promise-resolver", () => new Promise(1)],
  ["error.generator-running", () => { function* g() { yield it.next(); } const it = g(); return it.next(); }],
  ["error.invalid-date-iso", () => new Date("nope").toISOString()],
  ["error.typed-array-offset", () => new Uint32Array(new ArrayBuffer(8), 1)],
  ["error.typed-array-set-overflow", () => new Uint8Array(2).set([1, 2, 3])],
  ["error.stack-first-line", () => new TypeError("boom").stack.split("\n")[0]],
  ["error.stack-first-line-thrown", () => { try { null.x; } catch (e) { return e.stack.split("\n")[0]; } }],
  ["error.stack-has-frames", () => /\n\s+at /.test(new Error("x").stack)],
  ["error.stack-custom-name", () => { class MyError extends Error { name = "MyError"; } return new MyError("m").stack.split("\n")[0]; }],
  ["error.capture-stack-trace", () => typeof Error.captureStackTrace],
  ["error.capture-stack-trace-object", () => { const o = {}; if (typeof Error.captureStackTrace !== "function") return "absent"; Error.captureStackTrace(o); return typeof o.stack; }],
  ["error.stack-trace-limit", () => typeof Error.stackTraceLimit],
  ["error.prepare-stack-trace", () => typeof Error.prepareStackTrace],
  ["error.cause", () => { const e = new Error("outer", { cause: new RangeError("inner") }); return [e.cause.name, Object.hasOwn(e, "cause"), "cause" in new Error("x", {}), "cause" in new Error("x", { cause: undefined })]; }],
  ["error.aggregate", () => { const e = new AggregateError([new Error("a"), 2], "several", { cause: "c" }); return [e.name, e.message, e.errors.length, e.cause, String(e)]; }],
  ["error.aggregate-promise-any", async () => { try { await Promise.any([Promise.reject(new Error("x"))]); } catch (e) { return [e.name, e.message, e.errors.map(String)]; } }],
  ["error.suppressed-error", () => typeof SuppressedError === "function" ? String(new SuppressedError(1, 2, "m")) : "absent"],
  ["error.to-string", () => [String(new TypeError("t")), String(new Error("")), Error.prototype.toString.call({ name: "N", message: "" }), Error.prototype.toString.call({})]],
  ["error.message-coercion", () => [new Error(undefined).message, new Error(null).message, new Error(42).message, Object.hasOwn(new Error(), "message")]],
  ["error.is-error", () => typeof Error.isError === "function" ? [Error.isError(new TypeError()), Error.isError({ __proto__: Error.prototype }), Error.isError(new DOMException("x"))] : "absent"],
  ["error.dom-exception", () => { const e = new DOMException("msg", "NotFoundError"); return [e.name, e.message, e.code, e instanceof Error, String(e)]; }],
  ["error.own-keys", () => Object.getOwnPropertyNames(new Error("x", { cause: 1 })).filter((k) => k !== "line" && k !== "column" && k !== "sourceURL").sort()],
  ["error.function-name-in-message", () => { const obj = { method: undefined }; try { obj.method(); } catch (e) { return e.message; } }],

  // ---- structuredClone ----
  ["clone.cyclic", () => {
    const o = { name: "o", list: [] };
    o.self = o;
    o.list.push(o);
    const c = structuredClone(o);
    return [c.self === c, c.list[0] === c, c !== o];
  }],
  ["clone.shared-reference", () => {
    const shared = { n: 1 };
    const c = structuredClone({ a: shared, b: [shared, shared] });
    return [c.a === c.b[0], c.b[0] === c.b[1], c.a !== shared, c.a.n];
  }],
  ["clone.cyclic-map", () => {
    const m = new Map();
    m.set("me", m);
    const s = new Set();
    s.add(s);
    m.set("set", s);
    const c = structuredClone(m);
    return [c.get("me") === c, [...c.get("set")][0] === c.get("set"), c !== m];
  }],
  ["clone.cyclic-dates", () => {
    const o = { when: new Date(0), re: /a+/gi };
    o.again = o;
    const c = structuredClone(o);
    return [c.again === c, c.when.getTime(), c.re.source, c.re.flags, c.when !== o.when];
  }],
  ["clone.map", () => { const c = structuredClone(new Map([[1, { a: 1 }], ["k", [2]]])); return [c instanceof Map, [...c]]; }],
  ["clone.set", () => { const c = structuredClone(new Set([1, "a", 1n])); return [c instanceof Set, [...c]]; }],
  ["clone.date", () => { const c = structuredClone(new Date(T)); return [c instanceof Date, c.getTime()]; }],
  ["clone.regexp", () => { const r = /a+/gi; r.lastIndex = 3; const c = structuredClone(r); return [String(c), c.lastIndex, c !== r]; }],
  ["clone.typed-arrays", () => [structuredClone(new Uint8Array([1, 2, 3])), structuredClone(new Float64Array([0.5, -0])), structuredClone(new BigInt64Array([-1n]))]],
  ["clone.shared-buffer-views", () => { const b = new ArrayBuffer(4); const c = structuredClone({ x: new Uint8Array(b), y: new Uint16Array(b) }); c.x[0] = 7; return [c.x.buffer === c.y.buffer, c.y[0]]; }],
  ["clone.data-view", () => { const c = structuredClone(new DataView(new ArrayBuffer(4), 1, 2)); return [c.byteOffset, c.byteLength, c.buffer.byteLength]; }],
  ["clone.shared-references", () => { const shared = { n: 1 }; const c = structuredClone([shared, shared]); return c[0] === c[1]; }],
  ["clone.error-subclasses", () => [new TypeError("t"), new RangeError("r"), new SyntaxError("s"), new EvalError("e"), new URIError("u"), new ReferenceError("f")].map((e) => { const c = structuredClone(e); return `${c.constructor.name}:${c.name}:${c.message}`; })],
  ["clone.error-custom-class", () => { class MyError extends Error {} const c = structuredClone(new MyError("m")); return [c.constructor.name, c.name, c.message]; }],
  ["clone.error-custom-name", () => { const e = new Error("m"); e.name = "CustomName"; const c = structuredClone(e); return [c.name, c.constructor.name]; }],
  ["clone.error-cause", () => { const c = structuredClone(new Error("m", { cause: "why" })); return [c.cause, Object.hasOwn(c, "cause")]; }],
  ["clone.error-stack", () => typeof structuredClone(new Error("m")).stack],
  ["clone.error-extra-props", () => { const e = new Error("m"); e.code = 42; return structuredClone(e).code; }],
  ["clone.aggregate-error", () => { const c = structuredClone(new AggregateError([1], "agg")); return [c.constructor.name, c.message, c.errors]; }],
  ["clone.dom-exception", () => { const c = structuredClone(new DOMException("gone", "AbortError")); return [c.constructor.name, c.name, c.message, c.code]; }],
  ["clone.function", () => structuredClone(() => 1)],
  ["clone.function-in-object", () => structuredClone({ f() {} })],
  ["clone.symbol", () => structuredClone(Symbol("x"))],
  ["clone.weakmap", () => structuredClone(new WeakMap())],
  ["clone.promise", () => structuredClone(Promise.resolve(1))],
  ["clone.class-instance", () => { class P { constructor() { this.x = 1; } get y() { return 2; } } const c = structuredClone(new P()); return [c.constructor.name, c.x, c.y]; }],
  ["clone.getters-run", () => structuredClone({ get g() { return "ran"; } })],
  ["clone.non-enumerable", () => { const o = {}; Object.defineProperty(o, "hidden", { value: 1 }); return Object.keys(structuredClone(o)).length; }],
  ["clone.symbol-keys", () => Object.getOwnPropertySymbols(structuredClone({ [Symbol("s")]: 1 })).length],
  ["clone.sparse-array", () => { const c = structuredClone([1, , 3]); return [c.length, 1 in c]; }],
  ["clone.array-extra-props", () => { const a = [1]; a.extra = "x"; return structuredClone(a).extra; }],
  ["clone.primitives", () => [structuredClone(-0), structuredClone(NaN), structuredClone(10n ** 20n), structuredClone(undefined), structuredClone(null)]],
  ["clone.boxed-primitives", () => [structuredClone(new Number(3)) instanceof Number, structuredClone(new String("s")).valueOf(), typeof structuredClone(Object(1n))]],
  ["clone.transfer", () => { const b = new ArrayBuffer(8); const c = structuredClone(b, { transfer: [b] }); return [b.byteLength, c.byteLength]; }],
  ["clone.transfer-twice", () => { const b = new ArrayBuffer(8); return structuredClone(b, { transfer: [b, b] }); }],
  ["clone.resizable-buffer", () => { const c = structuredClone(new ArrayBuffer(4, { maxByteLength: 16 })); return [c.resizable, c.maxByteLength]; }],
  ["clone.no-argument", () => structuredClone()],
  ["clone.blob", () => structuredClone(new Blob(["x"]))],
  ["clone.url", () => structuredClone(new URL("https://example.com/"))],

  // ---- Typed arrays, buffers, Atomics ----
  ["typed.float16-array", () => typeof Float16Array === "function" ? [...new Float16Array([1.337, 65520, 1e-8])] : "absent"],
  ["typed.math-f16round", () => typeof Math.f16round === "function" ? [Math.f16round(1.337), Math.f16round(65504.1)] : "absent"],
  ["typed.data-view-float16", () => {
    const v = new DataView(new ArrayBuffer(4));
    if (typeof v.setFloat16 !== "function") return "absent";
    v.setFloat16(0, 1.5);
    v.setFloat16(2, -2.25, true);
    return [v.getFloat16(0), v.getFloat16(2, true), v.getUint16(0)];
  }],
  ["typed.to-reversed", () => new Uint8Array([1, 2, 3]).toReversed()],
  ["typed.with", () => new Int8Array([1, 2, 3]).with(-1, 200)],
  ["typed.with-range", () => new Int8Array([1]).with(5, 0)],
  ["typed.to-sorted", () => new Float64Array([3, -0, 0, NaN, -1]).toSorted()],
  ["typed.sort-default", () => new Int32Array([10, 9, -1, 2]).sort()],
  ["typed.find-last", () => [new Uint8Array([1, 2, 3, 4]).findLast((x) => x % 2), new Uint8Array([1, 2]).findLastIndex((x) => x > 5)]],
  ["typed.at", () => new Uint16Array([1, 2, 3]).at(-1)],
  ["typed.clamped", () => new Uint8ClampedArray([1.5, 2.5, -3, 300, 0.5])],
  ["typed.wrap", () => [new Int8Array([200, -200])[0], new Uint8Array([-1])[0], new Uint32Array([-1])[0]]],
  ["typed.float32-precision", () => new Float32Array([0.1])[0]],
  ["typed.bigint64", () => [new BigInt64Array([2n ** 63n])[0], new BigUint64Array([-1n])[0]]],
  ["typed.bigint64-number", () => new BigInt64Array([1])],
  ["typed.data-view-endianness", () => { const v = new DataView(new ArrayBuffer(8)); v.setUint32(0, 0x01020304); v.setBigUint64(0, 0x0102030405060708n, true); return [v.getUint8(0), v.getBigUint64(0).toString(16)]; }],
  ["typed.data-view-out-of-range", () => new DataView(new ArrayBuffer(2)).getUint32(0)],
  ["typed.resizable", () => { const b = new ArrayBuffer(8, { maxByteLength: 16 }); const tracking = new Uint8Array(b); b.resize(12); return [b.resizable, b.byteLength, b.maxByteLength, tracking.length]; }],
  ["typed.resize-beyond-max", () => new ArrayBuffer(8, { maxByteLength: 16 }).resize(17)],
  ["typed.resize-shrink-view", () => { const b = new ArrayBuffer(8, { maxByteLength: 16 }); const fixed = new Uint8Array(b, 0, 8); b.resize(4); return [fixed.length, fixed.byteLength]; }],
  ["typed.transfer", () => { const b = new ArrayBuffer(8); const t = b.transfer(4); return [b.byteLength, b.detached, t.byteLength, t.detached]; }],
  ["typed.transfer-to-fixed-length", () => { const b = new ArrayBuffer(4, { maxByteLength: 8 }); const t = b.transferToFixedLength(); return [t.resizable, t.byteLength]; }],
  ["typed.detached-access", () => { const b = new ArrayBuffer(8); const v = new Uint8Array(b); b.transfer(); return [v.length, v[0], v.byteOffset]; }],
  ["typed.detached-method", () => { const b = new ArrayBuffer(8); b.transfer(); return b.slice(0); }],
  ["typed.atomics", () => { const a = new Int32Array(new SharedArrayBuffer(16)); return [Atomics.add(a, 0, 5), Atomics.compareExchange(a, 0, 5, 9), Atomics.load(a, 0), Atomics.isLockFree(4)]; }],
  ["typed.atomics-non-shared", () => { const a = new Int32Array(4); Atomics.store(a, 1, 3); return [Atomics.exchange(a, 1, 4), a[1]]; }],
  ["typed.atomics-wait-non-shared", () => Atomics.wait(new Int32Array(4), 0, 0, 0)],
  ["typed.atomics-pause", () => typeof Atomics.pause],
  ["typed.shared-array-buffer", () => typeof SharedArrayBuffer],
  ["typed.subarray-shares", () => { const a = new Uint8Array([1, 2, 3, 4]); a.subarray(1, 3).fill(9); return a; }],
  ["typed.from-iterable", () => Uint8Array.from(new Set([3, 1, 3]), (x) => x * 2)],
  ["typed.to-string-tag", () => [Object.prototype.toString.call(new Uint8Array()), new Uint8Array()[Symbol.toStringTag], Object.getPrototypeOf(Uint8Array).name]],
  ["typed.join-and-string", () => [new Float32Array([1.5, -0]).join(), String(new Uint8Array([1, 2]))]],
  ["typed.from-base64", () => typeof Uint8Array.fromBase64 === "function" ? Uint8Array.fromBase64("aGVsbG8=") : "absent"],
  ["typed.to-hex", () => typeof Uint8Array.prototype.toHex === "function" ? new Uint8Array([0, 15, 255]).toHex() : "absent"],
  ["typed.to-base64-url", () => typeof Uint8Array.prototype.toBase64 === "function" ? new Uint8Array([251, 255]).toBase64({ alphabet: "base64url", omitPadding: true }) : "absent"],
  ["typed.set-from-hex", () => { if (typeof Uint8Array.prototype.setFromHex !== "function") return "absent"; const a = new Uint8Array(4); return [JSON.stringify(a.setFromHex("cafe")), a]; }],
  ["typed.from-base64-invalid", () => typeof Uint8Array.fromBase64 === "function" ? Uint8Array.fromBase64("a") : "absent"],
  ["typed.array-buffer-is-view", () => [ArrayBuffer.isView(new DataView(new ArrayBuffer(1))), ArrayBuffer.isView(new ArrayBuffer(1))]],
  ["typed.array-buffer-slice", () => new Uint8Array(new Uint8Array([1, 2, 3, 4]).buffer.slice(-3, -1))],

  // ---- Language and built-ins ----
  ["lang.iterator-map-filter", () => typeof Iterator === "function" ? [1, 2, 3, 4].values().map((x) => x * 2).filter((x) => x > 2).toArray() : "absent"],
  ["lang.iterator-take-drop", () => [1, 2, 3, 4, 5].values().drop(1).take(3).toArray()],
  ["lang.iterator-flat-map", () => ["ab", "c"].values().flatMap((s) => s.split("")).toArray()],
  ["lang.iterator-reduce-some-every-find", () => { const it = () => [1, 2, 3].values(); return [it().reduce((a, b) => a + b), it().some((x) => x > 2), it().every((x) => x > 2), it().find((x) => x > 1)]; }],
  ["lang.iterator-from", () => Iterator.from({ i: 0, next() { return this.i < 3 ? { value: this.i++, done: false } : { value: undefined, done: true }; } }).toArray()],
  ["lang.iterator-for-each", () => { const seen = []; new Set(["a", "b"]).values().forEach((v) => seen.push(v)); return seen; }],
  ["lang.iterator-generator", () => { function* g() { yield* [1, 2, 3]; } return g().map((x) => x * 10).toArray(); }],
  ["lang.iterator-take-invalid", () => [1].values().take(-1)],
  ["lang.iterator-concat", () => typeof Iterator.concat],
  ["lang.set-union", () => [...new Set([1, 2]).union(new Set([2, 3]))]],
  ["lang.set-intersection", () => [...new Set([1, 2, 3]).intersection(new Set([3, 2, 5]))]],
  ["lang.set-difference", () => [...new Set([1, 2, 3]).difference(new Set([2]))]],
  ["lang.set-symmetric-difference", () => [...new Set([1, 2]).symmetricDifference(new Set([2, 3]))]],
  ["lang.set-relations", () => { const a = new Set([1]); const b = new Set([1, 2]); return [a.isSubsetOf(b), b.isSupersetOf(a), a.isDisjointFrom(new Set([3]))]; }],
  ["lang.set-with-map", () => [...new Set([1, 2]).union(new Map([[3, "x"]]))]],
  ["lang.set-not-set-like", () => new Set([1]).union([2])],
  ["lang.promise-with-resolvers", async () => { const { promise, resolve } = Promise.withResolvers(); resolve(7); return await promise; }],
  ["lang.promise-try", () => typeof Promise.try],
  ["lang.array-from-async", async () => typeof Array.fromAsync === "function" ? await Array.fromAsync([Promise.resolve(1), 2, Promise.resolve(3)]) : "absent"],
  ["lang.array-from-async-generator", async () => { async function* g() { yield 1; yield 2; } return await Array.fromAsync(g(), (x) => x * 2); }],
  ["lang.object-group-by", () => JSON.stringify(Object.groupBy([1, 2, 3, 4, 5], (x) => (x % 2 ? "odd" : "even")))],
  ["lang.object-group-by-null-proto", () => Object.getPrototypeOf(Object.groupBy([], (x) => x))],
  ["lang.map-group-by", () => [...Map.groupBy([1.5, 2.5, 1.2], Math.floor)]],
  ["lang.json-raw-json", () => typeof JSON.rawJSON === "function" ? JSON.stringify({ a: JSON.rawJSON("1e1000"), b: [JSON.rawJSON('"x"')] }) : "absent"],
  ["lang.json-is-raw-json", () => typeof JSON.isRawJSON === "function" ? [JSON.isRawJSON(JSON.rawJSON("1")), JSON.isRawJSON({})] : "absent"],
  ["lang.json-raw-json-invalid", () => JSON.rawJSON("{}")],
  ["lang.json-parse-source", () => { const sources = []; JSON.parse('{"n":12345678901234567890}', (k, v, ctx) => { sources.push(ctx?.source ?? "no context"); return v; }); return sources; }],
  ["lang.json-stringify-well-formed", () => JSON.stringify("\uD800\uDE00\uDEAD")],
  ["lang.json-stringify-order", () => JSON.stringify({ b: 1, 2: 2, a: 3, 1: 4, [Symbol("s")]: 5, u: undefined })],
  ["lang.json-stringify-indent", () => JSON.stringify({ a: [1, { b: 2 }] }, null, "--")],
  ["lang.json-parse-proto", () => { const o = JSON.parse('{"__proto__": {"x": 1}}'); return [Object.hasOwn(o, "__proto__"), o.x]; }],
  ["lang.weak-ref", () => { const target = {}; const ref = new WeakRef(target); return [ref.deref() === target, String(ref)]; }],
  ["lang.weak-ref-symbol", () => { try { return typeof new WeakRef(Symbol("s")).deref(); } catch (e) { return e.name; } }],
  ["lang.finalization-registry", () => typeof FinalizationRegistry],
  ["lang.symbol-dispose", () => [typeof Symbol.dispose, typeof Symbol.asyncDispose]],
  ["lang.disposable-stack", () => [typeof DisposableStack, typeof AsyncDisposableStack]],
  ["lang.disposable-stack-use", () => { if (typeof DisposableStack !== "function") return "absent"; const log = []; const s = new DisposableStack(); s.defer(() => log.push("a")); s.defer(() => log.push("b")); s.dispose(); return [log, s.disposed]; }],
  ["lang.temporal", () => typeof Temporal],
  ["lang.temporal-plain-date", () => typeof Temporal === "object" ? Temporal.PlainDate.from("2024-01-31").add({ months: 1 }).toString() : "absent"],
  ["lang.math-sum-precise", () => typeof Math.sumPrecise === "function" ? [Math.sumPrecise([0.1, 0.2, 0.3]), Math.sumPrecise([1e20, 0.1, -1e20])] : "absent"],
  ["lang.math-misc", () => [Math.round(-0.5), Math.round(2.5), Math.max(), Math.min(), Math.hypot(3, 4), Math.sign(-0), Math.cbrt(-8), Math.fround(5.5), Math.clz32(1), Math.imul(0xffffffff, 5)].map((n) => Object.is(n, -0) ? "-0" : n)],
  ["lang.math-precision", () => [Math.sin(Math.PI), Math.exp(1), Math.log10(1000), Math.pow(2, 0.5), Math.tan(1e10), Math.atan2(1, 1), Math.expm1(1e-10), Math.sinh(1)]],
  ["lang.array-change-by-copy", () => [[3, 1, 2].toSorted(), [1, 2, 3].toReversed(), [1, 2, 3].toSpliced(1, 1, "x"), [1, 2, 3].with(1, 9)]],
  ["lang.array-find-last", () => [[1, 2, 3, 4].findLast((x) => x < 3), [1, 2].findLastIndex((x) => x > 9)]],
  ["lang.array-flat", () => [[1, [2, [3, [4]]]].flat(Infinity), [[1], [2]].flatMap((x) => x)]],
  ["lang.array-sort-stable", () => [{ k: 1, v: "a" }, { k: 0, v: "b" }, { k: 1, v: "c" }, { k: 0, v: "d" }].sort((x, y) => x.k - y.k).map((x) => x.v).join("")],
  ["lang.array-sort-undefined-holes", () => { const a = [3, undefined, , 1]; a.sort(); return [a.length, 2 in a, 3 in a, String(a)]; }],
  ["lang.array-holes-join", () => [Array(3).join("-"), [1, , 3].map((x) => x * 2), Object.keys([1, , 3])]],
  ["lang.array-unscopables", () => Object.keys(Array.prototype[Symbol.unscopables]).sort()],
  ["lang.array-includes-nan", () => [[NaN].includes(NaN), [NaN].indexOf(NaN), [-0].includes(0)]],
  ["lang.array-copy-within", () => [1, 2, 3, 4, 5].copyWithin(0, 3)],
  ["lang.array-length-max", () => { const a = []; a[2 ** 32 - 2] = 1; return a.length; }],
  ["lang.object-keys-order", () => Object.keys({ b: 1, 10: 1, a: 1, 2: 1, "-1": 1, [2 ** 32]: 1 })],
  ["lang.object-has-own", () => [Object.hasOwn({ a: 1 }, "a"), Object.hasOwn(Object.create({ a: 1 }), "a")]],
  ["lang.object-entries-string", () => Object.entries("ab")],
  ["lang.object-to-string-tags", () => [null, undefined, [], new Date(0), /x/, function () {}, 1n, Symbol(), new Map(), Promise.resolve(), Math, JSON, globalThis].map((x) => Object.prototype.toString.call(x))],
  ["lang.function-to-string-native", () => [String(Math.max), String(Array.prototype.push), String(class {}.constructor === Function)]],
  ["lang.function-to-string-user", () => { function sample(a, b) { return a + b; } return String(sample); }],
  ["lang.function-to-string-class", () => String(class Point { constructor(x) { this.x = x; } })],
  ["lang.function-to-string-bound", () => String(function f() {}.bind(null))],
  ["lang.function-to-string-getter", () => String(Object.getOwnPropertyDescriptor({ get value() { return 1; } }, "value").get)],
  ["lang.function-names", () => {
    const s = Symbol("s");
    const o = { [s]() {}, get g() { return 1; } };
    return [(() => {}).name, function () {}.name, (class {}).name, Object.getOwnPropertyDescriptor(o, "g").get.name, function f() {}.bind().name, o[s].name];
  }],
  ["lang.function-length", () => [((a, b = 1, c) => 0).length, ((...r) => 0).length, (({ a }, b) => 0).length]],
  ["lang.arguments-callee-strict", () => { "use strict"; return (function () { return arguments.callee; })(); }],
  ["lang.typeof-document", () => [typeof document, typeof window, typeof self, typeof global, typeof navigator]],
  ["lang.global-this", () => [globalThis === self, Object.prototype.toString.call(globalThis)]],
  ["lang.navigator", () => [navigator.userAgent, navigator.language, typeof navigator.languages, typeof navigator.hardwareConcurrency]],
  ["lang.eval-forbidden", () => eval("1 + 1")],
  ["lang.new-function-forbidden", () => new Function("return 1")()],
  ["lang.webassembly-presence", () => typeof WebAssembly],
  ["lang.bigint-ops", () => [2n ** 64n, -7n / 2n, -7n % 2n, BigInt.asIntN(8, 255n), BigInt.asUintN(8, -1n), (2n ** 100n).toString(36), BigInt("0x1f"), 10n > 9, 1n == 1, typeof 1n]],
  ["lang.bigint-to-locale-default", () => (12345n).toLocaleString()],
  ["lang.number-constants", () => [Number.MAX_SAFE_INTEGER + 2, Number.EPSILON > 0, Number.MIN_VALUE, Number.MAX_VALUE, Number.isInteger(5.0), Number.isSafeInteger(2 ** 53)]],
  ["lang.symbol-description", () => [Symbol("d").description, Symbol().description, Symbol.for("k").description, Symbol.keyFor(Symbol.for("k")), Symbol.iterator.description]],
  ["lang.well-known-symbols", () => Object.getOwnPropertyNames(Symbol).filter((k) => typeof Symbol[k] === "symbol").sort()],
  ["lang.proxy-reflect", () => { const log = []; const p = new Proxy({ a: 1 }, { get(t, k, r) { log.push(String(k)); return Reflect.get(t, k, r); }, ownKeys(t) { log.push("ownKeys"); return Reflect.ownKeys(t); } }); JSON.stringify(p); return log; }],
  ["lang.getter-setter-order", () => { const log = []; const o = { get a() { log.push("a"); return 1; }, b: 2 }; Object.assign({}, o); ({ ...o }); return log; }],
  ["lang.class-fields", () => { class A { static s = "S"; #p = 1; x = this.#p + 1; static { A.t = "T"; } has(o) { return #p in o; } } const a = new A(); return [A.s, A.t, a.x, a.has(a), a.has({})]; }],
  ["lang.optional-chaining", () => { const o = { a: { b: null } }; return [o?.a?.b?.c, o.x?.(), o.a?.["b"], (null)?.x ?? "d"]; }],
  ["lang.logical-assignment", () => { let a = null; let b = 0; let c = 1; a ??= "x"; b ||= "y"; c &&= "z"; return [a, b, c]; }],
  ["lang.numeric-separators", () => [1_000_000, 0b1010_1010, 1_0.0_1]],
  ["lang.label-loops", () => { const seen = []; outer: for (const i of [1, 2, 3]) { for (const j of [1, 2, 3]) { if (j === 2) continue outer; if (i === 3) break outer; seen.push(`${i}${j}`); } } return seen; }],
  ["lang.generator-return", () => { function* g() { try { yield 1; yield 2; } finally { yield "cleanup"; } } const it = g(); return [it.next(), it.return("r"), it.next(), it.next()].map((r) => JSON.stringify(r)); }],
  ["lang.async-generator", async () => { async function* g() { yield "a"; yield "b"; } const out = []; for await (const v of g()) out.push(v); return out; }],
  ["lang.async-ordering", async () => { const log = []; const p = Promise.resolve().then(() => log.push("then")); queueMicrotask(() => log.push("micro")); log.push("sync"); await p; await null; return log; }],
  ["lang.tagged-template-cache", () => { const tag = (s) => s; const f = () => tag`x${1}y`; return [f() === f(), f().raw]; }],
  ["lang.tagged-template-frozen", () => { const tag = (s) => s; const strings = tag`a${0}b`; return [Object.isFrozen(strings), Object.isFrozen(strings.raw)]; }],
  ["lang.string-raw-invalid-escape", () => { const tag = (s) => [s[0], s.raw[0]]; return tag`\unicode`; }],
  ["lang.date-now-type", () => typeof Date.now()],
  ["lang.map-upsert", () => typeof Map.prototype.getOrInsert],
  ["lang.array-group-legacy", () => typeof Array.prototype.group],
  ["lang.string-dedent", () => typeof String.dedent],
  ["lang.error-is-error", () => typeof Error.isError],
  ["lang.uint8array-from-base64", () => typeof Uint8Array.fromBase64],
  ["lang.uint8array-to-hex", () => typeof Uint8Array.prototype.toHex],
  ["lang.math-sum-precise-presence", () => typeof Math.sumPrecise],
  ["lang.array-from-async-presence", () => typeof Array.fromAsync],
  ["lang.json-raw-json-presence", () => typeof JSON.rawJSON],
  ["lang.regexp-escape-presence", () => typeof RegExp.escape],
  ["lang.shadow-realm", () => typeof ShadowRealm],
  ["lang.atomics-wait-async", () => typeof Atomics.waitAsync],
  ["lang.intl-presence", () => ["DisplayNames", "Segmenter", "DurationFormat", "supportedValuesOf"].map((k) => has(Intl, k))],
  ["lang.structured-clone-presence", () => typeof structuredClone],
  ["lang.error-stack-is-own", () => Object.hasOwn(new Error("x"), "stack")],
  ["lang.async-map-order", async () => { const out = []; await Promise.all([1, 2, 3].map(async (x) => { await null; out.push(x); })); return out; }],
  ["lang.null-property-caught", () => thrown(() => null.x)],
];

// The source of a case, without its `() =>`.
export const exprOf = (run) =>
  String(run)
    .replace(/^(async\s*)?\(\)\s*=>\s*/, "")
    .trim();

export const cases = entries.map(([id, run]) => ({ id, expr: exprOf(run), run }));

export default cases;
