// Intl on the QuickJS build (V8 has its own): ECMA-402's constructors and
// the locale-sensitive methods of Number, BigInt, Date, String and Array.
// This file reads and checks the options bags as ECMA-402 says, with V8's
// error types and messages, and keeps each object's resolved options; the
// ops (ops/src/intl) do what needs locale data, with ICU4X.
//
// Workers run in UTC: a DateTimeFormat without a timeZone formats in UTC,
// as on Cloudflare.

import {
  op_intl_canonicalize,
  op_intl_case,
  op_intl_collator_new,
  op_intl_compare,
  op_intl_currency_digits,
  op_intl_date_format,
  op_intl_date_format_string,
  op_intl_date_format_range,
  op_intl_date_components,
  op_intl_date_new,
  op_intl_date_resolve,
  op_intl_display_name,
  op_intl_list_format,
  op_intl_locale_facts,
  op_intl_locale_info,
  op_intl_locale_maximize,
  op_intl_locale_minimize,
  op_intl_number_format,
  op_intl_number_format_string,
  op_intl_number_new,
  op_intl_plural_categories,
  op_intl_plural_select,
  op_intl_relative_format,
  op_intl_segment,
  op_intl_supported_values,
  op_intl_time_zone,
} from "ext:core/ops";

const previous = globalThis.Intl;
const DEFAULT_LOCALE = "en-US";

// Each object's resolved options, by object: the brand check of every
// method is a lookup here.
const slots = new WeakMap();

function slot(object, kind, method) {
  const found = typeof object === "object" && object !== null ? slots.get(object) : undefined;
  if (found === undefined || found.kind !== kind) {
    throw new TypeError(
      `Method Intl.${kind}.prototype.${method} called on incompatible receiver ${describe(object)}`,
    );
  }
  return found;
}

function describe(value) {
  if (typeof value === "string") return value;
  if (typeof value === "symbol") return value.toString();
  try {
    return String(value);
  } catch {
    return "[object]";
  }
}

// ---------------------------------------------------------------------------
// Options (ECMA-402 9.2)

function toObjectOptions(options) {
  if (options === undefined) return Object.create(null);
  if (options === null) throw new TypeError("Cannot convert undefined or null to object");
  return Object(options);
}

// GetOptionsObject (ECMA-402 9.2.12): unlike the older constructors, the
// newer ones refuse a primitive for their options.
function getOptionsObject(options) {
  if (options === undefined) return Object.create(null);
  if (typeof options !== "object" || options === null) {
    throw new TypeError("Options must be an object or undefined");
  }
  return options;
}

function getOption(options, property, type, values, fallback, ctor) {
  let value = options[property];
  if (value === undefined) return fallback;
  if (type === "boolean") {
    value = Boolean(value);
  } else {
    if (typeof value === "symbol") throw new TypeError("Cannot convert a Symbol value to a string");
    value = String(value);
  }
  if (values !== undefined && !values.includes(value)) {
    throw new RangeError(`Value ${value} out of range for ${ctor} options property ${property}`);
  }
  return value;
}

function defaultNumberOption(value, minimum, maximum, fallback, property) {
  if (value === undefined) return fallback;
  value = Number(value);
  if (Number.isNaN(value) || value < minimum || value > maximum) {
    throw new RangeError(`${property} value is out of range.`);
  }
  return Math.floor(value);
}

function getNumberOption(options, property, minimum, maximum, fallback) {
  return defaultNumberOption(options[property], minimum, maximum, fallback, property);
}

const TYPE_SEQUENCE = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;

function typeOption(options, property, ctor) {
  const value = getOption(options, property, "string", undefined, undefined, ctor);
  if (value !== undefined && !TYPE_SEQUENCE.test(value)) {
    throw new RangeError(`Invalid ${property} : ${value}`);
  }
  return value === undefined ? undefined : value.toLowerCase();
}

// ---------------------------------------------------------------------------
// Locales (ECMA-402 9.2.1 - 9.2.7)

function canonicalizeLocaleList(locales) {
  if (locales === undefined) return [];
  const tags = [];
  const list =
    typeof locales === "string" || slots.get(locales)?.kind === "Locale"
      ? [locales]
      : Object(locales);
  const length = list.length === undefined ? 0 : Math.min(Number(list.length) || 0, 2 ** 32);
  for (let i = 0; i < length; i++) {
    if (!(i in list)) continue;
    const element = list[i];
    if (typeof element !== "string" && (typeof element !== "object" || element === null)) {
      throw new TypeError("Language ID should be string or object.");
    }
    const locale = slots.get(element);
    tags.push(locale?.kind === "Locale" ? locale.tag : String(element));
  }
  return op_intl_canonicalize(tags);
}

// The first requested locale with CLDR data, with the Unicode extension
// keywords `relevant` to the constructor; the default locale otherwise.
function resolveLocale(requested, relevant) {
  for (const tag of requested) {
    const info = op_intl_locale_info(tag);
    if (info.supported) return withKeywords(info, relevant);
  }
  return withKeywords(op_intl_locale_info(DEFAULT_LOCALE), relevant);
}

const KEYWORDS = {
  ca: "calendar",
  co: "collation",
  hc: "hourCycle",
  kf: "caseFirst",
  kn: "numeric",
  nu: "numberingSystem",
};

function withKeywords(info, relevant) {
  const keywords = {};
  for (const key of relevant) {
    const value = info[KEYWORDS[key]];
    if (value !== undefined && value !== null) keywords[key] = value;
  }
  return { base: info.baseName, info, keywords };
}

function localeString(resolved) {
  const keys = Object.keys(resolved.keywords).sort();
  if (keys.length === 0) return resolved.base;
  return `${resolved.base}-u-${keys
    .map((key) => (resolved.keywords[key] === "" || resolved.keywords[key] === "true"
      ? key
      : `${key}-${resolved.keywords[key]}`))
    .join("-")}`;
}

function supportedLocalesOf(locales, options) {
  const requested = canonicalizeLocaleList(locales);
  if (options !== undefined) {
    getOption(toObjectOptions(options), "localeMatcher", "string", ["lookup", "best fit"], "best fit", "Intl");
  }
  return requested.filter((tag) => op_intl_locale_info(tag).supported);
}

