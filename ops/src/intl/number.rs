//! `Intl.NumberFormat` and `Intl.PluralRules`: rounding as ECMA-402's
//! FormatNumericToString does it (fixed_decimal has its nine rounding modes
//! and its sign displays), then ICU4X's locale data for the digits, the
//! separators and the currency, percent and compact patterns.
//!
//! ICU4X's currency and percent formatters round and pad by their own
//! rules, so only their pattern is taken: the number they wrote is replaced
//! by the one the options ask for.

use deno_core::op2;
use deno_error::JsErrorBox;
use fixed_decimal::{
  Decimal, RoundingIncrement, Sign, SignDisplay, SignedRoundingMode, UnsignedRoundingMode,
};
use icu_decimal::options::{DecimalFormatterOptions, GroupingStrategy};
use icu_decimal::{CompactDecimalFormatter, DecimalFormatter};
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::options::{CurrencyFormatterOptions, CurrencyUsage};
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::percent::formatter::PercentFormatter;
use icu_plurals::{PluralCategory, PluralRuleType, PluralRules};
use serde::Deserialize;

use super::locale::parse;
use super::parts::{collect, merge, FormattedPart};
use super::units::UnitPatterns;
use super::{range_error, Cache, Handles};

/// A NumberFormat's (or PluralRules') options, resolved by js/intl.js.
#[derive(Deserialize, Clone, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct NumberOptions {
  pub locale: String,
  #[serde(default = "decimal")]
  pub style: String,
  pub currency: Option<String>,
  #[serde(default)]
  pub currency_display: String,
  #[serde(default)]
  pub currency_sign: String,
  #[serde(default)]
  pub notation: String,
  #[serde(default)]
  pub compact_display: String,
  #[serde(default)]
  pub use_grouping: String,
  #[serde(default)]
  pub sign_display: String,
  pub minimum_integer_digits: i16,
  pub minimum_fraction_digits: i16,
  pub maximum_fraction_digits: i16,
  pub minimum_significant_digits: i16,
  pub maximum_significant_digits: i16,
  /// fractionDigits, significantDigits, morePrecision or lessPrecision.
  pub rounding_type: String,
  pub rounding_increment: u32,
  pub rounding_mode: String,
  #[serde(default)]
  pub trailing_zero_display: String,
  pub unit: Option<String>,
  #[serde(default)]
  pub unit_display: String,
}

fn decimal() -> String {
  "decimal".into()
}

/// A mathematical value from JavaScript: a Number's shortest round-trip
/// digits (`String(x)`, maybe with an exponent), a BigInt's digits, or a
/// numeric string; `NaN`, `Infinity`, `-Infinity`.
pub(crate) enum Value {
  Finite(Decimal),
  Infinite(bool),
  NaN,
}

pub(crate) fn parse_value(text: &str) -> Result<Value, JsErrorBox> {
  let text = text.trim();
  match text {
    "NaN" => return Ok(Value::NaN),
    "Infinity" | "+Infinity" => return Ok(Value::Infinite(false)),
    "-Infinity" => return Ok(Value::Infinite(true)),
    _ => {}
  }
  let (mantissa, exponent) = match text.find(['e', 'E']) {
    Some(at) => (
      &text[..at],
      text[at + 1..]
        .parse::<i16>()
        .map_err(|_| range_error(format!("Invalid number {text}")))?,
    ),
    None => (text, 0),
  };
  let mantissa = mantissa.strip_suffix('.').unwrap_or(mantissa);
  let mut value =
    Decimal::try_from_str(mantissa).map_err(|_| range_error(format!("Invalid number {text}")))?;
  let negative = mantissa.starts_with('-');
  // Far past what the rounding's i16 magnitudes can hold: Infinity, or a
  // zero (of the value's sign), which is what any digit option rounds to.
  let top = i32::from(magnitude(&value));
  if top + i32::from(exponent) > MAX_MAGNITUDE {
    return Ok(Value::Infinite(negative));
  }
  if top + i32::from(exponent) < -MAX_MAGNITUDE {
    value = Decimal::from(0);
  } else {
    value.multiply_pow10(exponent);
  }
  if negative {
    value.sign = Sign::Negative;
  }
  Ok(Value::Finite(value))
}

