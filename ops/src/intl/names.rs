//! `Intl.RelativeTimeFormat` ("in 3 days", "yesterday") and
//! `Intl.DisplayNames` (the names of languages, regions, scripts and
//! currencies), from ICU4X's experimental CLDR formatters; DisplayNames'
//! calendars and date-time fields, which ICU4X has no data for, from
//! CLDR's names in names.txt (see cldr.rs).

use deno_core::op2;
use deno_error::JsErrorBox;
use fixed_decimal::{SignedRoundingMode, UnsignedRoundingMode};
use icu_experimental::dimension::provider::currency::displayname::CurrencyDisplaynameV1;
use icu_experimental::displaynames::multi::{
  LocaleDisplayNamesFormatter, RegionDisplayNames, ScriptDisplayNames,
};
use icu_experimental::displaynames::{DisplayNamesOptions, Fallback, LanguageDisplay, Style};
use icu_experimental::relativetime::options::{Numeric, RelativeTimeFormatterOptions};
use icu_experimental::relativetime::RelativeTimeFormatter;
use icu_locale::subtags::{Region, Script};
use icu_provider::prelude::*;

use super::cldr::Cldr;
use super::locale::parse;
use super::number::{parse_value, Value};
use super::parts::{collect, FormattedPart};
use super::{range_error, Cache};

thread_local! {
  static RELATIVE: Cache<(String, String, String, String), RelativeTimeFormatter> = Cache::new();
}

fn relative_formatter(
  locale: &str,
  style: &str,
  numeric: &str,
  unit: &str,
) -> Result<std::rc::Rc<RelativeTimeFormatter>, JsErrorBox> {
  let key = (
    locale.to_string(),
    style.to_string(),
    numeric.to_string(),
    unit.to_string(),
  );
  RELATIVE.with(|cache| {
    cache.get_or_try(key, || {
      let parsed = parse(locale)?;
      let prefs = (&parsed).into();
      let mut options = RelativeTimeFormatterOptions::default();
      options.numeric = Some(if numeric == "auto" {
        Numeric::Auto
      } else {
        Numeric::Always
      });
      type New = fn(
        icu_experimental::relativetime::RelativeTimeFormatterPreferences,
        RelativeTimeFormatterOptions,
      ) -> Result<RelativeTimeFormatter, DataError>;
      let new: New = match (style, unit) {
        ("short", "second") => RelativeTimeFormatter::try_new_short_second,
        ("short", "minute") => RelativeTimeFormatter::try_new_short_minute,
        ("short", "hour") => RelativeTimeFormatter::try_new_short_hour,
        ("short", "day") => RelativeTimeFormatter::try_new_short_day,
        ("short", "week") => RelativeTimeFormatter::try_new_short_week,
        ("short", "month") => RelativeTimeFormatter::try_new_short_month,
        ("short", "quarter") => RelativeTimeFormatter::try_new_short_quarter,
        ("short", "year") => RelativeTimeFormatter::try_new_short_year,
        ("narrow", "second") => RelativeTimeFormatter::try_new_narrow_second,
        ("narrow", "minute") => RelativeTimeFormatter::try_new_narrow_minute,
        ("narrow", "hour") => RelativeTimeFormatter::try_new_narrow_hour,
        ("narrow", "day") => RelativeTimeFormatter::try_new_narrow_day,
        ("narrow", "week") => RelativeTimeFormatter::try_new_narrow_week,
        ("narrow", "month") => RelativeTimeFormatter::try_new_narrow_month,
        ("narrow", "quarter") => RelativeTimeFormatter::try_new_narrow_quarter,
        ("narrow", "year") => RelativeTimeFormatter::try_new_narrow_year,
        (_, "second") => RelativeTimeFormatter::try_new_long_second,
        (_, "minute") => RelativeTimeFormatter::try_new_long_minute,
        (_, "hour") => RelativeTimeFormatter::try_new_long_hour,
        (_, "day") => RelativeTimeFormatter::try_new_long_day,
        (_, "week") => RelativeTimeFormatter::try_new_long_week,
        (_, "month") => RelativeTimeFormatter::try_new_long_month,
        (_, "quarter") => RelativeTimeFormatter::try_new_long_quarter,
        (_, "year") => RelativeTimeFormatter::try_new_long_year,
        _ => return Err(range_error(format!("Invalid unit argument '{unit}'"))),
      };
      new(prefs, options).map_err(|e| range_error(format!("no relative time data: {e}")))
    })
  })
}

