//! `Intl.DateTimeFormat`: the instant placed in its IANA time zone by jiff
//! (whose time zone database is inside the binary), then written by ICU4X's
//! date formatter in the locale's calendar. `dateStyle`/`timeStyle` map to
//! ICU4X's lengths. Component options (`month: "short"`, ...) in the
//! Gregorian calendar take the pattern skeleton.rs matches as V8's ICU
//! does, written by ICU4X's pattern formatter; in other calendars, or if
//! that formatter lacks a name, ICU4X's field bag picks the pattern.
//! `formatRange` is ICU4X's interval formatter.

use deno_core::op2;
use deno_error::JsErrorBox;
use icu_datetime::fieldbag::{field, DateTimeFieldBag};
use icu_datetime::fieldsets::builder::{DateFields, FieldSetBuilder, ZoneStyle};
use icu_datetime::fieldsets::enums::CompositeFieldSet;
use icu_datetime::options::{Length, SubsecondDigits, TimePrecision, YearStyle};
use icu_datetime::pattern::{DateTimePattern, FixedCalendarDateTimeNames};
use icu_datetime::range::DateRangeFormatter;
use icu_datetime::DateTimeFormatter;
use icu_locale::extensions::unicode::{Key, Value};
use icu_locale::Locale;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::locale::parse;
use super::parts::{collect_in, collect_range, merge, try_collect_in, FormattedPart};
use super::skeleton::{self, Components};
use super::{range_error, Handles};

/// A DateTimeFormat's options, resolved by js/intl.js.
#[derive(Deserialize, Clone, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "camelCase")]
pub struct DateOptions {
  pub locale: String,
  pub calendar: Option<String>,
  pub numbering_system: Option<String>,
  pub time_zone: String,
  pub hour_cycle: Option<String>,
  pub date_style: Option<String>,
  pub time_style: Option<String>,
  pub weekday: Option<String>,
  pub era: Option<String>,
  pub year: Option<String>,
  pub month: Option<String>,
  pub day: Option<String>,
  pub day_period: Option<String>,
  pub hour: Option<String>,
  pub minute: Option<String>,
  pub second: Option<String>,
  pub fractional_second_digits: Option<u8>,
  pub time_zone_name: Option<String>,
}

/// `name` as a time zone: an IANA name (any case) or an offset like
/// `+05:30`; V8's RangeError otherwise.
fn time_zone(name: &str) -> Result<TimeZone, JsErrorBox> {
  let invalid = || range_error(format!("Invalid time zone specified: {name}"));
  if name.starts_with(['+', '-']) {
    let offset: jiff::tz::Offset = parse_offset(name).ok_or_else(invalid)?;
    return Ok(TimeZone::fixed(offset));
  }
  match name.to_ascii_lowercase().as_str() {
    "utc" | "etc/utc" | "gmt" | "etc/gmt" | "etc/uct" | "uct" | "etc/universal" | "universal"
    | "etc/zulu" | "zulu" | "etc/gmt0" | "gmt0" | "etc/gmt+0" | "etc/gmt-0" | "gmt+0" | "gmt-0"
    | "etc/greenwich" | "greenwich" => return Ok(TimeZone::UTC),
    _ => {}
  }
  jiff::tz::db().get(name).map_err(|_| invalid())
}

/// `±HH:MM` or `±HHMM` or `±HH`.
fn parse_offset(text: &str) -> Option<jiff::tz::Offset> {
  let sign = if text.starts_with('-') { -1 } else { 1 };
  let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
  if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
    return None;
  }
  let hours: i32 = digits[..2].parse().ok()?;
  let minutes: i32 = if digits.len() == 4 {
    digits[2..].parse().ok()?
  } else {
    0
  };
  if hours > 23 || minutes > 59 {
    return None;
  }
  jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// The name `resolvedOptions().timeZone` reports.
