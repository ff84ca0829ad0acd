//! Locale tags: parsing and canonicalising (`Intl.getCanonicalLocales`,
//! `Intl.Locale`), likely subtags (`maximize`/`minimize`), whether CLDR has
//! data for a language, and the lists `Intl.supportedValuesOf` returns.

use deno_core::op2;
use deno_error::JsErrorBox;
use icu_locale::extensions::unicode::Key;
use icu_locale::{LanguageIdentifier, Locale};
use icu_locale::{LocaleCanonicalizer, LocaleExpander, TransformResult};
use serde::Serialize;

use super::range_error;

/// `tag` parsed and canonicalised, or V8's RangeError.
pub(crate) fn parse(tag: &str) -> Result<Locale, JsErrorBox> {
  let mut locale =
    Locale::try_from_str(tag).map_err(|_| range_error("Incorrect locale information provided"))?;
  // Private-use-only and grandfathered irregular tags are not Unicode
  // locale identifiers; `und` stands for "no language", which is valid.
  LocaleCanonicalizer::new_extended().canonicalize(&mut locale);
  Ok(locale)
}

/// Whether CLDR has data for `id`'s language (likely subtags know it), the
/// test ICU's own locale list comes down to for real tags.
pub(crate) fn has_data(id: &LanguageIdentifier) -> bool {
  if id.language.is_unknown() {
    return false;
  }
  let mut probe = LanguageIdentifier::from(id.language);
  LocaleExpander::new_extended().maximize(&mut probe) == TransformResult::Modified
    || probe.script.is_some()
}

