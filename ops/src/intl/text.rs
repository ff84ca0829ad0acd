//! Text in a locale: `Intl.Collator` and `localeCompare` (the Unicode
//! Collation Algorithm with CLDR's tailorings), `Intl.ListFormat`,
//! `Intl.Segmenter` (UAX #29 with dictionaries for Thai, Chinese,
//! Japanese...) and `toLocaleUpperCase`/`toLocaleLowerCase`.

use deno_core::op2;
use deno_error::JsErrorBox;
use icu_casemap::CaseMapper;
use icu_collator::options::{AlternateHandling, CaseLevel, CollatorOptions, Strength};
use icu_collator::preferences::{CollationCaseFirst, CollationNumericOrdering};
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};
use icu_list::options::{ListFormatterOptions, ListLength};
use icu_list::ListFormatter;
use icu_segmenter::options::{SentenceBreakInvariantOptions, WordBreakInvariantOptions};
use icu_segmenter::{GraphemeClusterSegmenter, SentenceSegmenter, WordSegmenter};
use serde::{Deserialize, Serialize};

use super::locale::parse;
use super::parts::{collect, FormattedPart};
use super::{range_error, Cache, Handles};

#[derive(Deserialize, Clone, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct CollatorOptionsJs {
  locale: String,
  sensitivity: String,
  ignore_punctuation: bool,
  numeric: bool,
  case_first: String,
}

thread_local! {
  static COLLATORS: Handles<CollatorOptionsJs, CollatorBorrowed<'static>> = Handles::new();
  static LISTS: Cache<(String, String, String), ListFormatter> = Cache::new();
}

/// A collator for the options, by id; the same options give the same id.
#[op2]
pub fn op_intl_collator_new(#[serde] options: CollatorOptionsJs) -> Result<u32, JsErrorBox> {
  COLLATORS.with(|all| {
    all.id_for(options, |options| {
      let locale = parse(&options.locale)?;
      let mut prefs = CollatorPreferences::from(&locale);
      prefs.numeric_ordering = Some(if options.numeric {
        CollationNumericOrdering::True
      } else {
        CollationNumericOrdering::False
      });
      prefs.case_first = match options.case_first.as_str() {
        "upper" => Some(CollationCaseFirst::Upper),
        "lower" => Some(CollationCaseFirst::Lower),
        "false" => Some(CollationCaseFirst::False),
        _ => prefs.case_first,
      };
      let mut icu = CollatorOptions::default();
      let (strength, case_level) = match options.sensitivity.as_str() {
        "base" => (Strength::Primary, CaseLevel::Off),
        "accent" => (Strength::Secondary, CaseLevel::Off),
        "case" => (Strength::Primary, CaseLevel::On),
        _ => (Strength::Tertiary, CaseLevel::Off),
      };
      icu.strength = Some(strength);
      icu.case_level = Some(case_level);
      if options.ignore_punctuation {
        icu.alternate_handling = Some(AlternateHandling::Shifted);
      }
      Collator::try_new(prefs, icu).map_err(|e| range_error(format!("no collation data: {e}")))
    })
  })
}

/// -1, 0 or 1 as `a` sorts before, with or after `b`.
#[op2(fast)]
pub fn op_intl_compare(id: u32, #[string] a: &str, #[string] b: &str) -> i32 {
  COLLATORS.with(|all| {
    all
      .get(id)
      .map_or(0, |collator| collator.compare(a, b) as i32)
  })
}

/// `Intl.ListFormat`'s parts for `items`.
#[op2]
#[serde]
pub fn op_intl_list_format(
  #[string] locale: &str,
  #[string] kind: &str,
  #[string] style: &str,
  #[serde] items: Vec<String>,
) -> Result<Vec<FormattedPart>, JsErrorBox> {
  let formatter = LISTS.with(|cache| {
    cache.get_or_try(
      (locale.to_string(), kind.to_string(), style.to_string()),
      || {
        let parsed = parse(locale)?;
        let mut options = ListFormatterOptions::default();
        options.length = Some(match style {
          "short" => ListLength::Short,
          "narrow" => ListLength::Narrow,
          _ => ListLength::Wide,
        });
        let built = match kind {
          "disjunction" => ListFormatter::try_new_or((&parsed).into(), options),
          "unit" => ListFormatter::try_new_unit((&parsed).into(), options),
          _ => ListFormatter::try_new_and((&parsed).into(), options),
        };
        built.map_err(|e| range_error(format!("no list data: {e}")))
      },
    )
  })?;
  Ok(collect(&formatter.format(items.iter().map(String::as_str))))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segments {
  /// Where each segment starts, in UTF-16 code units, and the text's end.
  boundaries: Vec<u32>,
  /// For words: whether each segment is a word (letters, numbers, ideographs).
  word_like: Vec<bool>,
}

/// The segments of `text` (given as UTF-16, so that the boundaries are
/// JavaScript's string indices) at `granularity`.
#[op2]
#[serde]
pub fn op_intl_segment(#[string] granularity: &str, #[serde] text: Vec<u16>) -> Segments {
  let mut boundaries = Vec::new();
  let mut word_like = Vec::new();
  match granularity {
    "word" => {
      let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
      let mut breaks = segmenter.segment_utf16(&text);
      while let Some(at) = breaks.next() {
        if at > 0 {
          word_like.push(breaks.is_word_like());
        }
        boundaries.push(at as u32);
      }
    }
    "sentence" => {
      let segmenter = SentenceSegmenter::new(SentenceBreakInvariantOptions::default());
      boundaries.extend(segmenter.segment_utf16(&text).map(|at| at as u32));
    }
    _ => {
      let segmenter = GraphemeClusterSegmenter::new();
      boundaries.extend(segmenter.segment_utf16(&text).map(|at| at as u32));
    }
  }
  if boundaries.first() != Some(&0) {
    boundaries.insert(0, 0);
  }
  Segments {
    boundaries,
    word_like,
  }
}

/// `text` upper- (`upper`) or lower-cased by the rules of `locale`'s
/// language (Turkish dotted i, Lithuanian dots, Greek accents...).
#[op2]
#[string]
pub fn op_intl_case(
  #[string] locale: &str,
  upper: bool,
  #[string] text: &str,
) -> Result<String, JsErrorBox> {
  let id = parse(locale)?.id;
  let mapper = CaseMapper::new();
  Ok(if upper {
    mapper.uppercase_to_string(text, &id).into_owned()
  } else {
    mapper.lowercase_to_string(text, &id).into_owned()
  })
}