/// The power of ten of `value`'s first nonzero digit (0 for zero).
fn magnitude(value: &Decimal) -> i16 {
  if value.absolute.is_zero() {
    0
  } else {
    value.absolute.nonzero_magnitude_start()
  }
}

/// The largest power of ten a formatted value may have (a BigInt or a
/// numeric string can be longer than any Number).
const MAX_MAGNITUDE: i32 = 1000;

fn rounding_mode(name: &str) -> SignedRoundingMode {
  use UnsignedRoundingMode as U;
  match name {
    "ceil" => SignedRoundingMode::Ceil,
    "floor" => SignedRoundingMode::Floor,
    "expand" => SignedRoundingMode::Unsigned(U::Expand),
    "trunc" => SignedRoundingMode::Unsigned(U::Trunc),
    "halfCeil" => SignedRoundingMode::HalfCeil,
    "halfFloor" => SignedRoundingMode::HalfFloor,
    "halfTrunc" => SignedRoundingMode::Unsigned(U::HalfTrunc),
    "halfEven" => SignedRoundingMode::Unsigned(U::HalfEven),
    _ => SignedRoundingMode::Unsigned(U::HalfExpand),
  }
}

/// ToRawFixed: the value at `-max_fd`, then padded to `-min_fd`. Returns
/// the value and the magnitude it was rounded at.
fn raw_fixed(value: &Decimal, options: &NumberOptions) -> (Decimal, i16) {
  let mut out = value.clone();
  let mode = rounding_mode(&options.rounding_mode);
  let mut position = -options.maximum_fraction_digits;
  let mut increment = options.rounding_increment.max(1);
  while increment.is_multiple_of(10) {
    increment /= 10;
    position += 1;
  }
  let increment = match increment {
    2 => RoundingIncrement::MultiplesOf2,
    5 => RoundingIncrement::MultiplesOf5,
    25 => RoundingIncrement::MultiplesOf25,
    _ => RoundingIncrement::MultiplesOf1,
  };
  out.round_with_mode_and_increment(position, mode, increment);
  out.absolute.trim_end();
  out.absolute.pad_end(-options.minimum_fraction_digits);
  (out, -options.maximum_fraction_digits)
}

/// ToRawPrecision: the value to `max_sd` significant digits, then padded to
/// `min_sd`.
fn raw_precision(value: &Decimal, options: &NumberOptions) -> (Decimal, i16) {
  let mut out = value.clone();
  let mode = rounding_mode(&options.rounding_mode);
  let position = magnitude(&out) - options.maximum_significant_digits + 1;
  out.round_with_mode(position, mode);
  out.absolute.trim_end();
  let top = magnitude(&out);
  out
    .absolute
    .pad_end(top - options.minimum_significant_digits + 1);
  (out, position)
}

/// FormatNumericToString's rounding, with minimumIntegerDigits and
/// trailingZeroDisplay.
fn round(value: &Decimal, options: &NumberOptions) -> Decimal {
  let mut out = match options.rounding_type.as_str() {
    "significantDigits" => raw_precision(value, options).0,
    "morePrecision" | "lessPrecision" => {
      let (significant, s_magnitude) = raw_precision(value, options);
      let (fixed, f_magnitude) = raw_fixed(value, options);
      let significant_first = s_magnitude <= f_magnitude;
      if significant_first == (options.rounding_type == "morePrecision") {
        significant
      } else {
        fixed
      }
    }
    _ => raw_fixed(value, options).0,
  };
  if options.trailing_zero_display == "stripIfInteger" {
    out.absolute.trim_end_if_integer();
  }
  out
    .absolute
    .pad_start(options.minimum_integer_digits.max(1));
  out
}

fn sign_display(name: &str) -> SignDisplay {
  match name {
    "never" => SignDisplay::Never,
    "always" => SignDisplay::Always,
    "exceptZero" => SignDisplay::ExceptZero,
    "negative" => SignDisplay::Negative,
    _ => SignDisplay::Auto,
  }
}

fn grouping(name: &str) -> GroupingStrategy {
  match name {
    "always" => GroupingStrategy::Always,
    "min2" => GroupingStrategy::Min2,
    "false" | "never" => GroupingStrategy::Never,
    _ => GroupingStrategy::Auto,
  }
}