fn resolved_name(name: &str, zone: &TimeZone) -> String {
  if name.starts_with(['+', '-']) {
    let offset = zone.to_fixed_offset().map(|o| o.seconds()).unwrap_or(0);
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    return format!("{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60);
  }
  if *zone == TimeZone::UTC {
    return "UTC".to_string();
  }
  iana_case(name)
    .or_else(|| zone.iana_name().map(str::to_string))
    .unwrap_or_else(|| "UTC".to_string())
}

/// The time zone's name as `resolvedOptions()` gives it, or a RangeError.
#[op2]
#[string]
pub fn op_intl_time_zone(#[string] name: &str) -> Result<String, JsErrorBox> {
  let zone = time_zone(name)?;
  Ok(resolved_name(name, &zone))
}

/// Every IANA zone name in the database that is not a link's alias.
pub(crate) fn canonical_time_zones() -> Vec<String> {
  jiff::tz::db()
    .available()
    .map(|name| name.to_string())
    .filter(|name| {
      name.contains('/')
        && !name.starts_with("Etc/")
        && !name.starts_with("SystemV/")
        && !name.starts_with("US/")
        && !name.starts_with("posix/")
        && !name.starts_with("right/")
    })
    .chain(std::iter::once("UTC".to_string()))
    .collect()
}

fn length(name: &str) -> Length {
  match name {
    "full" | "long" => Length::Long,
    "short" => Length::Short,
    _ => Length::Medium,
  }
}

fn field_set(options: &DateOptions) -> CompositeFieldSet {
  if options.date_style.is_some() || options.time_style.is_some() {
    let mut builder = FieldSetBuilder::new();
    let style = options
      .date_style
      .as_deref()
      .or(options.time_style.as_deref())
      .unwrap_or("medium");
    builder.length = Some(length(style));
    if let Some(date) = options.date_style.as_deref() {
      builder.date_fields = Some(if date == "full" {
        DateFields::YMDE
      } else {
        DateFields::YMD
      });
      if date == "short" {
        builder.year_style = Some(YearStyle::Auto);
      }
    }
    if let Some(time) = options.time_style.as_deref() {
      builder.time_precision = Some(if time == "short" {
        TimePrecision::Minute
      } else {
        TimePrecision::Second
      });
      builder.zone_style = match time {
        "full" => Some(ZoneStyle::SpecificLong),
        "long" => Some(ZoneStyle::SpecificShort),
        _ => None,
      };
    }
    return builder.build_composite().unwrap_or_else(|_| {
      let mut fallback = FieldSetBuilder::new();
      fallback.length = Some(Length::Medium);
      fallback.date_fields = Some(DateFields::YMD);
      fallback.build_composite().expect("YMD is a field set")
    });
  }
  let mut bag = DateTimeFieldBag::default();
  bag.era = options.era.as_deref().map(|v| match v {
    "long" => field::Era::Long,
    "narrow" => field::Era::Narrow,
    _ => field::Era::Short,
  });
  bag.year = options.year.as_deref().map(|v| match v {
    "2-digit" => field::Year::TwoDigit,
    _ => field::Year::Numeric,
  });
  bag.month = options.month.as_deref().map(|v| match v {
    "2-digit" => field::Month::TwoDigit,
    "short" => field::Month::Short,
    "long" => field::Month::Long,
    "narrow" => field::Month::Narrow,
    _ => field::Month::Numeric,
  });
  bag.day = options.day.as_deref().map(|v| match v {
    "2-digit" => field::Day::TwoDigit,
    _ => field::Day::Numeric,
  });
  bag.weekday = options.weekday.as_deref().map(|v| match v {
    "long" => field::Weekday::Long,
    "narrow" => field::Weekday::Narrow,
    _ => field::Weekday::Short,
  });
  bag.hour = options.hour.as_deref().map(|v| match v {
    "2-digit" => field::Hour::TwoDigit,
    _ => field::Hour::Numeric,
  });
  bag.minute = options.minute.as_deref().map(|v| match v {
    "2-digit" => field::Minute::TwoDigit,
    _ => field::Minute::Numeric,
  });
  bag.second = options.second.as_deref().map(|v| match v {
    "2-digit" => field::Second::TwoDigit,
    _ => field::Second::Numeric,
  });
  bag.fractional_second_digits = options.fractional_second_digits.map(|n| match n {
    1 => field::FractionalSecondDigits::F1,
    2 => field::FractionalSecondDigits::F2,
    _ => field::FractionalSecondDigits::F3,
  });
  bag.time_zone_name = options.time_zone_name.as_deref().map(|v| match v {
    "long" => field::TimeZoneName::LongSpecific,
    "shortOffset" => field::TimeZoneName::ShortOffset,
    "longOffset" => field::TimeZoneName::LongOffset,
    "shortGeneric" => field::TimeZoneName::ShortGeneric,
    "longGeneric" => field::TimeZoneName::LongGeneric,
    _ => field::TimeZoneName::ShortSpecific,
  });
  if let Some(cycle) = options.hour_cycle.as_deref() {
    if bag.hour.is_some() {
      bag.hour_kind = Some(if matches!(cycle, "h11" | "h12") {
        field::HourKind::Clock12
      } else {
        field::HourKind::Clock24
      });
    }
  }
  let mut builder = bag.to_field_set_builder();
  if let Some(n) = options.fractional_second_digits {
    builder.time_precision = Some(TimePrecision::Subsecond(match n {
      1 => SubsecondDigits::S1,
      2 => SubsecondDigits::S2,
      _ => SubsecondDigits::S3,
    }));
  }
  if options.year.is_some() && options.year.as_deref() != Some("2-digit") {
    builder.year_style = Some(YearStyle::Full);
  }
  builder.build_composite().unwrap_or_else(|_| {
    // A bag ICU4X cannot make a field set of (only a day period, say):
    // the date, as when no component is given.
    let mut fallback = FieldSetBuilder::new();
    fallback.length = Some(Length::Short);
    fallback.date_fields = Some(DateFields::YMD);
    fallback.year_style = Some(YearStyle::Full);
    fallback.build_composite().expect("YMD is a field set")
  })
}

/// The locale with the calendar, numbering system and hour cycle as
/// Unicode extension keywords, which is how ICU4X takes them.
fn locale_with_keywords(options: &DateOptions) -> Result<Locale, JsErrorBox> {
  let mut locale = parse(&options.locale)?;
  let mut set = |key: &str, value: &Option<String>| {
    if let Some(value) = value {
      if let (Ok(key), Ok(value)) = (key.parse::<Key>(), value.parse::<Value>()) {
        locale.extensions.unicode.keywords.set(key, value);
      }
    }
  };
  set("ca", &options.calendar);
  set("nu", &options.numbering_system);
  set("hc", &options.hour_cycle);
  Ok(locale)
}

type GregorianNames = FixedCalendarDateTimeNames<icu_calendar::Gregorian, CompositeFieldSet>;

/// An instant as ICU4X's Gregorian formatters take it.
type Instant = icu_time::ZonedDateTime<
  icu_calendar::Gregorian,
  icu_time::TimeZoneInfo<icu_time::zone::models::AtTime>,
>;

struct DateFormatter {
  formatter: DateTimeFormatter<CompositeFieldSet>,
  zone: TimeZone,
  locale: Locale,
  fields: CompositeFieldSet,
  /// Whether the pattern writes the time zone.
  has_zone: bool,
  /// hourCycle h24: midnight is hour 24.
  h24: bool,
  /// Component options' pattern, as V8's ICU picks it, and the names it
  /// needs (Gregorian calendar only; ICU4X's field set otherwise).
  pattern: Option<(GregorianNames, DateTimePattern)>,
  /// ICU4X's range formatter, built at the first `formatRange`.
  range: std::cell::OnceCell<Option<DateRangeFormatter<CompositeFieldSet>>>,
}

thread_local! {
  static FORMATTERS: Handles<DateOptions, DateFormatter> = Handles::new();
}

/// A DateTimeFormat's formatter, by id (a RangeError for a time zone or
/// pattern ICU4X cannot use).
#[op2]
pub fn op_intl_date_new(#[serde] options: DateOptions) -> Result<u32, JsErrorBox> {
  FORMATTERS.with(|all| {
    all.id_for(options, |options| {
      let locale = locale_with_keywords(options)?;
      let fields = field_set(options);
      let formatter = DateTimeFormatter::try_new((&locale).into(), fields)
        .map_err(|e| range_error(format!("no locale data for dates: {e}")))?;
      let gregorian = formatter.calendar().kind() == icu_calendar::AnyCalendarKind::Gregorian;
      let pattern = if gregorian && options.date_style.is_none() && options.time_style.is_none() {
        component_pattern(options, &locale)
      } else {
        None
      };
      Ok(DateFormatter {
        formatter,
        zone: time_zone(&options.time_zone)?,
        locale,
        fields,
        pattern,
        h24: options.hour_cycle.as_deref() == Some("h24"),
        has_zone: options.time_zone_name.is_some()
          || matches!(options.time_style.as_deref(), Some("full" | "long")),
        range: std::cell::OnceCell::new(),
      })
    })
  })
}

fn formatter(id: u32) -> Result<std::rc::Rc<DateFormatter>, JsErrorBox> {
  FORMATTERS.with(|all| all.get(id))
}

fn zoned(ms: f64, zone: &TimeZone) -> Result<jiff::Zoned, JsErrorBox> {
  if !ms.is_finite() {
    return Err(range_error("Invalid time value"));
  }
  let timestamp =
    Timestamp::from_millisecond(ms as i64).map_err(|_| range_error("Invalid time value"))?;
  Ok(timestamp.to_zoned(zone.clone()))
}

fn format_parts(formatter: &DateFormatter, ms: f64) -> Result<Vec<FormattedPart>, JsErrorBox> {
  let zoned = zoned(ms, &formatter.zone)?;
  if let Some((names, pattern)) = &formatter.pattern {
    let instant = Instant::from(&zoned);
    if let Some(mut parts) = try_collect_in(
      &names.with_pattern_unchecked(pattern).format(&instant),
      "datetime",
    ) {
      if formatter.h24 {
        // ICU4X has no `k` (hours 1 to 24): midnight's hour 0 is 24.
        for part in parts.iter_mut().filter(|p| p.kind == "hour") {
          if digits_value(&part.value) == Some(0) {
            part.value = "24".to_string();
          }
        }
      }
      return Ok(merge(parts.into_iter().map(ascii_space).collect()));
    }
  }
  let parts = collect_in(&formatter.formatter.format(&zoned), Some("datetime"));
  Ok(merge(parts.into_iter().map(ascii_space).collect()))
}

/// V8 writes CLDR's narrow no-break space (before AM/PM, in times) and
/// thin space (in date-time and interval patterns) as ASCII spaces, for
/// pages that parse the output.
fn ascii_space(mut part: FormattedPart) -> FormattedPart {
  if part.value.contains(['\u{202f}', '\u{2009}']) {
    part.value = part.value.replace(['\u{202f}', '\u{2009}'], " ");
  }
  part
}

/// The instant `ms` (milliseconds since the epoch) as parts.
#[op2]
#[serde]
pub fn op_intl_date_format(id: u32, ms: f64) -> Result<Vec<FormattedPart>, JsErrorBox> {
  let formatter = formatter(id)?;
  let mut parts = format_parts(&formatter, ms)?;
  split_fraction(&mut parts);
  Ok(parts)
}

/// The instant `ms` formatted, as one string.
#[op2]
#[string]
pub fn op_intl_date_format_string(id: u32, ms: f64) -> Result<String, JsErrorBox> {
  let formatter = formatter(id)?;
  Ok(
    format_parts(&formatter, ms)?
      .into_iter()
      .map(|part| part.value)
      .collect(),
  )
}

/// ICU4X writes `12.345` as one second part; ECMA-402 has the fraction as
/// `fractionalSecond` after a `literal` separator.
fn split_fraction(parts: &mut Vec<FormattedPart>) {
  let mut out = Vec::with_capacity(parts.len());
  for part in parts.drain(..) {
    if part.kind == "second" {
      if let Some(at) = part.value.find(['.', ',']) {
        let (whole, rest) = part.value.split_at(at);
        let separator = &rest[..1];
        out.push(FormattedPart::new("second", whole));
        out.push(FormattedPart::new("literal", separator));
        out.push(FormattedPart::new("fractionalSecond", &rest[1..]));
        continue;
      }
    }
    out.push(part);
  }
  *parts = out;
}

#[derive(Serialize)]
pub struct RangePart {
  #[serde(rename = "type")]
  kind: String,
  value: String,
  source: &'static str,
}

/// `formatRange`: ICU4X's range formatter, which writes once what both
/// ends share (`Jan 15 – 18, 2024`) by CLDR's interval patterns; the
/// formatting of either end, joined, if it has no data for this pattern.
#[op2]
#[serde]
pub fn op_intl_date_format_range(
  id: u32,
  start: f64,
  end: f64,
) -> Result<Vec<RangePart>, JsErrorBox> {
  let formatter = formatter(id)?;
  let range = formatter
    .range
    .get_or_init(|| DateRangeFormatter::try_new((&formatter.locale).into(), formatter.fields).ok());
  let Some(range) = range else {
    return joined_range(&formatter, start, end);
  };
  let from = Instant::from(&zoned(start, &formatter.zone)?);
  let mut to = Instant::from(&zoned(end, &formatter.zone)?);
  // ICU4X compares the ends' zones with the instant each is named at, so
  // two instants never share one; at the same offset the zone is the same
  // (and is named as at the start), as ICU's interval formats take it.
  if from.zone.offset() == to.zone.offset() {
    to.zone = from.zone;
  }
  let Some(sided) = collect_range(&range.format(&from, &to)) else {
    return joined_range(&formatter, start, end);
  };
  // ICU4X's time interval patterns leave the zone out ("8 – 10 AM" for
  // "8 – 10 AM EST"): the time zone is not dropped, the ends are written
  // in full.
  if formatter.has_zone && !sided.iter().any(|(p, _)| p.kind == "timeZoneName") {
    return joined_range(&formatter, start, end);
  }
  let mut out: Vec<RangePart> = Vec::new();
  for (part, source) in sided {
    let mut parts = vec![ascii_space(part)];
    split_fraction(&mut parts);
    out.extend(parts.into_iter().map(|part| RangePart {
      kind: part.kind,
      value: part.value,
      source,
    }));
  }
  // shared_as_ecma402 joins adjacent parts of one kind and source.
  Ok(shared_as_ecma402(out))
}

/// ICU4X puts a side's whole half of the pattern on that side (`Jan 15 – `
/// of `Jan 15 – 17`); ECMA-402's (and ICU's) sides hold only the fields
/// both ends write, and the text between them: the month the ends share,
/// and the dash, are `shared`.
fn shared_as_ecma402(mut parts: Vec<RangePart>) -> Vec<RangePart> {
  let kinds = |side: &str| -> Vec<String> {
    parts
      .iter()
      .filter(|p| p.source == side && p.kind != "literal")
      .map(|p| p.kind.clone())
      .collect()
  };
  let (starts, ends) = (kinds("startRange"), kinds("endRange"));
  let sided = |p: &RangePart| {
    p.kind != "literal"
      && match p.source {
        "startRange" => ends.contains(&p.kind),
        "endRange" => starts.contains(&p.kind),
        _ => false,
      }
  };
  let keep: Vec<bool> = parts.iter().map(sided).collect();
  for i in 0..parts.len() {
    if keep[i] || parts[i].source == "shared" {
      continue;
    }
    let side = parts[i].source;
    // A literal stays on its side between two of the side's fields.
    let between = parts[i].kind == "literal"
      && (0..i)
        .rev()
        .take_while(|&j| parts[j].source == side)
        .any(|j| keep[j])
      && (i + 1..parts.len())
        .take_while(|&j| parts[j].source == side)
        .any(|j| keep[j]);
    if !between {
      parts[i].source = "shared";
    }
  }
  // Adjacent parts of one kind and source read as one.
  let mut out: Vec<RangePart> = Vec::new();
  for part in parts {
    match out.last_mut() {
      Some(last) if last.kind == part.kind && last.source == part.source => {
        last.value.push_str(&part.value)
      }
      _ => out.push(part),
    }
  }
  out
}

/// Both ends in full, joined by an en dash between spaces (as V8 writes
/// ICU's fallback interval pattern), or one formatting when both read the
/// same.
fn joined_range(
  formatter: &DateFormatter,
  start: f64,
  end: f64,
) -> Result<Vec<RangePart>, JsErrorBox> {
  let mut first = format_parts(formatter, start)?;
  let mut second = format_parts(formatter, end)?;
  split_fraction(&mut first);
  split_fraction(&mut second);
  let tag = |parts: Vec<FormattedPart>, source: &'static str| {
    parts.into_iter().map(move |p| RangePart {
      kind: p.kind,
      value: p.value,
      source,
    })
  };
  if first == second {
    return Ok(tag(first, "shared").collect());
  }
  Ok(
    tag(first, "startRange")
      .chain(std::iter::once(RangePart {
        kind: "literal".into(),
        value: " \u{2013} ".into(),
        source: "shared",
      }))
      .chain(tag(second, "endRange"))
      .collect(),
  )
}