function defineMethods(target, methods) {
  for (const name of Reflect.ownKeys(methods)) {
    Object.defineProperty(target, name, {
      value: methods[name],
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

function defineGetter(target, name, get) {
  Object.defineProperty(target, name, { get, enumerable: false, configurable: true });
}

// `format` and `compare` are getters that return a function bound to the
// object, made once (ECMA-402 11.3.3, 15.3.3, 10.3.3).
function defineBoundGetter(prototype, kind, name, make) {
  defineGetter(prototype, name, {
    [name]() {
      const s = slot(this, kind, name);
      if (s.bound === undefined) {
        s.bound = make(s);
        Object.defineProperty(s.bound, "name", { value: "" });
      }
      return s.bound;
    },
  }[name]);
}

function finishConstructor(ctor, name, prototypeMethods) {
  Object.defineProperty(ctor, "name", { value: name });
  defineMethods(ctor, {
    supportedLocalesOf(locales, options = undefined) {
      return supportedLocalesOf(locales, options);
    },
  });
  defineMethods(ctor.prototype, prototypeMethods);
  Object.defineProperty(ctor.prototype, Symbol.toStringTag, {
    value: `Intl.${name}`,
    configurable: true,
  });
}

// ---------------------------------------------------------------------------
// NumberFormat (ECMA-402 15)

const SANCTIONED_UNITS = new Set(op_intl_supported_values("unit"));

function isWellFormedUnit(unit) {
  if (SANCTIONED_UNITS.has(unit)) return true;
  const per = unit.split("-per-");
  return per.length === 2 && SANCTIONED_UNITS.has(per[0]) && SANCTIONED_UNITS.has(per[1]);
}

const ROUNDING_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000];
const ROUNDING_MODES = [
  "ceil",
  "floor",
  "expand",
  "trunc",
  "halfCeil",
  "halfFloor",
  "halfExpand",
  "halfTrunc",
  "halfEven",
];

// SetNumberFormatDigitOptions: the digits and the rounding.
function digitOptions(out, options, mnfdDefault, mxfdDefault, notation, ctor) {
  const mnid = getNumberOption(options, "minimumIntegerDigits", 1, 21, 1);
  let mnfd = options.minimumFractionDigits;
  let mxfd = options.maximumFractionDigits;
  let mnsd = options.minimumSignificantDigits;
  let mxsd = options.maximumSignificantDigits;
  out.minimumIntegerDigits = mnid;
  const increment = getNumberOption(options, "roundingIncrement", 1, 5000, 1);
  if (!ROUNDING_INCREMENTS.includes(increment)) {
    throw new RangeError("roundingIncrement value is out of range.");
  }
  const roundingMode = getOption(options, "roundingMode", "string", ROUNDING_MODES, "halfExpand", ctor);
  const roundingPriority = getOption(
    options,
    "roundingPriority",
    "string",
    ["auto", "morePrecision", "lessPrecision"],
    "auto",
    ctor,
  );
  const trailingZeroDisplay = getOption(
    options,
    "trailingZeroDisplay",
    "string",
    ["auto", "stripIfInteger"],
    "auto",
    ctor,
  );
  if (increment !== 1) mxfdDefault = mnfdDefault;
  out.roundingIncrement = increment;
  out.roundingMode = roundingMode;
  out.trailingZeroDisplay = trailingZeroDisplay;
  const hasSd = mnsd !== undefined || mxsd !== undefined;
  const hasFd = mnfd !== undefined || mxfd !== undefined;
  let needSd = true;
  let needFd = true;
  if (roundingPriority === "auto") {
    needSd = hasSd;
    if (hasSd || (!hasFd && notation === "compact")) needFd = false;
  }
  if (needSd) {
    if (hasSd) {
      mnsd = defaultNumberOption(mnsd, 1, 21, 1, "minimumSignificantDigits");
      mxsd = defaultNumberOption(mxsd, mnsd, 21, 21, "maximumSignificantDigits");
    } else {
      mnsd = 1;
      mxsd = 21;
    }
    out.minimumSignificantDigits = mnsd;
    out.maximumSignificantDigits = mxsd;
  }
  if (needFd) {
    if (hasFd) {
      mnfd = defaultNumberOption(mnfd, 0, 100, undefined, "minimumFractionDigits");
      mxfd = defaultNumberOption(mxfd, 0, 100, undefined, "maximumFractionDigits");
      if (mnfd === undefined) {
        mnfd = Math.min(mnfdDefault, mxfd);
      } else if (mxfd === undefined) {
        mxfd = Math.max(mxfdDefault, mnfd);
      } else if (mnfd > mxfd) {
        throw new RangeError("maximumFractionDigits value is out of range.");
      }
    } else {
      mnfd = mnfdDefault;
      mxfd = mxfdDefault;
    }
    out.minimumFractionDigits = mnfd;
    out.maximumFractionDigits = mxfd;
  }
  if (!needSd && !needFd) {
    out.minimumFractionDigits = 0;
    out.maximumFractionDigits = 0;
    out.minimumSignificantDigits = 1;
    out.maximumSignificantDigits = 2;
    out.roundingType = "morePrecision";
    out.roundingPriority = "morePrecision";
  } else if (roundingPriority === "auto") {
    out.roundingType = hasSd ? "significantDigits" : "fractionDigits";
    out.roundingPriority = "auto";
  } else {
    out.roundingType = roundingPriority;
    out.roundingPriority = roundingPriority;
  }
  if (increment !== 1) {
    if (out.roundingType !== "fractionDigits") {
      throw new TypeError("roundingIncrement requires fraction digits rounding");
    }
    if (out.maximumFractionDigits !== out.minimumFractionDigits) {
      throw new RangeError("maximumFractionDigits and minimumFractionDigits must be equal with a roundingIncrement");
    }
  }
}

// The resolved options Rust needs, with every digit field set.
function numberOptionsForOps(s) {
  return {
    locale: s.opsLocale ?? s.locale,
    style: s.style ?? "decimal",
    currency: s.currency,
    currencyDisplay: s.currencyDisplay ?? "",
    currencySign: s.currencySign ?? "",
    notation: s.notation ?? "standard",
    compactDisplay: s.compactDisplay ?? "",
    useGrouping: String(s.useGrouping ?? "auto"),
    signDisplay: s.signDisplay ?? "auto",
    minimumIntegerDigits: s.minimumIntegerDigits,
    minimumFractionDigits: s.minimumFractionDigits ?? 0,
    maximumFractionDigits: s.maximumFractionDigits ?? 0,
    minimumSignificantDigits: s.minimumSignificantDigits ?? 1,
    maximumSignificantDigits: s.maximumSignificantDigits ?? 21,
    roundingType: s.roundingType,
    roundingIncrement: s.roundingIncrement,
    roundingMode: s.roundingMode,
    trailingZeroDisplay: s.trailingZeroDisplay,
    unit: s.unit,
    unitDisplay: s.unitDisplay ?? "",
  };
}

function NumberFormat(locales = undefined, options = undefined) {
  if (new.target === undefined) return new NumberFormat(locales, options);
  const ctor = "Intl.NumberFormat";
  const requested = canonicalizeLocaleList(locales);
  options = toObjectOptions(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const numberingSystem = typeOption(options, "numberingSystem", ctor);
  const resolved = resolveLocale(requested, ["nu"]);
  if (numberingSystem !== undefined) {
    if (resolved.keywords.nu !== numberingSystem) delete resolved.keywords.nu;
  }
  const s = { kind: "NumberFormat" };
  s.locale = localeString(resolved);
  s.numberingSystem = numberingSystem ?? resolved.keywords.nu ?? "latn";
  // What Rust formats with: the base name and the digits to write.
  s.opsLocale = numberingSystem === undefined && resolved.keywords.nu === undefined
    ? resolved.base
    : `${resolved.base}-u-nu-${s.numberingSystem}`;
  s.style = getOption(options, "style", "string", ["decimal", "percent", "currency", "unit"], "decimal", ctor);
  const currency = getOption(options, "currency", "string", undefined, undefined, ctor);
  if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) {
    throw new RangeError(`Invalid currency code : ${currency}`);
  }
  const currencyDisplay = getOption(
    options,
    "currencyDisplay",
    "string",
    ["code", "symbol", "narrowSymbol", "name"],
    "symbol",
    ctor,
  );
  const currencySign = getOption(options, "currencySign", "string", ["standard", "accounting"], "standard", ctor);
  const unit = getOption(options, "unit", "string", undefined, undefined, ctor);
  if (unit !== undefined && !isWellFormedUnit(unit)) {
    throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${unit}'`);
  }
  const unitDisplay = getOption(options, "unitDisplay", "string", ["short", "narrow", "long"], "short", ctor);
  if (s.style === "currency") {
    if (currency === undefined) throw new TypeError("Currency code is required with currency style.");
    s.currency = currency.toUpperCase();
    s.currencyDisplay = currencyDisplay;
    s.currencySign = currencySign;
  }
  if (s.style === "unit") {
    if (unit === undefined) throw new TypeError("Unit is required with unit style");
    s.unit = unit;
    s.unitDisplay = unitDisplay;
  }
  s.notation = getOption(
    options,
    "notation",
    "string",
    ["standard", "scientific", "engineering", "compact"],
    "standard",
    ctor,
  );
  let mnfdDefault = 0;
  let mxfdDefault = 3;
  if (s.style === "currency" && s.notation === "standard") {
    mnfdDefault = op_intl_currency_digits(s.currency);
    mxfdDefault = mnfdDefault;
  } else if (s.style === "percent") {
    mxfdDefault = 0;
  }
  digitOptions(s, options, mnfdDefault, mxfdDefault, s.notation, ctor);
  const compactDisplay = getOption(options, "compactDisplay", "string", ["short", "long"], "short", ctor);
  const groupingDefault = s.notation === "compact" ? "min2" : "auto";
  let useGrouping = options.useGrouping;
  if (useGrouping === undefined) {
    useGrouping = groupingDefault;
  } else if (useGrouping === true) {
    useGrouping = "always";
  } else if (!useGrouping) {
    // ToBoolean: false, null, 0, -0, NaN, 0n and "".
    useGrouping = false;
  } else {
    useGrouping = String(useGrouping);
    if (useGrouping === "true" || useGrouping === "false") {
      useGrouping = groupingDefault;
    } else if (!["min2", "auto", "always"].includes(useGrouping)) {
      throw new RangeError(`Value ${useGrouping} out of range for ${ctor} options property useGrouping`);
    }
  }
  s.useGrouping = useGrouping;
  if (s.notation === "compact") s.compactDisplay = compactDisplay;
  s.signDisplay = getOption(
    options,
    "signDisplay",
    "string",
    ["auto", "never", "always", "exceptZero", "negative"],
    "auto",
    ctor,
  );
  s.id = op_intl_number_new(numberOptionsForOps(s));
  slots.set(this, s);
}

// ToIntlMathematicalValue: the exact digits Rust rounds.
function mathematicalValue(value) {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") {
    const trimmed = value.trim();
    // Unambiguous, so that a long string is matched in linear time.
    if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) {
      const n = Number(trimmed);
      if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
      return trimmed.replace(/^\+/, "");
    }
    return numberString(Number(value));
  }
  if (typeof value === "object" && value !== null) value = valueOfPrimitive(value);
  if (typeof value === "bigint") return value.toString();
  return numberString(Number(value));
}

function valueOfPrimitive(value) {
  const primitive = value[Symbol.toPrimitive]
    ? value[Symbol.toPrimitive]("number")
    : value.valueOf();
  return typeof primitive === "object" ? Number(primitive) : primitive;
}

function numberString(n) {
  if (Object.is(n, -0)) return "-0";
  return String(n);
}

function numberParts(s, value) {
  return op_intl_number_format(s.id, mathematicalValue(value));
}

function joinParts(parts) {
  let out = "";
  for (const part of parts) out += part.value;
  return out;
}

function formatNumber(s, value) {
  return op_intl_number_format_string(s.id, mathematicalValue(value));
}

NumberFormat.prototype = {};
defineBoundGetter(NumberFormat.prototype, "NumberFormat", "format", (s) => (value) => formatNumber(s, value));
finishConstructor(NumberFormat, "NumberFormat", {
  formatToParts(value) {
    const s = slot(this, "NumberFormat", "formatToParts");
    return numberParts(s, value);
  },
  formatRange(start, end) {
    const s = slot(this, "NumberFormat", "formatRange");
    if (start === undefined || end === undefined) throw new TypeError("start or end is undefined");
    if (mathematicalValue(start) === "NaN" || mathematicalValue(end) === "NaN") {
      throw new RangeError("Invalid number value");
    }
    const a = formatNumber(s, start);
    const b = formatNumber(s, end);
    return a === b ? `~${a}` : `${a}\u2013${b}`;
  },
  formatRangeToParts(start, end) {
    const s = slot(this, "NumberFormat", "formatRangeToParts");
    if (start === undefined || end === undefined) throw new TypeError("start or end is undefined");
    const a = numberParts(s, start).map((p) => ({ ...p, source: "startRange" }));
    const b = numberParts(s, end).map((p) => ({ ...p, source: "endRange" }));
    if (joinParts(a) === joinParts(b)) {
      return [{ type: "approximatelySign", value: "~", source: "shared" }, ...a.map((p) => ({ ...p, source: "shared" }))];
    }
    return [...a, { type: "literal", value: "\u2013", source: "shared" }, ...b];
  },
  resolvedOptions() {
    const s = slot(this, "NumberFormat", "resolvedOptions");
    const out = { locale: s.locale, numberingSystem: s.numberingSystem, style: s.style };
    if (s.style === "currency") {
      out.currency = s.currency;
      out.currencyDisplay = s.currencyDisplay;
      out.currencySign = s.currencySign;
    }
    if (s.style === "unit") {
      out.unit = s.unit;
      out.unitDisplay = s.unitDisplay;
    }
    out.minimumIntegerDigits = s.minimumIntegerDigits;
    if (s.minimumFractionDigits !== undefined) {
      out.minimumFractionDigits = s.minimumFractionDigits;
      out.maximumFractionDigits = s.maximumFractionDigits;
    }
    if (s.minimumSignificantDigits !== undefined && s.roundingType !== "fractionDigits") {
      out.minimumSignificantDigits = s.minimumSignificantDigits;
      out.maximumSignificantDigits = s.maximumSignificantDigits;
    }
    out.useGrouping = s.useGrouping;
    out.notation = s.notation;
    if (s.notation === "compact") out.compactDisplay = s.compactDisplay;
    out.signDisplay = s.signDisplay;
    out.roundingIncrement = s.roundingIncrement;
    out.roundingMode = s.roundingMode;
    out.roundingPriority = s.roundingPriority;
    out.trailingZeroDisplay = s.trailingZeroDisplay;
    return out;
  },
});

// ---------------------------------------------------------------------------
// PluralRules (ECMA-402 16)

function PluralRules(locales = undefined, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.PluralRules requires 'new'");
  const ctor = "Intl.PluralRules";
  const requested = canonicalizeLocaleList(locales);
  options = toObjectOptions(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const s = { kind: "PluralRules" };
  s.type = getOption(options, "type", "string", ["cardinal", "ordinal"], "cardinal", ctor);
  digitOptions(s, options, 0, 3, "standard", ctor);
  s.locale = localeString(resolveLocale(requested, []));
  s.id = op_intl_number_new(numberOptionsForOps(s));
  slots.set(this, s);
}

PluralRules.prototype = {};
finishConstructor(PluralRules, "PluralRules", {
  select(value) {
    const s = slot(this, "PluralRules", "select");
    return op_intl_plural_select(s.id, s.type === "ordinal", numberString(Number(value)));
  },
  selectRange(start, end) {
    const s = slot(this, "PluralRules", "selectRange");
    if (start === undefined || end === undefined) throw new TypeError("start or end is undefined");
    const x = Number(start);
    const y = Number(end);
    if (Number.isNaN(x) || Number.isNaN(y)) throw new RangeError("Invalid number value");
    return op_intl_plural_select(s.id, s.type === "ordinal", numberString(y));
  },
  resolvedOptions() {
    const s = slot(this, "PluralRules", "resolvedOptions");
    const out = { locale: s.locale, type: s.type, minimumIntegerDigits: s.minimumIntegerDigits };
    if (s.minimumFractionDigits !== undefined) {
      out.minimumFractionDigits = s.minimumFractionDigits;
      out.maximumFractionDigits = s.maximumFractionDigits;
    }
    if (s.roundingType !== "fractionDigits") {
      out.minimumSignificantDigits = s.minimumSignificantDigits;
      out.maximumSignificantDigits = s.maximumSignificantDigits;
    }
    out.pluralCategories = op_intl_plural_categories(s.locale, s.type === "ordinal");
    out.roundingIncrement = s.roundingIncrement;
    out.roundingMode = s.roundingMode;
    out.roundingPriority = s.roundingPriority;
    out.trailingZeroDisplay = s.trailingZeroDisplay;
    return out;
  },
});

// ---------------------------------------------------------------------------
// DateTimeFormat (ECMA-402 11)

const DATE_COMPONENTS = [
  ["weekday", ["narrow", "short", "long"]],
  ["era", ["narrow", "short", "long"]],
  ["year", ["2-digit", "numeric"]],
  ["month", ["2-digit", "numeric", "narrow", "short", "long"]],
  ["day", ["2-digit", "numeric"]],
  ["dayPeriod", ["narrow", "short", "long"]],
  ["hour", ["2-digit", "numeric"]],
  ["minute", ["2-digit", "numeric"]],
  ["second", ["2-digit", "numeric"]],
  ["fractionalSecondDigits", null],
  ["timeZoneName", ["short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"]],
];
const STYLES = ["full", "long", "medium", "short"];

// What each locale chooses when the options do not (op_intl_date_resolve).
const dateDefaults = new Map();

// required: "date", "time" or "any"; defaults: "date", "time" or "all".
function DateTimeFormat(locales = undefined, options = undefined) {
  if (new.target === undefined) return new DateTimeFormat(locales, options);
  createDateTimeFormat(this, locales, options, "any", "date");
}

function createDateTimeFormat(target, locales, options, required, defaults) {
  const ctor = "Intl.DateTimeFormat";
  const requested = canonicalizeLocaleList(locales);
  options = toObjectOptions(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const calendar = typeOption(options, "calendar", ctor);
  const numberingSystem = typeOption(options, "numberingSystem", ctor);
  const hour12 = getOption(options, "hour12", "boolean", undefined, undefined, ctor);
  let hourCycle = getOption(options, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined, ctor);
  if (hour12 !== undefined) hourCycle = null;
  const resolved = resolveLocale(requested, ["ca", "hc", "nu"]);
  let timeZone = options.timeZone;
  if (timeZone === undefined) {
    timeZone = "UTC";
  } else {
    timeZone = op_intl_time_zone(String(timeZone));
  }
  const s = { kind: "DateTimeFormat", timeZone };
  let hasExplicit = false;
  for (const [name, values] of DATE_COMPONENTS) {
    let value;
    if (name === "fractionalSecondDigits") {
      value = getNumberOption(options, name, 1, 3, undefined);
    } else {
      value = getOption(options, name, "string", values, undefined, ctor);
    }
    if (value !== undefined) {
      s[name] = value;
      hasExplicit = true;
    }
  }
  getOption(options, "formatMatcher", "string", ["basic", "best fit"], "best fit", ctor);
  const dateStyle = getOption(options, "dateStyle", "string", STYLES, undefined, ctor);
  const timeStyle = getOption(options, "timeStyle", "string", STYLES, undefined, ctor);
  if (dateStyle !== undefined || timeStyle !== undefined) {
    if (hasExplicit) {
      // V8's words for it.
      throw new TypeError(`Invalid option : option`);
    }
    if (required === "date" && dateStyle === undefined) {
      throw new TypeError("Invalid option : timeStyle");
    }
    if (required === "time" && timeStyle === undefined) {
      throw new TypeError("Invalid option : dateStyle");
    }
    s.dateStyle = dateStyle;
    s.timeStyle = timeStyle;
  } else {
    let needDefaults = true;
    if (required === "date" || required === "any") {
      for (const name of ["weekday", "year", "month", "day"]) if (s[name] !== undefined) needDefaults = false;
    }
    if (required === "time" || required === "any") {
      for (const name of ["dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"]) {
        if (s[name] !== undefined) needDefaults = false;
      }
    }
    if (needDefaults && (defaults === "date" || defaults === "all")) {
      s.year = s.month = s.day = "numeric";
    }
    if (needDefaults && (defaults === "time" || defaults === "all")) {
      s.hour = s.minute = s.second = "numeric";
    }
  }
  let defaultsOf = dateDefaults.get(resolved.base);
  if (defaultsOf === undefined) {
    defaultsOf = op_intl_date_resolve(resolved.base);
    dateDefaults.set(resolved.base, defaultsOf);
  }
  s.calendar = calendar ?? resolved.keywords.ca ?? defaultsOf.calendar;
  if (calendar !== undefined && resolved.keywords.ca !== calendar) delete resolved.keywords.ca;
  s.numberingSystem = numberingSystem ?? resolved.keywords.nu ?? defaultsOf.numberingSystem;
  if (numberingSystem !== undefined && resolved.keywords.nu !== numberingSystem) delete resolved.keywords.nu;
  const showsHour = s.hour !== undefined || s.timeStyle !== undefined;
  if (showsHour) {
    if (hour12 !== undefined) {
      s.hourCycle = hour12 ? (resolved.info.language === "ja" ? "h11" : "h12") : "h23";
    } else {
      s.hourCycle = hourCycle ?? resolved.keywords.hc ?? defaultsOf.hourCycle;
    }
    if (hourCycle !== undefined && hourCycle !== null && resolved.keywords.hc !== hourCycle) {
      delete resolved.keywords.hc;
    }
  } else {
    delete resolved.keywords.hc;
  }
  if (hour12 !== undefined) delete resolved.keywords.hc;
  s.locale = localeString(resolved);
  const ops = {
    locale: resolved.base,
    calendar: s.calendar,
    numberingSystem: s.numberingSystem === "latn" ? undefined : s.numberingSystem,
    timeZone: s.timeZone,
    hourCycle: s.hourCycle,
    dateStyle: s.dateStyle,
    timeStyle: s.timeStyle,
  };
  for (const [name] of DATE_COMPONENTS) ops[name] = s[name];
  s.id = op_intl_date_new(ops);
  // The widths the chosen pattern writes ("2-digit" minutes for "numeric"),
  // which resolvedOptions reports, as V8 does.
  const written = op_intl_date_components(s.id);
  if (written !== null) {
    for (const [name, value] of written) {
      if (s[name] !== undefined) s[name] = value;
    }
  }
  slots.set(target, s);
  return target;
}

function timeValue(date) {
  let x;
  if (date === undefined) {
    x = Date.now();
  } else {
    x = Number(date);
  }
  if (!Number.isFinite(x) || Math.abs(x) > 8.64e15) throw new RangeError("Invalid time value");
  return Math.trunc(x) + 0;
}

function formatDate(s, date) {
  return op_intl_date_format_string(s.id, timeValue(date));
}

DateTimeFormat.prototype = {};
defineBoundGetter(DateTimeFormat.prototype, "DateTimeFormat", "format", (s) => (date) => formatDate(s, date));
finishConstructor(DateTimeFormat, "DateTimeFormat", {
  formatToParts(date) {
    const s = slot(this, "DateTimeFormat", "formatToParts");
    return op_intl_date_format(s.id, timeValue(date));
  },
  formatRange(start, end) {
    const s = slot(this, "DateTimeFormat", "formatRange");
    if (start === undefined || end === undefined) throw new TypeError("startDate or endDate is undefined");
    return joinParts(op_intl_date_format_range(s.id, timeValue(start), timeValue(end)));
  },
  formatRangeToParts(start, end) {
    const s = slot(this, "DateTimeFormat", "formatRangeToParts");
    if (start === undefined || end === undefined) throw new TypeError("startDate or endDate is undefined");
    return op_intl_date_format_range(s.id, timeValue(start), timeValue(end));
  },
  resolvedOptions() {
    const s = slot(this, "DateTimeFormat", "resolvedOptions");
    const out = {
      locale: s.locale,
      calendar: s.calendar,
      numberingSystem: s.numberingSystem,
      timeZone: s.timeZone,
    };
    if (s.hourCycle !== undefined) {
      out.hourCycle = s.hourCycle;
      out.hour12 = s.hourCycle === "h11" || s.hourCycle === "h12";
    }
    for (const [name] of DATE_COMPONENTS) {
      if (s[name] !== undefined) out[name] = s[name];
    }
    if (s.dateStyle !== undefined) out.dateStyle = s.dateStyle;
    if (s.timeStyle !== undefined) out.timeStyle = s.timeStyle;
    return out;
  },
});

// ---------------------------------------------------------------------------
// Collator (ECMA-402 10)

function Collator(locales = undefined, options = undefined) {
  if (new.target === undefined) return new Collator(locales, options);
  const ctor = "Intl.Collator";
  const requested = canonicalizeLocaleList(locales);
  options = toObjectOptions(options);
  const s = { kind: "Collator" };
  s.usage = getOption(options, "usage", "string", ["sort", "search"], "sort", ctor);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const collation = typeOption(options, "collation", ctor);
  const numeric = getOption(options, "numeric", "boolean", undefined, undefined, ctor);
  const caseFirst = getOption(options, "caseFirst", "string", ["upper", "lower", "false"], undefined, ctor);
  const resolved = resolveLocale(requested, ["co", "kf", "kn"]);
  if (collation !== undefined || resolved.keywords.co !== undefined) delete resolved.keywords.co;
  s.collation = "default";
  s.numeric = numeric ?? (resolved.keywords.kn === "" || resolved.keywords.kn === "true");
  if (numeric !== undefined && numeric !== s.numeric) delete resolved.keywords.kn;
  if (numeric !== undefined && resolved.keywords.kn !== undefined && String(numeric) !== (resolved.keywords.kn || "true")) {
    delete resolved.keywords.kn;
  }
  s.caseFirst = caseFirst ?? resolved.keywords.kf ?? "false";
  if (caseFirst !== undefined && resolved.keywords.kf !== caseFirst) delete resolved.keywords.kf;
  s.sensitivity = getOption(options, "sensitivity", "string", ["base", "accent", "case", "variant"], "variant", ctor);
  s.ignorePunctuation = getOption(
    options,
    "ignorePunctuation",
    "boolean",
    undefined,
    resolved.info.language === "th",
    ctor,
  );
  s.locale = localeString(resolved);
  s.id = op_intl_collator_new({
    locale: resolved.base,
    sensitivity: s.sensitivity,
    ignorePunctuation: s.ignorePunctuation,
    numeric: s.numeric,
    caseFirst: s.caseFirst,
  });
  slots.set(this, s);
}

Collator.prototype = {};
defineBoundGetter(Collator.prototype, "Collator", "compare", (s) => (a, b) => op_intl_compare(s.id, String(a), String(b)));
finishConstructor(Collator, "Collator", {
  resolvedOptions() {
    const s = slot(this, "Collator", "resolvedOptions");
    return {
      locale: s.locale,
      usage: s.usage,
      sensitivity: s.sensitivity,
      ignorePunctuation: s.ignorePunctuation,
      collation: s.collation,
      numeric: s.numeric,
      caseFirst: s.caseFirst,
    };
  },
});

// ---------------------------------------------------------------------------
// ListFormat (ECMA-402 13)

function ListFormat(locales = undefined, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.ListFormat requires 'new'");
  const ctor = "Intl.ListFormat";
  const requested = canonicalizeLocaleList(locales);
  options = getOptionsObject(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const s = { kind: "ListFormat" };
  s.locale = localeString(resolveLocale(requested, []));
  s.type = getOption(options, "type", "string", ["conjunction", "disjunction", "unit"], "conjunction", ctor);
  s.style = getOption(options, "style", "string", ["long", "short", "narrow"], "long", ctor);
  slots.set(this, s);
}

function stringList(iterable) {
  if (iterable === undefined) return [];
  const out = [];
  for (const item of iterable) {
    if (typeof item !== "string") throw new TypeError(`Iterable yielded ${describe(item)} which is not a string`);
    out.push(item);
  }
  return out;
}

ListFormat.prototype = {};
finishConstructor(ListFormat, "ListFormat", {
  format(list) {
    const s = slot(this, "ListFormat", "format");
    return joinParts(op_intl_list_format(s.locale, s.type, s.style, stringList(list)));
  },
  formatToParts(list) {
    const s = slot(this, "ListFormat", "formatToParts");
    return op_intl_list_format(s.locale, s.type, s.style, stringList(list));
  },
  resolvedOptions() {
    const s = slot(this, "ListFormat", "resolvedOptions");
    return { locale: s.locale, type: s.type, style: s.style };
  },
});

// ---------------------------------------------------------------------------
// Segmenter (ECMA-402 18)

function Segmenter(locales = undefined, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.Segmenter requires 'new'");
  const ctor = "Intl.Segmenter";
  const requested = canonicalizeLocaleList(locales);
  options = getOptionsObject(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const s = { kind: "Segmenter" };
  s.locale = localeString(resolveLocale(requested, []));
  s.granularity = getOption(options, "granularity", "string", ["grapheme", "word", "sentence"], "grapheme", ctor);
  slots.set(this, s);
}

function utf16(text) {
  const units = new Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

function segmentData(segments, at) {
  const { boundaries, wordLike, input, granularity } = segments;
  // The last boundary not after `at`.
  let low = 0;
  let high = boundaries.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (boundaries[mid] <= at) low = mid;
    else high = mid - 1;
  }
  const start = boundaries[low];
  const end = boundaries[low + 1];
  const data = { segment: input.slice(start, end), index: start, input };
  if (granularity === "word") data.isWordLike = wordLike[low];
  return data;
}

const segmentsPrototype = {};
const segmentIteratorPrototype = Object.create(
  Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
);
defineMethods(segmentsPrototype, {
  containing(index = undefined) {
    const segments = slot(this, "Segments", "containing");
    let n = Number(index);
    if (Number.isNaN(n)) n = 0;
    n = Math.trunc(n);
    if (n < 0 || n >= segments.input.length) return undefined;
    return segmentData(segments, n);
  },
  [Symbol.iterator]() {
    const segments = slot(this, "Segments", "[Symbol.iterator]");
    const iterator = Object.create(segmentIteratorPrototype);
    slots.set(iterator, { kind: "SegmentIterator", segments, position: 0 });
    return iterator;
  },
});
defineMethods(segmentIteratorPrototype, {
  next() {
    const state = slot(this, "SegmentIterator", "next");
    const { segments } = state;
    if (state.position >= segments.boundaries.length - 1) return { value: undefined, done: true };
    const value = segmentData(segments, segments.boundaries[state.position]);
    state.position++;
    return { value, done: false };
  },
});
Object.defineProperty(segmentIteratorPrototype, Symbol.toStringTag, {
  value: "Segmenter String Iterator",
  configurable: true,
});

Segmenter.prototype = {};
finishConstructor(Segmenter, "Segmenter", {
  segment(string) {
    const s = slot(this, "Segmenter", "segment");
    const input = String(string);
    const { boundaries, wordLike } = op_intl_segment(s.granularity, utf16(input));
    if (boundaries[boundaries.length - 1] !== input.length) boundaries.push(input.length);
    const segments = Object.create(segmentsPrototype);
    slots.set(segments, { kind: "Segments", boundaries, wordLike, input, granularity: s.granularity });
    return segments;
  },
  resolvedOptions() {
    const s = slot(this, "Segmenter", "resolvedOptions");
    return { locale: s.locale, granularity: s.granularity };
  },
});

// ---------------------------------------------------------------------------
// RelativeTimeFormat (ECMA-402 17)

function RelativeTimeFormat(locales = undefined, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.RelativeTimeFormat requires 'new'");
  const ctor = "Intl.RelativeTimeFormat";
  const requested = canonicalizeLocaleList(locales);
  options = toObjectOptions(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const numberingSystem = typeOption(options, "numberingSystem", ctor);
  const resolved = resolveLocale(requested, ["nu"]);
  if (numberingSystem !== undefined && resolved.keywords.nu !== numberingSystem) delete resolved.keywords.nu;
  const s = { kind: "RelativeTimeFormat" };
  s.locale = localeString(resolved);
  s.numberingSystem = numberingSystem ?? resolved.keywords.nu ?? "latn";
  s.opsLocale = s.numberingSystem === "latn" ? resolved.base : `${resolved.base}-u-nu-${s.numberingSystem}`;
  s.style = getOption(options, "style", "string", ["long", "short", "narrow"], "long", ctor);
  s.numeric = getOption(options, "numeric", "string", ["always", "auto"], "always", ctor);
  slots.set(this, s);
}

const RELATIVE_UNITS = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"];

function relativeParts(s, value, unit, method) {
  const x = Number(value);
  const name = String(unit);
  const singular = name.endsWith("s") ? name.slice(0, -1) : name;
  if (!Number.isFinite(x)) {
    throw new RangeError(`Invalid number value`);
  }
  if (!RELATIVE_UNITS.includes(singular)) {
    throw new RangeError(`Invalid unit argument for Intl.RelativeTimeFormat.prototype.${method}() '${name}'`);
  }
  const parts = op_intl_relative_format(s.opsLocale, s.style, s.numeric, singular, numberString(x));
  return { parts, singular };
}

RelativeTimeFormat.prototype = {};
finishConstructor(RelativeTimeFormat, "RelativeTimeFormat", {
  format(value, unit) {
    const s = slot(this, "RelativeTimeFormat", "format");
    return joinParts(relativeParts(s, value, unit, "format").parts);
  },
  formatToParts(value, unit) {
    const s = slot(this, "RelativeTimeFormat", "formatToParts");
    const { parts, singular } = relativeParts(s, value, unit, "formatToParts");
    return parts.map((part) => (part.type === "literal" ? part : { ...part, unit: singular }));
  },
  resolvedOptions() {
    const s = slot(this, "RelativeTimeFormat", "resolvedOptions");
    return { locale: s.locale, style: s.style, numeric: s.numeric, numberingSystem: s.numberingSystem };
  },
});

// ---------------------------------------------------------------------------
// DisplayNames (ECMA-402 12)

const DATE_TIME_FIELDS = [
  "era",
  "year",
  "quarter",
  "month",
  "weekOfYear",
  "weekday",
  "day",
  "dayPeriod",
  "hour",
  "minute",
  "second",
  "timeZoneName",
];

function DisplayNames(locales = undefined, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.DisplayNames requires 'new'");
  const ctor = "Intl.DisplayNames";
  const requested = canonicalizeLocaleList(locales);
  if (options === undefined) throw new TypeError("invalid_argument");
  options = toObjectOptions(options);
  getOption(options, "localeMatcher", "string", ["lookup", "best fit"], "best fit", ctor);
  const s = { kind: "DisplayNames" };
  s.style = getOption(options, "style", "string", ["narrow", "short", "long"], "long", ctor);
  s.type = getOption(
    options,
    "type",
    "string",
    ["language", "region", "script", "currency", "calendar", "dateTimeField"],
    undefined,
    ctor,
  );
  if (s.type === undefined) throw new TypeError("invalid_argument");
  s.fallback = getOption(options, "fallback", "string", ["code", "none"], "code", ctor);
  s.languageDisplay = getOption(options, "languageDisplay", "string", ["dialect", "standard"], "dialect", ctor);
  const resolved = resolveLocale(requested, []);
  s.locale = localeString(resolved);
  s.base = resolved.base;
  slots.set(this, s);
}

// The code as CLDR writes it, or a RangeError for one not of the type.
function displayCode(type, code) {
  const invalid = () => new RangeError(`invalid_argument`);
  switch (type) {
    case "language": {
      if (!/^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$/i.test(code) ||
        /^root$/i.test(code)) {
        throw invalid();
      }
      return op_intl_locale_info(code).tag;
    }
    case "region":
      if (!/^([a-z]{2}|[0-9]{3})$/i.test(code)) throw invalid();
      return code.toUpperCase();
    case "script":
      if (!/^[a-z]{4}$/i.test(code)) throw invalid();
      return code[0].toUpperCase() + code.slice(1).toLowerCase();
    case "currency":
      if (!/^[a-z]{3}$/i.test(code)) throw invalid();
      return code.toUpperCase();
    case "calendar":
      if (!TYPE_SEQUENCE.test(code)) throw invalid();
      return code.toLowerCase();
    default:
      if (!DATE_TIME_FIELDS.includes(code)) throw invalid();
      return code;
  }
}

DisplayNames.prototype = {};
finishConstructor(DisplayNames, "DisplayNames", {
  of(code) {
    const s = slot(this, "DisplayNames", "of");
    const canonical = displayCode(s.type, String(code));
    const name = op_intl_display_name(s.base, s.type, s.style, s.languageDisplay, canonical);
    if (name !== null && name !== undefined) return name;
    return s.fallback === "code" ? canonical : undefined;
  },
  resolvedOptions() {
    const s = slot(this, "DisplayNames", "resolvedOptions");
    const out = { locale: s.locale, style: s.style, type: s.type, fallback: s.fallback };
    if (s.type === "language") out.languageDisplay = s.languageDisplay;
    return out;
  },
});

// ---------------------------------------------------------------------------
// Locale (ECMA-402 14)

function Locale(tag, options = undefined) {
  if (new.target === undefined) throw new TypeError("Constructor Intl.Locale requires 'new'");
  if (typeof tag !== "string" && (typeof tag !== "object" || tag === null)) {
    throw new TypeError("First argument to Intl.Locale constructor can't be empty or missing");
  }
  const existing = slots.get(tag);
  tag = existing?.kind === "Locale" ? existing.tag : String(tag);
  options = toObjectOptions(options);
  let info = op_intl_locale_info(tag);
  const ctor = "Intl.Locale";
  const language = getOption(options, "language", "string", undefined, undefined, ctor);
  const script = getOption(options, "script", "string", undefined, undefined, ctor);
  const region = getOption(options, "region", "string", undefined, undefined, ctor);
  if (language !== undefined && !/^([a-z]{2,3}|[a-z]{5,8})$/i.test(language)) throw new RangeError("Incorrect locale information provided");
  if (script !== undefined && !/^[a-z]{4}$/i.test(script)) throw new RangeError("Incorrect locale information provided");
  if (region !== undefined && !/^([a-z]{2}|[0-9]{3})$/i.test(region)) throw new RangeError("Incorrect locale information provided");
  const keywords = {};
  for (const [key, name] of Object.entries(KEYWORDS)) {
    if (info[name] !== undefined && info[name] !== null) keywords[key] = info[name];
  }
  const calendar = typeOption(options, "calendar", ctor);
  const collation = typeOption(options, "collation", ctor);
  const hourCycle = getOption(options, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined, ctor);
  const caseFirst = getOption(options, "caseFirst", "string", ["upper", "lower", "false"], undefined, ctor);
  const numeric = getOption(options, "numeric", "boolean", undefined, undefined, ctor);
  const numberingSystem = typeOption(options, "numberingSystem", ctor);
  if (calendar !== undefined) keywords.ca = calendar;
  if (collation !== undefined) keywords.co = collation;
  if (hourCycle !== undefined) keywords.hc = hourCycle;
  if (caseFirst !== undefined) keywords.kf = caseFirst;
  if (numeric !== undefined) keywords.kn = String(numeric);
  if (numberingSystem !== undefined) keywords.nu = numberingSystem;
  const base = [
    language ?? info.language,
    script ?? info.script,
    region ?? info.region,
    info.variants,
  ].filter((part) => part !== undefined && part !== null).join("-");
  const extension = tag.match(/-u(-[a-z0-9]{2,8})+/i);
  let rest = extension ? tag.slice(0, extension.index) + tag.slice(extension.index + extension[0].length) : tag;
  rest = rest.split(/-(?=[a-wyz0-9]-)/i).slice(1).join("-");
  const uParts = Object.keys(keywords)
    .sort()
    .map((key) => (keywords[key] === "" || keywords[key] === "true" ? key : `${key}-${keywords[key]}`));
  let full = base;
  if (uParts.length) full += `-u-${uParts.join("-")}`;
  if (rest) full += `-${rest}`;
  info = op_intl_locale_info(full);
  slots.set(this, { kind: "Locale", tag: info.tag, info });
}

Locale.prototype = {};
for (const name of [
  "baseName",
  "calendar",
  "caseFirst",
  "collation",
  "hourCycle",
  "language",
  "numberingSystem",
  "region",
  "script",
]) {
  defineGetter(Locale.prototype, name, function () {
    const value = slot(this, "Locale", name).info[name];
    return value === null ? undefined : value;
  });
}
defineGetter(Locale.prototype, "numeric", function () {
  const value = slot(this, "Locale", "numeric").info.numeric;
  return value === "" || value === "true";
});
Object.defineProperty(Locale, "name", { value: "Locale" });
defineMethods(Locale.prototype, {
  maximize() {
    return new Locale(op_intl_locale_maximize(slot(this, "Locale", "maximize").tag));
  },
  minimize() {
    return new Locale(op_intl_locale_minimize(slot(this, "Locale", "minimize").tag));
  },
  toString() {
    return slot(this, "Locale", "toString").tag;
  },
  // Intl Locale Info (Stage 3, shipped by V8).
  getWeekInfo() {
    const { firstDay, weekend } = op_intl_locale_facts(slot(this, "Locale", "getWeekInfo").tag);
    return { firstDay, weekend };
  },
  getTextInfo() {
    return { direction: op_intl_locale_facts(slot(this, "Locale", "getTextInfo").tag).direction };
  },
  getHourCycles() {
    const s = slot(this, "Locale", "getHourCycles");
    if (s.info.hourCycle) return [s.info.hourCycle];
    return [op_intl_date_resolve(s.info.baseName).hourCycle];
  },
});
Object.defineProperty(Locale.prototype, Symbol.toStringTag, { value: "Intl.Locale", configurable: true });

// ---------------------------------------------------------------------------
// The Intl object

const intl = {};
defineMethods(intl, {
  getCanonicalLocales(locales) {
    return canonicalizeLocaleList(locales);
  },
  supportedValuesOf(key) {
    const values = op_intl_supported_values(String(key));
    if (values === null || values === undefined) throw new RangeError(`Invalid key : ${String(key)}`);
    return values;
  },
});
for (const [name, value] of Object.entries({
  Collator,
  DateTimeFormat,
  DisplayNames,
  ListFormat,
  Locale,
  NumberFormat,
  PluralRules,
  RelativeTimeFormat,
  Segmenter,
})) {
  Object.defineProperty(value.prototype, "constructor", {
    value,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(value, "prototype", { writable: false, enumerable: false, configurable: false });
  Object.defineProperty(intl, name, { value, writable: true, configurable: true });
}
// Not backed by ICU4X yet: v8x's version stays (docs/engine-differences.md).
for (const name of ["DurationFormat"]) {
  if (previous?.[name] !== undefined) {
    Object.defineProperty(intl, name, { value: previous[name], writable: true, configurable: true });
  }
}
Object.defineProperty(intl, Symbol.toStringTag, { value: "Intl", configurable: true });
Object.defineProperty(globalThis, "Intl", { value: intl, writable: true, configurable: true });

// ---------------------------------------------------------------------------
// Locale-sensitive methods of the built-ins (ECMA-402 19, 20, 21)

// The formatter for calls without locales or options, built once.
let defaultNumberFormat;
let defaultDateFormats;

// Number and BigInt's toLocaleString.
function formatLocale(x, locales, options) {
  if (locales === undefined && options === undefined) {
    defaultNumberFormat ??= new NumberFormat();
    return defaultNumberFormat.format(x);
  }
  return new NumberFormat(locales, options).format(x);
}

function thisNumber(value, method) {
  if (typeof value === "number") return value;
  if (typeof value === "object" && value !== null) {
    try {
      return Number.prototype.valueOf.call(value);
    } catch {
      // not a Number wrapper
    }
  }
  throw new TypeError(`Number.prototype.${method} requires that 'this' be a Number`);
}

defineMethods(Number.prototype, {
  toLocaleString(locales = undefined, options = undefined) {
    return formatLocale(thisNumber(this, "toLocaleString"), locales, options);
  },
});

defineMethods(BigInt.prototype, {
  toLocaleString(locales = undefined, options = undefined) {
    return formatLocale(BigInt.prototype.valueOf.call(this), locales, options);
  },
});

function dateMethod(method, required, defaults) {
  return function (locales = undefined, options = undefined) {
    const t = Date.prototype.getTime.call(this);
    if (Number.isNaN(t)) return "Invalid Date";
    if (locales === undefined && options === undefined) {
      if (defaultDateFormats === undefined) defaultDateFormats = new Map();
      let format = defaultDateFormats.get(method);
      if (format === undefined) {
        format = createDateTimeFormat({}, undefined, undefined, required, defaults);
        defaultDateFormats.set(method, format);
      }
      return formatDate(slots.get(format), t);
    }
    const format = createDateTimeFormat({}, locales, options, required, defaults);
    return formatDate(slots.get(format), t);
  };
}

const toLocaleString = dateMethod("toLocaleString", "any", "all");
const toLocaleDateString = dateMethod("toLocaleDateString", "date", "date");
const toLocaleTimeString = dateMethod("toLocaleTimeString", "time", "time");
defineMethods(Date.prototype, {
  toLocaleString(locales = undefined, options = undefined) {
    return toLocaleString.call(this, locales, options);
  },
  toLocaleDateString(locales = undefined, options = undefined) {
    return toLocaleDateString.call(this, locales, options);
  },
  toLocaleTimeString(locales = undefined, options = undefined) {
    return toLocaleTimeString.call(this, locales, options);
  },
});

let defaultCollator;
const CASE_LANGUAGES = /^(tr|az|lt|el|hy)(-|$)/;
const toUpperCase = String.prototype.toUpperCase;
const toLowerCase = String.prototype.toLowerCase;

function thisString(value, method) {
  if (value === undefined || value === null) {
    throw new TypeError(`String.prototype.${method} called on null or undefined`);
  }
  return String(value);
}

defineMethods(String.prototype, {
  localeCompare(that, locales = undefined, options = undefined) {
    const s = thisString(this, "localeCompare");
    if (locales === undefined && options === undefined) {
      defaultCollator ??= new Collator();
      return defaultCollator.compare(s, String(that));
    }
    return new Collator(locales, options).compare(s, String(that));
  },
  toLocaleUpperCase(locales = undefined) {
    const s = thisString(this, "toLocaleUpperCase");
    const locale = canonicalizeLocaleList(locales)[0];
    // Only these languages case differently from Unicode's default, which
    // the built-in applies (and it keeps lone surrogates).
    if (locale === undefined || !CASE_LANGUAGES.test(locale)) return toUpperCase.call(s);
    return op_intl_case(locale, true, s);
  },
  toLocaleLowerCase(locales = undefined) {
    const s = thisString(this, "toLocaleLowerCase");
    const locale = canonicalizeLocaleList(locales)[0];
    if (locale === undefined || !CASE_LANGUAGES.test(locale)) return toLowerCase.call(s);
    return op_intl_case(locale, false, s);
  },
});

// Array.prototype.toLocaleString passes locales and options on to each
// element (ECMA-402 19.5.1), which QuickJS's own does not.
// The lists being joined: one met again (an array that holds itself) is
// written as "", as V8 and QuickJS's own join do.
const joining = new Set();

function listToLocaleString(list, locales, options) {
  if (joining.has(list)) return "";
  joining.add(list);
  try {
    return joinLocale(list, locales, options);
  } finally {
    joining.delete(list);
  }
}

function joinLocale(list, locales, options) {
  const length = Math.min(Number(list.length) || 0, 2 ** 53 - 1);
  let out = "";
  for (let i = 0; i < length; i++) {
    if (i > 0) out += ",";
    const element = list[i];
    if (element !== undefined && element !== null) {
      out += String(element.toLocaleString(locales, options));
    }
  }
  return out;
}

defineMethods(Array.prototype, {
  toLocaleString(locales = undefined, options = undefined) {
    return listToLocaleString(Object(this), locales, options);
  },
});
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
defineMethods(TypedArrayPrototype, {
  toLocaleString(locales = undefined, options = undefined) {
    // Throws for a receiver that is not a typed array, as the built-in does.
    Object.getOwnPropertyDescriptor(TypedArrayPrototype, "length").get.call(this);
    return listToLocaleString(this, locales, options);
  },
});