/// What formats a NumberFormat's numbers, built once per options.
struct NumberFormatter {
  options: NumberOptions,
  decimal: DecimalFormatter,
  /// The locale's default formatting, as ICU4X's pattern formatters write
  /// the number.
  plain: DecimalFormatter,
  /// The pattern around the number, for currency, percent and compact.
  template: Template,
  /// Compact notation for a currency or percentage (see `new`).
  compact_inside: Option<CompactDecimalFormatter>,
  /// Style "unit": the unit's patterns, around the number as written
  /// without them.
  unit: Option<UnitPatterns>,
}

fn compact_formatter(
  locale: &icu_locale::Locale,
  options: &NumberOptions,
  long: bool,
) -> Result<CompactDecimalFormatter, JsErrorBox> {
  let mut compact_options = icu_decimal::options::CompactDecimalFormatterOptions::default();
  compact_options.grouping_strategy = Some(grouping(&options.use_grouping));
  let built = if long {
    CompactDecimalFormatter::try_new_long(locale.into(), compact_options)
  } else {
    CompactDecimalFormatter::try_new_short(locale.into(), compact_options)
  };
  built.map_err(|e| data_error("compact numbers", e))
}

enum Template {
  None,
  Currency(CurrencyFormatter<DecimalFormatter>),
  Percent(PercentFormatter<DecimalFormatter>),
  Compact(CompactDecimalFormatter),
}

fn data_error(what: &str, error: impl std::fmt::Display) -> JsErrorBox {
  range_error(format!("no locale data for {what}: {error}"))
}

impl NumberFormatter {
  fn new(options: &NumberOptions) -> Result<NumberFormatter, JsErrorBox> {
    let locale = parse(&options.locale)?;
    let mut decimal_options = DecimalFormatterOptions::default();
    decimal_options.grouping_strategy = Some(grouping(&options.use_grouping));
    let decimal = DecimalFormatter::try_new((&locale).into(), decimal_options)
      .map_err(|e| data_error("numbers", e))?;
    // ICU writes the unit "percent", but for its long name, with the
    // locale's percent pattern (the value not scaled), as V8 shows.
    let percent_unit = options.style == "unit"
      && options.unit.as_deref() == Some("percent")
      && options.unit_display != "long";
    let style = if percent_unit {
      "percent"
    } else {
      options.style.as_str()
    };
    let long = options.compact_display == "long";
    let template = match (style, options.notation.as_str()) {
      ("currency", _) => {
        let code = options
          .currency
          .as_deref()
          .unwrap_or("USD")
          .to_ascii_uppercase();
        let currency: CurrencyType = code
          .to_ascii_lowercase()
          .parse()
          .map_err(|_| range_error(format!("Invalid currency code : {code}")))?;
        let mut currency_options = CurrencyFormatterOptions::default();
        if options.currency_sign == "accounting" {
          currency_options.usage = CurrencyUsage::Accounting;
        }
        let prefs = (&locale).into();
        let built = match options.currency_display.as_str() {
          "code" => CurrencyFormatter::try_new_code(prefs, currency, currency_options),
          "name" => CurrencyFormatter::try_new_name(prefs, currency),
          "narrowSymbol" => {
            CurrencyFormatter::try_new_symbol_narrow(prefs, currency, currency_options)
          }
          _ => CurrencyFormatter::try_new_symbol(prefs, currency, currency_options),
        };
        Template::Currency(built.map_err(|e| data_error("currencies", e))?)
      }
      ("percent", _) => Template::Percent(
        PercentFormatter::try_new((&locale).into(), Default::default())
          .map_err(|e| data_error("percentages", e))?,
      ),
      (_, "compact") => Template::Compact(compact_formatter(&locale, options, long)?),
      _ => Template::None,
    };
    // A currency or percentage in compact notation: the compact number
    // inside the currency's or percent's pattern ("$1.2M"). CLDR has short
    // compact patterns only for currencies, so ICU writes them short
    // whatever compactDisplay says.
    let compact_inside = match (&template, options.notation.as_str()) {
      (Template::Currency(_), "compact") => Some(compact_formatter(&locale, options, false)?),
      (Template::Percent(_), "compact") => Some(compact_formatter(&locale, options, long)?),
      _ => None,
    };
    let plain = DecimalFormatter::try_new((&locale).into(), Default::default())
      .map_err(|e| data_error("numbers", e))?;
    let unit = match (style, options.unit.as_deref()) {
      ("unit", Some(unit)) => Some(
        UnitPatterns::new(&locale.id, unit, &options.unit_display).ok_or_else(|| {
          range_error(format!(
            "Invalid unit argument for Intl.NumberFormat() '{unit}'"
          ))
        })?,
      ),
      _ => None,
    };
    Ok(NumberFormatter {
      options: options.clone(),
      decimal,
      plain,
      template,
      compact_inside,
      unit,
    })
  }

