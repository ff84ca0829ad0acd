//! Bad input to kiln's Intl (QuickJS build): numbers far outside any
//! Number's range, strings that would make a naive pattern backtrack,
//! dates past year 9999, lone surrogates, a cyclic array, malformed
//! locales, time zones, currencies and options. Each case answers or
//! throws the error V8 throws; the process neither crashes nor stalls.
//! What Intl answers for ordinary input is compared with workerd by
//! tests/e2e/language.rs.

use kiln_tests::{crash_lines, Kiln};
use serde_json::json;

#[tokio::test]
async fn hostile_input_answers_or_throws_and_the_process_lives() {
  let kiln = Kiln::start(&["intl/worker.js"]);
  let reply = tokio::time::timeout(std::time::Duration::from_secs(20), kiln.get("/"))
    .await
    .unwrap_or_else(|_| panic!("no answer within 20 s\n{}", kiln.output()));
  assert_eq!(reply.status, 200, "{}\n{}", reply.text(), kiln.output());
  let range = json!({ "error": "RangeError" });
  let body = reply.json();
  let expected = json!({
    // ECMA-402 rounds the exact value: three significant digits of
    // 1e-32768 are 0.
    "tinyExponent": "0",
    "hugeExponent": "string",
    "hugeCompact": "string",
    // Not a numeric string: NaN, as for Number("1...1x").
    "longNumericString": "NaN",
    "trailingDot": "5",
    "hugeBigInt": "string",
    "dayPeriodOnly": "string",
    "loneSurrogateUpper": true,
    // "a", the lone surrogate, " ", "b".
    "loneSurrogateSegments": 4,
    "emptySegments": 0,
    "cyclicArray": "1,",
    "badLocale": range,
    "badTimeZone": range,
    "badCurrency": range,
    "missingCurrency": { "error": "TypeError" },
    "badOption": range,
    "badUnit": range,
    "plusPercent": "+50%",
    "plusInfinity": "+\u{221e}",
    "numberingSystemLocale": "en",
    "unitHugeBigInt": "string",
    "unitNaN": "NaN km/h",
    // A language CLDR does not have: the root locale's patterns.
    "unitUnknownLanguage": "1B",
    "unitThreeParts": range,
    "rangeNaN": range,
    "everyComponent": "object",
    "componentsUnknownLanguage": "J",
    "compactCurrencyNaN": "$NaN",
    "compactCurrencyHugeBigInt": "string",
  });
  for (name, want) in expected.as_object().unwrap() {
    assert_eq!(&body[name], want, "{name}: {body}");
  }
  // A Date past year 9999 is formatted by V8; kiln refuses it with a
  // RangeError (docs/engine-differences.md), and must do no worse.
  for far in ["farDate", "rangeFarDate"] {
    assert!(
      body[far] == json!("string") || body[far] == range,
      "{far}: {body}"
    );
  }
  kiln.assert_alive();
  assert!(crash_lines(&kiln.output()).is_empty(), "{}", kiln.output());
}
