//! The patterns of `Intl.NumberFormat`'s style "unit" ("{0} km/h",
//! "{0} kilometers per hour"), from CLDR's unit data in units.txt (made by
//! build/vendor-cldr; its header says the format). ICU4X's compiled data
//! names only some of ECMA-402's sanctioned units, so all of them are read
//! from there, the same way.
//!
//! The file is parsed once per process, on the first unit formatter.

use std::sync::OnceLock;

use icu_locale::LanguageIdentifier;

use super::cldr::Cldr;

static DATA: &str = include_str!("units.txt");

fn data() -> &'static Cldr {
  static PARSED: OnceLock<Cldr> = OnceLock::new();
  PARSED.get_or_init(|| Cldr::parse(DATA))
}

/// The record for `unit` at `width` as `locale` sees it, following the
/// locale's parents; a narrow or short width CLDR lacks falls back to the
/// wider one.
fn record(locale: &'static str, width: &str, unit: &str) -> Option<&'static str> {
  let widths: &[&str] = match width {
    "narrow" => &["narrow", "short", "long"],
    "long" => &["long", "short"],
    _ => &["short", "long"],
  };
  widths
    .iter()
    .find_map(|width| data().get(locale, width, unit))
}

fn field<'a>(record: &'a str, key: &str) -> Option<&'a str> {
  record
    .split('\t')
    .find_map(|f| f.strip_prefix(key).and_then(|f| f.strip_prefix('=')))
}

/// A unit's pattern for each plural category, `{0}` standing for the
/// number.
pub(crate) struct UnitPatterns {
  by_category: Vec<(&'static str, String)>,
}

const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

impl UnitPatterns {
  /// `unit` is a sanctioned unit or a `-per-` compound of two (js/intl.js
  /// has checked it); `width` is unitDisplay.
  pub(crate) fn new(id: &LanguageIdentifier, unit: &str, width: &str) -> Option<UnitPatterns> {
    let locale = data().start(id);
    let mut by_category = Vec::new();
    if let Some(direct) = record(locale, width, unit) {
      for category in CATEGORIES {
        if let Some(pattern) = field(direct, category) {
          by_category.push((category, pattern.to_string()));
        }
      }
      return Some(UnitPatterns { by_category });
    }
    // A compound CLDR does not spell out: the numerator's pattern, inside
    // the denominator's own "{0} per hour" if it has one, else inside the
    // locale's "{0} per {1}" with the denominator's singular name.
    let (numerator, denominator) = unit.split_once("-per-")?;
    let top = record(locale, width, numerator)?;
    let bottom = record(locale, width, denominator)?;
    let wrap: Box<dyn Fn(&str) -> String> = if let Some(per) = field(bottom, "per") {
      let per = per.to_string();
      Box::new(move |inner| per.replace("{0}", inner))
    } else {
      let compound = record(locale, width, "per")
        .and_then(|r| field(r, "pattern"))
        .unwrap_or("{0}/{1}");
      let name = field(bottom, "one")
        .or_else(|| field(bottom, "other"))
        .unwrap_or(denominator)
        .replace("{0}", "");
      let with_name = compound.replace("{1}", name.trim());
      Box::new(move |inner| with_name.replace("{0}", inner))
    };
    for category in CATEGORIES {
      if let Some(pattern) = field(top, category) {
        by_category.push((category, wrap(pattern)));
      }
    }
    Some(UnitPatterns { by_category })
  }

  /// The pattern for a plural category, or the `other` one.
  pub(crate) fn pattern(&self, category: &str) -> &str {
    let find = |wanted: &str| {
      self
        .by_category
        .iter()
        .find(|(c, _)| *c == wanted)
        .map(|(_, p)| p.as_str())
    };
    find(category).or_else(|| find("other")).unwrap_or("{0}")
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn patterns(tag: &str, unit: &str, width: &str) -> UnitPatterns {
    UnitPatterns::new(&tag.parse().unwrap(), unit, width).unwrap()
  }

  #[test]
  fn spelled_out_compound_and_fallback() {
    assert_eq!(
      patterns("en", "kilometer-per-hour", "long").pattern("other"),
      "{0} kilometers per hour"
    );
    assert_eq!(patterns("en-US", "byte", "narrow").pattern("one"), "{0}B");
    // Not spelled out: the denominator's own per pattern.
    assert_eq!(
      patterns("en", "kilobyte-per-second", "long").pattern("other"),
      "{0} kilobytes per second"
    );
    // Neither: the locale's compound pattern and the singular name.
    assert_eq!(
      patterns("en", "byte-per-kilobyte", "long").pattern("one"),
      "{0} byte per kilobyte"
    );
    // zh-TW is found as zh-Hant, not as (Simplified) zh.
    assert_eq!(
      patterns("zh-TW", "hour", "long").pattern("other"),
      patterns("zh-Hant", "hour", "long").pattern("other")
    );
    // A locale CLDR does not have at all still gets und's.
    assert!(UnitPatterns::new(&"xx".parse().unwrap(), "byte", "short").is_some());
  }
}