  fn format(&self, value: &Value) -> Vec<FormattedPart> {
    let number = self.format_number(value);
    let Some(unit) = &self.unit else {
      return number;
    };
    // The pattern for the plural category of the number as shown.
    let category = match value {
      Value::Finite(value) => plural_rules(&self.options.locale, false)
        .map(|rules| {
          let mut rounded = round(value, &self.options);
          rounded.sign = Sign::None;
          category_name(rules.category_for(&rounded))
        })
        .unwrap_or("other"),
      _ => "other",
    };
    let pattern = unit.pattern(category);
    let text = |text: &str| label_literals(vec![FormattedPart::new("literal", text)], "unit");
    // Some categories' patterns name the count in words (Arabic's dual
    // "يومان", "two days"): no number is written.
    let Some((before, after)) = pattern.split_once("{0}") else {
      return text(pattern);
    };
    let mut parts = text(before);
    parts.extend(number);
    parts.extend(text(after));
    parts
  }

  /// The number with its sign, and its currency, percent or compact
  /// pattern.
  fn format_number(&self, value: &Value) -> Vec<FormattedPart> {
    let options = &self.options;
    let signs = sign_display(&options.sign_display);
    let (mut number, special) = match value {
      Value::Finite(value) => {
        let mut value = value.clone();
        if options.style == "percent" {
          value.multiply_pow10(2);
        }
        (value, None)
      }
      Value::Infinite(negative) => {
        // A nonzero stand-in, so that the sign display treats it as one.
        let mut one = Decimal::from(1);
        if *negative {
          one.sign = Sign::Negative;
        }
        (one, Some(FormattedPart::new("infinity", "\u{221e}")))
      }
      Value::NaN => (Decimal::from(0), Some(FormattedPart::new("nan", "NaN"))),
    };
    if let Template::Compact(compact) = &self.template {
      if special.is_none() {
        if let Some(parts) = self.compact(compact, &number, signs) {
          return parts;
        }
        // An exponent ICU4X would not take: its own rounding.
        number.apply_sign_display(signs);
        return label_literals(collect(&compact.format(&number)), "compact");
      }
    }
    let unrounded = number.clone();
    let mut exponent = None;
    if special.is_none() {
      if matches!(options.notation.as_str(), "scientific" | "engineering") {
        let (mantissa, power) = self.scientific(&number);
        number = mantissa;
        exponent = Some(power);
      } else {
        number = round(&number, options);
      }
    }
    if matches!(value, Value::NaN) {
      number.sign = Sign::None;
      if matches!(signs, SignDisplay::Always) {
        number.sign = Sign::Positive;
      }
    } else {
      number.apply_sign_display(signs);
    }
    // The currency and percent patterns have no plus sign: a shown plus
    // is written where the pattern puts the minus.
    let plus = number.sign == Sign::Positive;
    let signed = || {
      let mut signed = number.clone();
      if plus {
        signed.sign = Sign::Negative;
      }
      signed
    };
    let (template, kind) = match &self.template {
      Template::Currency(currency) => (
        collect(&currency.format_fixed_decimal(&signed())),
        "currency",
      ),
      Template::Percent(percent) => (collect(&percent.format(&signed())), "percentSign"),
      _ => {
        let template = collect(&self.decimal.format(&number));
        // A plain number is its own template: nothing to put in place.
        if special.is_none() && exponent.is_none() {
          return merge(template);
        }
        (template, "")
      }
    };
    let mut absolute = number.clone();
    absolute.sign = Sign::None;
    let mut digits = match (special, &self.compact_inside) {
      (Some(special), _) => vec![special],
      (None, Some(compact)) => {
        let mut magnitude_only = unrounded.clone();
        magnitude_only.sign = Sign::None;
        self
          .compact(compact, &magnitude_only, SignDisplay::Never)
          .unwrap_or_else(|| collect(&self.decimal.format(&absolute)))
      }
      (None, None) => collect(&self.decimal.format(&absolute)),
    };
    if let Some(power) = exponent {
      digits.push(FormattedPart::new("exponentSeparator", "E"));
      if power < 0 {
        digits.push(FormattedPart::new("exponentMinusSign", "-"));
      }
      digits.push(FormattedPart::new(
        "exponentInteger",
        power.unsigned_abs().to_string(),
      ));
    }
    let spliced = splice(template, digits, || {
      self.plain.format(&absolute).to_string()
    });
    if kind.is_empty() {
      return merge(spliced);
    }
    let mut parts = label_literals(spliced, kind);
    if plus {
      if let Some(sign) = parts.iter_mut().find(|p| p.kind == "minusSign") {
        *sign = FormattedPart::new("plusSign", "+");
      }
    }
    parts
  }