/// `value` (a finite Number's digits) `unit`s from now, as parts; the
/// number is rounded to three fraction digits, as NumberFormat's default.
#[op2]
#[serde]
pub fn op_intl_relative_format(
  #[string] locale: &str,
  #[string] style: &str,
  #[string] numeric: &str,
  #[string] unit: &str,
  #[string] value: &str,
) -> Result<Vec<FormattedPart>, JsErrorBox> {
  let formatter = relative_formatter(locale, style, numeric, unit)?;
  let Value::Finite(mut number) = parse_value(value)? else {
    return Err(range_error("Invalid number value"));
  };
  number.round_with_mode(
    -3,
    SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand),
  );
  number.absolute.trim_end();
  Ok(collect(&formatter.format(number)))
}

/// `Intl.DisplayNames.prototype.of`: the name of `code` (already checked
/// by js/intl.js to be well formed for `kind`), or None when CLDR has none.
#[op2]
#[string]
pub fn op_intl_display_name(
  #[string] locale: &str,
  #[string] kind: &str,
  #[string] style: &str,
  #[string] language_display: &str,
  #[string] code: &str,
) -> Result<Option<String>, JsErrorBox> {
  let parsed = parse(locale)?;
  let mut options = DisplayNamesOptions::default();
  options.style = Some(match style {
    "short" => Style::Short,
    "narrow" => Style::Narrow,
    _ => Style::Long,
  });
  options.fallback = Fallback::None;
  options.language_display = if language_display == "standard" {
    LanguageDisplay::Standard
  } else {
    LanguageDisplay::Dialect
  };
  let no_data = |e: DataError| range_error(format!("no display name data: {e}"));
  Ok(match kind {
    "region" => {
      let region: Region = code.parse().map_err(|_| invalid_code(code))?;
      RegionDisplayNames::try_new((&parsed).into(), options)
        .map_err(no_data)?
        .of(region)
        .map(str::to_string)
    }
    "script" => {
      let script: Script = code.parse().map_err(|_| invalid_code(code))?;
      ScriptDisplayNames::try_new((&parsed).into(), options)
        .map_err(no_data)?
        .of(script)
        .map(str::to_string)
    }
    "language" => {
      let target = parse(code).map_err(|_| invalid_code(code))?;
      let name = LocaleDisplayNamesFormatter::try_new((&parsed).into(), options)
        .map_err(no_data)?
        .of(&target)
        .into_owned();
      // With no name for it, ICU4X gives the code back.
      (name != target.to_string()).then_some(name)
    }
    "currency" => {
      let attributes = code.to_ascii_uppercase();
      let attributes =
        DataMarkerAttributes::try_from_str(&attributes).map_err(|_| invalid_code(code))?;
      // The baked data has no fallback of its own: the locale, then its
      // language alone.
      let full = DataLocale::from(&parsed);
      let language = DataLocale::from(&icu_locale::Locale::from(
        icu_locale::LanguageIdentifier::from(parsed.id.language),
      ));
      [full, language].iter().find_map(|data_locale| {
        let response: Result<DataResponse<CurrencyDisplaynameV1>, DataError> =
          icu_experimental::provider::Baked.load(DataRequest {
            id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attributes, data_locale),
            ..Default::default()
          });
        response.ok().map(|r| r.payload.get().to_string())
      })
    }
    "calendar" => {
      // CLDR names calendars by their long keys.
      let key = match code {
        "gregory" => "gregorian",
        "ethioaa" => "ethiopic-amete-alem",
        other => other,
      };
      let data = names();
      data
        .get(data.start(&parsed.id), "calendar", key)
        .map(str::to_string)
    }
    "dateTimeField" => {
      let field = match code {
        "weekOfYear" => "week",
        "dayPeriod" => "dayperiod",
        "timeZoneName" => "zone",
        other => other,
      };
      let widths: &[&str] = match style {
        "narrow" => &["-narrow", "-short", ""],
        "short" => &["-short", ""],
        _ => &[""],
      };
      let data = names();
      let locale = data.start(&parsed.id);
      widths
        .iter()
        .find_map(|width| data.get(locale, "field", &format!("{field}{width}")))
        .map(str::to_string)
    }
    _ => return Err(range_error(format!("Invalid type : {kind}"))),
  })
}

/// names.txt, indexed on first use.
fn names() -> &'static Cldr {
  static PARSED: std::sync::OnceLock<Cldr> = std::sync::OnceLock::new();
  PARSED.get_or_init(|| Cldr::parse(include_str!("names.txt")))
}

fn invalid_code(code: &str) -> JsErrorBox {
  range_error(format!("invalid_argument: {code}"))
}