/// The components the chosen pattern writes, with their widths, as
/// `resolvedOptions()` reports them; `None` where ICU4X's field set chose
/// (it does not say its pattern).
#[op2]
#[serde]
pub fn op_intl_date_components(id: u32) -> Result<Option<Vec<(&'static str, String)>>, JsErrorBox> {
  let formatter = formatter(id)?;
  let Some((_, pattern)) = &formatter.pattern else {
    return Ok(None);
  };
  Ok(Some(skeleton::components(&pattern.to_string())))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateResolution {
  /// The locale's hour cycle when the hour is shown (h12 or h23).
  hour_cycle: &'static str,
  calendar: String,
  numbering_system: String,
}

/// The pattern and names for `options`' components (see skeleton.rs), or
/// `None` to leave them to ICU4X's field set.
fn component_pattern(
  options: &DateOptions,
  locale: &Locale,
) -> Option<(GregorianNames, DateTimePattern)> {
  // js/intl.js resolves the hour cycle whenever the hour is shown; the
  // locale's is looked up (a formatter built) only if it did not.
  let hour = match options.hour.as_deref() {
    None => None,
    Some(width) => Some((
      width,
      match options.hour_cycle.as_deref() {
        Some("h11") => 'K',
        Some("h12") => 'h',
        Some("h23" | "h24") => 'H',
        _ if hour_probe(locale).ok()?.1 == "h12" => 'h',
        _ => 'H',
      },
    )),
  };
  let components = Components {
    weekday: options.weekday.as_deref(),
    era: options.era.as_deref(),
    year: options.year.as_deref(),
    month: options.month.as_deref(),
    day: options.day.as_deref(),
    day_period: options.day_period.as_deref(),
    hour,
    minute: options.minute.as_deref(),
    second: options.second.as_deref(),
    fractional_second_digits: options.fractional_second_digits,
    time_zone_name: options.time_zone_name.as_deref(),
  };
  let text = skeleton::pattern(&locale.id, &components)?;
  let pattern = DateTimePattern::try_from_pattern_str(&text).ok()?;
  let mut names = GregorianNames::try_new(locale.into()).ok()?;
  names.include_for_pattern(&pattern).ok()?;
  Some((names, pattern))
}

/// A formatter of the locale's hour alone, and the hour cycle it writes
/// 1 PM with (h12 or h23).
fn hour_probe(
  locale: &Locale,
) -> Result<(DateTimeFormatter<CompositeFieldSet>, &'static str), JsErrorBox> {
  let mut hour = FieldSetBuilder::new();
  hour.length = Some(Length::Medium);
  hour.time_precision = Some(TimePrecision::Hour);
  let formatter = DateTimeFormatter::try_new(
    locale.into(),
    hour.build_composite().expect("an hour field set"),
  )
  .map_err(|e| range_error(format!("no locale data for dates: {e}")))?;
  let one_pm = jiff::civil::date(2000, 1, 1)
    .at(13, 0, 0, 0)
    .to_zoned(TimeZone::UTC)
    .map_err(|e| range_error(e.to_string()))?;
  let written = collect_in(&formatter.format(&one_pm), Some("datetime"));
  let twelve_hour = written
    .iter()
    .any(|p| p.kind == "hour" && digits_value(&p.value) != Some(13));
  Ok((formatter, if twelve_hour { "h12" } else { "h23" }))
}

/// What the locale chooses when the options do not: its hour cycle,
/// calendar and numbering system.
#[op2]
#[serde]
pub fn op_intl_date_resolve(#[string] locale: &str) -> Result<DateResolution, JsErrorBox> {
  let parsed = parse(locale)?;
  let (formatter, hour_cycle) = hour_probe(&parsed)?;
  let keyword = |key: &str| {
    let key: Key = key.parse().ok()?;
    parsed
      .extensions
      .unicode
      .keywords
      .get(&key)
      .map(|v| v.to_string())
  };
  Ok(DateResolution {
    hour_cycle,
    calendar: keyword("ca")
      .unwrap_or_else(|| calendar_name(formatter.calendar().kind()).to_string()),
    numbering_system: keyword("nu").unwrap_or_else(|| "latn".to_string()),
  })
}

/// The BCP 47 name (`ca`) of an ICU4X calendar.
fn calendar_name(kind: icu_calendar::AnyCalendarKind) -> &'static str {
  use icu_calendar::AnyCalendarKind as K;
  match kind {
    K::Buddhist => "buddhist",
    K::Chinese => "chinese",
    K::Coptic => "coptic",
    K::Dangi => "dangi",
    K::Ethiopian => "ethiopic",
    K::EthiopianAmeteAlem => "ethioaa",
    K::Hebrew => "hebrew",
    K::Indian => "indian",
    K::HijriTabularTypeIIFriday => "islamic-civil",
    K::HijriTabularTypeIIThursday => "islamic-tbla",
    K::HijriUmmAlQura => "islamic-umalqura",
    K::Iso => "iso8601",
    K::Japanese => "japanese",
    K::Persian => "persian",
    K::Roc => "roc",
    _ => "gregory",
  }
}

/// The number written in `text`'s decimal digits, whatever the numbering
/// system (digits of one system are consecutive code points from its zero).
fn digits_value(text: &str) -> Option<u32> {
  const ZEROS: &[u32] = &[
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0xff10,
  ];
  let mut value = None;
  for c in text.chars() {
    let code = c as u32;
    if let Some(zero) = ZEROS
      .iter()
      .find(|&&zero| (zero..zero + 10).contains(&code))
    {
      value = Some(value.unwrap_or(0) * 10 + (code - zero));
    }
  }
  value
}

/// IANA names by their lower-case form, to write a name in its database
/// case while keeping the one the caller gave (a link such as
/// `Asia/Calcutta` stays itself, as in V8).
fn iana_case(name: &str) -> Option<String> {
  thread_local! {
    static NAMES: std::collections::HashMap<String, String> = jiff::tz::db()
      .available()
      .map(|name| (name.as_str().to_ascii_lowercase(), name.as_str().to_string()))
      .collect();
  }
  NAMES.with(|names| names.get(&name.to_ascii_lowercase()).cloned())
}