  /// Compact notation as ECMA-402 has it: the digit options (by default
  /// two significant digits, or the integer) round the number as the
  /// pattern shows it (1.2 of "1.2M"), and its digits are parts of their
  /// own. ICU4X's compact formatter would round by CLDR's rule whatever the
  /// options and write the number as one piece of text.
  fn compact(
    &self,
    compact: &CompactDecimalFormatter,
    value: &Decimal,
    signs: SignDisplay,
  ) -> Option<Vec<FormattedPart>> {
    let scaled_at = |exponent: u8| {
      let mut scaled = value.clone();
      scaled.multiply_pow10(-i16::from(exponent));
      round(&scaled, &self.options)
    };
    let mut exponent = compact.compact_exponent_for_magnitude(magnitude(value));
    let mut significand = scaled_at(exponent);
    // Rounding can carry into the next unit (999.95K is 1M).
    let carried =
      compact.compact_exponent_for_magnitude(magnitude(&significand) + i16::from(exponent));
    if carried != exponent {
      exponent = carried;
      significand = scaled_at(exponent);
    }
    significand.apply_sign_display(signs);
    let template = collect(&compact.format_with_exponent(&significand, exponent).ok()?);
    let mut absolute = significand.clone();
    absolute.sign = Sign::None;
    let digits = collect(&self.decimal.format(&absolute));
    let written: String = digits.iter().map(|p| p.value.as_str()).collect();
    // The digits where the pattern wrote them; a pattern that names the
    // number in words ("mille") has none, and they are left out.
    let (mut out, _) = replace_text(template, &written, digits);
    out.retain(|p| !p.value.is_empty());
    Some(label_literals(out, "compact"))
  }

  /// The mantissa (rounded by the digit options) and the power of ten of
  /// scientific or engineering notation.
  fn scientific(&self, value: &Decimal) -> (Decimal, i16) {
    let step = if self.options.notation == "engineering" {
      3
    } else {
      1
    };
    let power_of = |value: &Decimal| magnitude(value).div_euclid(step) * step;
    let mut power = power_of(value);
    let mut mantissa = value.clone();
    mantissa.multiply_pow10(-power);
    mantissa = round(&mantissa, &self.options);
    // Rounding up can carry into the next power (9.99 -> 10.0).
    let carried = power_of(&mantissa);
    if carried != 0 {
      power += carried;
      let mut again = value.clone();
      again.multiply_pow10(-power);
      mantissa = round(&again, &self.options);
    }
    (mantissa, power)
  }
}

fn is_number_part(kind: &str) -> bool {
  matches!(kind, "integer" | "group" | "decimal" | "fraction")
}