/// Canonical tags, in order, without repeats (`Intl.getCanonicalLocales`).
#[op2]
#[serde]
pub fn op_intl_canonicalize(#[serde] tags: Vec<String>) -> Result<Vec<String>, JsErrorBox> {
  let mut out: Vec<String> = Vec::new();
  for tag in tags {
    let canonical = parse(&tag)
      .map_err(|_| range_error(format!("Invalid language tag: {tag}")))?
      .to_string();
    if !out.contains(&canonical) {
      out.push(canonical);
    }
  }
  Ok(out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocaleInfo {
  tag: String,
  base_name: String,
  language: String,
  script: Option<String>,
  region: Option<String>,
  variants: Option<String>,
  /// CLDR has data for the language.
  supported: bool,
  calendar: Option<String>,
  case_first: Option<String>,
  collation: Option<String>,
  hour_cycle: Option<String>,
  numbering_system: Option<String>,
  numeric: Option<String>,
}

fn keyword(locale: &Locale, key: &str) -> Option<String> {
  let key: Key = key.parse().ok()?;
  locale
    .extensions
    .unicode
    .keywords
    .get(&key)
    .map(|value| value.to_string())
}

/// The parts of a tag, after canonicalisation.
#[op2]
#[serde]
pub fn op_intl_locale_info(#[string] tag: &str) -> Result<LocaleInfo, JsErrorBox> {
  let locale = parse(tag)?;
  let id = &locale.id;
  let variants = id
    .variants
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("-");
  Ok(LocaleInfo {
    tag: locale.to_string(),
    base_name: id.to_string(),
    language: id.language.to_string(),
    script: id.script.map(|s| s.to_string()),
    region: id.region.map(|r| r.to_string()),
    variants: (!variants.is_empty()).then_some(variants),
    supported: has_data(id),
    calendar: keyword(&locale, "ca"),
    case_first: keyword(&locale, "kf"),
    collation: keyword(&locale, "co"),
    hour_cycle: keyword(&locale, "hc"),
    numbering_system: keyword(&locale, "nu"),
    numeric: keyword(&locale, "kn"),
  })
}

/// `tag` with its base name replaced by `transform`'s result.
fn with_base(tag: &str, transform: impl Fn(&mut LanguageIdentifier)) -> Result<String, JsErrorBox> {
  let mut locale = parse(tag)?;
  transform(&mut locale.id);
  Ok(locale.to_string())
}

#[op2]
#[string]
pub fn op_intl_locale_maximize(#[string] tag: &str) -> Result<String, JsErrorBox> {
  with_base(tag, |id| {
    LocaleExpander::new_extended().maximize(id);
  })
}

#[op2]
#[string]
pub fn op_intl_locale_minimize(#[string] tag: &str) -> Result<String, JsErrorBox> {
  with_base(tag, |id| {
    LocaleExpander::new_extended().minimize(id);
  })
}

/// `Intl.supportedValuesOf(key)`, sorted, or None for an unknown key.
#[op2]
#[serde]
pub fn op_intl_supported_values(#[string] key: &str) -> Option<Vec<String>> {
  let mut values: Vec<String> = match key {
    "calendar" => CALENDARS.iter().map(|s| s.to_string()).collect(),
    "collation" => COLLATIONS.iter().map(|s| s.to_string()).collect(),
    "currency" => super::number::CURRENCIES
      .iter()
      .map(|s| s.to_string())
      .collect(),
    "numberingSystem" => NUMBERING_SYSTEMS.iter().map(|s| s.to_string()).collect(),
    "timeZone" => super::datetime::canonical_time_zones(),
    "unit" => super::number::SANCTIONED_UNITS
      .iter()
      .map(|s| s.to_string())
      .collect(),
    _ => return None,
  };
  values.sort();
  values.dedup();
  Some(values)
}

/// The calendars ICU4X formats (`ca` values).
const CALENDARS: &[&str] = &[
  "buddhist",
  "chinese",
  "coptic",
  "dangi",
  "ethioaa",
  "ethiopic",
  "gregory",
  "hebrew",
  "indian",
  "islamic-civil",
  "islamic-tbla",
  "islamic-umalqura",
  "iso8601",
  "japanese",
  "persian",
  "roc",
];

/// Collation types CLDR defines for some locale (`co` values, without
/// `standard` and `search`, which ECMA-402 excludes).
const COLLATIONS: &[&str] = &[
  "compat", "dict", "emoji", "eor", "phonebk", "phonetic", "pinyin", "stroke", "trad", "unihan",
  "zhuyin",
];

/// Numbering systems with simple digits (`nu` values).
const NUMBERING_SYSTEMS: &[&str] = &[
  "adlm", "ahom", "arab", "arabext", "bali", "beng", "bhks", "brah", "cakm", "cham", "deva",
  "diak", "fullwide", "gara", "gong", "gonm", "gujr", "gukh", "guru", "hanidec", "hmng", "hmnp",
  "java", "kali", "kawi", "khmr", "knda", "krai", "lana", "lanatham", "laoo", "latn", "lepc",
  "limb", "mathbold", "mathdbl", "mathmono", "mathsanb", "mathsans", "mlym", "modi", "mong",
  "mroo", "mtei", "mymr", "mymrepka", "mymrpao", "mymrshan", "mymrtlng", "nagm", "newa", "nkoo",
  "olck", "onao", "orya", "osma", "outlined", "rohg", "saur", "segment", "shrd", "sind", "sinh",
  "sora", "sund", "sunu", "takr", "talu", "tamldec", "telu", "thai", "tibt", "tirh", "tnsa",
  "vaii", "wara", "wcho",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocaleFacts {
  /// 1 (Monday) to 7 (Sunday).
  first_day: u8,
  weekend: Vec<u8>,
  /// "ltr" or "rtl".
  direction: &'static str,
}

/// What `Intl.Locale`'s `getWeekInfo()` and `getTextInfo()` report: CLDR's
/// week data for the locale's region and its script's direction.
#[op2]
#[serde]
pub fn op_intl_locale_facts(#[string] tag: &str) -> Result<LocaleFacts, JsErrorBox> {
  let locale = parse(tag)?;
  let week = icu_calendar::week::WeekInformation::try_new((&locale).into())
    .map_err(|e| range_error(format!("no week data: {e}")))?;
  let mut weekend: Vec<u8> = week.weekend().map(|day| day as u8).collect();
  weekend.sort_unstable();
  let direction = match icu_locale::LocaleDirectionality::new_extended().get(&locale.id) {
    Some(icu_locale::Direction::RightToLeft) => "rtl",
    _ => "ltr",
  };
  Ok(LocaleFacts {
    first_day: week.first_weekday as u8,
    weekend,
    direction,
  })
}