/// `template` with its run of digits replaced by `digits`. A template
/// whose number is not marked as parts has it in its text as `plain()`
/// writes it.
fn splice(
  template: Vec<FormattedPart>,
  digits: Vec<FormattedPart>,
  plain: impl FnOnce() -> String,
) -> Vec<FormattedPart> {
  let Some(start) = template.iter().position(|p| is_number_part(&p.kind)) else {
    let (mut out, unplaced) = replace_text(template, &plain(), digits);
    out.extend(unplaced.unwrap_or_default());
    return out;
  };
  let end = template[start..]
    .iter()
    .position(|p| !is_number_part(&p.kind))
    .map_or(template.len(), |n| start + n);
  let mut out = template[..start].to_vec();
  out.extend(digits);
  out.extend_from_slice(&template[end..]);
  out
}

/// `template` with the first occurrence of `text` inside one of its parts
/// replaced by `digits`; the digits back if `text` is nowhere.
fn replace_text(
  template: Vec<FormattedPart>,
  text: &str,
  digits: Vec<FormattedPart>,
) -> (Vec<FormattedPart>, Option<Vec<FormattedPart>>) {
  let mut out = Vec::new();
  let mut digits = Some(digits);
  for part in template {
    match part.value.find(text) {
      Some(at) if !text.is_empty() && digits.is_some() => {
        out.push(FormattedPart::new(&part.kind, &part.value[..at]));
        out.extend(digits.take().unwrap_or_default());
        out.push(FormattedPart::new(
          &part.kind,
          &part.value[at + text.len()..],
        ));
      }
      _ => out.push(part),
    }
  }
  (out, digits)
}

fn is_space(c: char) -> bool {
  c.is_whitespace()
    || matches!(
      c,
      '\u{a0}' | '\u{202f}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
    )
}

fn is_sign(c: char) -> Option<&'static str> {
  match c {
    '-' | '\u{2212}' => Some("minusSign"),
    '+' => Some("plusSign"),
    _ => None,
  }
}

/// Splits the template's literal text into signs, spaces (`literal`) and
/// the rest, which is the currency, the percent sign or the compact suffix
/// (`kind`).
fn label_literals(parts: Vec<FormattedPart>, kind: &str) -> Vec<FormattedPart> {
  let mut out = Vec::new();
  for part in parts {
    if part.kind != "literal" {
      out.push(part);
      continue;
    }
    let mut run = String::new();
    let mut run_kind = "";
    let flush = |run: &mut String, run_kind: &str, out: &mut Vec<FormattedPart>| {
      if !run.is_empty() {
        out.push(FormattedPart::new(run_kind, std::mem::take(run)));
      }
    };
    for c in part.value.chars() {
      let this = if let Some(sign) = is_sign(c) {
        sign
      } else if is_space(c) || matches!(c, '(' | ')') {
        "literal"
      } else {
        kind
      };
      // A space inside a multi-word name ("US dollars") is the name's.
      if this == "literal" && run_kind == kind && c == ' ' && matches!(kind, "currency" | "unit") {
        run.push(c);
        continue;
      }
      if this != run_kind {
        flush(&mut run, run_kind, &mut out);
        run_kind = this;
      }
      run.push(c);
    }
    flush(&mut run, run_kind, &mut out);
  }
  // A name's trailing space belongs to the literal after it.
  let mut fixed: Vec<FormattedPart> = Vec::new();
  for mut part in out {
    if part.kind == kind && part.value.ends_with(' ') && part.value.trim_end() != "" {
      let trimmed = part.value.trim_end().to_string();
      let spaces = part.value[trimmed.len()..].to_string();
      part.value = trimmed;
      fixed.push(part);
      fixed.push(FormattedPart::new("literal", spaces));
    } else {
      fixed.push(part);
    }
  }
  merge(fixed)
}

thread_local! {
  static FORMATTERS: Handles<NumberOptions, NumberFormatter> = Handles::new();
  static PLURALS: Cache<(String, bool), PluralRules> = Cache::new();
}

/// A NumberFormat's (or PluralRules') formatter, by id.
#[op2]
pub fn op_intl_number_new(#[serde] options: NumberOptions) -> Result<u32, JsErrorBox> {
  FORMATTERS.with(|all| all.id_for(options, NumberFormatter::new))
}

fn number_formatter(id: u32) -> Result<std::rc::Rc<NumberFormatter>, JsErrorBox> {
  FORMATTERS.with(|all| all.get(id))
}

/// `value` (see `Value`) formatted as parts.
#[op2]
#[serde]
pub fn op_intl_number_format(
  id: u32,
  #[string] value: &str,
) -> Result<Vec<FormattedPart>, JsErrorBox> {
  let value = parse_value(value)?;
  Ok(number_formatter(id)?.format(&value))
}

/// `value` formatted, as one string.
#[op2]
#[string]
pub fn op_intl_number_format_string(id: u32, #[string] value: &str) -> Result<String, JsErrorBox> {
  let value = parse_value(value)?;
  Ok(
    number_formatter(id)?
      .format(&value)
      .into_iter()
      .map(|part| part.value)
      .collect(),
  )
}

fn plural_rules(locale: &str, ordinal: bool) -> Result<std::rc::Rc<PluralRules>, JsErrorBox> {
  PLURALS.with(|cache| {
    cache.get_or_try((locale.to_string(), ordinal), || {
      let locale = parse(locale)?;
      let kind = if ordinal {
        PluralRuleType::Ordinal
      } else {
        PluralRuleType::Cardinal
      };
      PluralRules::try_new((&locale).into(), kind.into()).map_err(|e| data_error("plural rules", e))
    })
  })
}

fn category_name(category: PluralCategory) -> &'static str {
  match category {
    PluralCategory::Zero => "zero",
    PluralCategory::One => "one",
    PluralCategory::Two => "two",
    PluralCategory::Few => "few",
    PluralCategory::Many => "many",
    _ => "other",
  }
}

/// The plural category of `value` once rounded by `options`' digits.
#[op2]
#[string]
pub fn op_intl_plural_select(
  id: u32,
  ordinal: bool,
  #[string] value: &str,
) -> Result<&'static str, JsErrorBox> {
  let formatter = number_formatter(id)?;
  let options = &formatter.options;
  let rules = plural_rules(&options.locale, ordinal)?;
  Ok(match parse_value(value)? {
    Value::Finite(value) => {
      let mut rounded = round(&value, options);
      rounded.sign = Sign::None;
      category_name(rules.category_for(&rounded))
    }
    _ => "other",
  })
}

/// The categories a locale's rules use, in ECMA-402's order.
#[op2]
#[serde]
pub fn op_intl_plural_categories(
  #[string] locale: &str,
  ordinal: bool,
) -> Result<Vec<&'static str>, JsErrorBox> {
  let rules = plural_rules(locale, ordinal)?;
  let present: Vec<&'static str> = rules.categories().map(category_name).collect();
  Ok(
    ["zero", "one", "two", "few", "many", "other"]
      .into_iter()
      .filter(|name| present.contains(name))
      .collect(),
  )
}

/// ISO 4217's minor units for `code` (2 unless listed).
#[op2(fast)]
pub fn op_intl_currency_digits(#[string] code: &str) -> u32 {
  match code.to_ascii_uppercase().as_str() {
    "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
    | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
    "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
    "CLF" | "UYW" => 4,
    _ => 2,
  }
}

/// ISO 4217's active codes.
pub const CURRENCIES: &[&str] = &[
  "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
  "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
  "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
  "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
  "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR",
  "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL",
  "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
  "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
  "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
  "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
  "UGX", "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR",
  "ZMW", "ZWG",
];

/// ECMA-402's sanctioned simple units.
pub const SANCTIONED_UNITS: &[&str] = &[
  "acre",
  "bit",
  "byte",
  "celsius",
  "centimeter",
  "day",
  "degree",
  "fahrenheit",
  "fluid-ounce",
  "foot",
  "gallon",
  "gigabit",
  "gigabyte",
  "gram",
  "hectare",
  "hour",
  "inch",
  "kilobit",
  "kilobyte",
  "kilogram",
  "kilometer",
  "liter",
  "megabit",
  "megabyte",
  "meter",
  "microsecond",
  "mile",
  "mile-scandinavian",
  "milliliter",
  "millimeter",
  "millisecond",
  "minute",
  "month",
  "nanosecond",
  "ounce",
  "percent",
  "petabyte",
  "pound",
  "second",
  "stone",
  "terabit",
  "terabyte",
  "week",
  "yard",
  "year",
];
