//! Comparing JSON reports, as the differential tests do: every path where
//! two values differ, and the values of the tagged form the test workers
//! answer in (`{"ok": v}`, `{"error": {name, message}}`, `{"undefined":
//! null}`).

use serde_json::{json, Value};

/// The paths where two JSON values differ.
pub fn diff(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
  match (want, got) {
    (Value::Object(a), Value::Object(b)) => {
      for (k, v) in a {
        match b.get(k) {
          Some(w) => diff(&format!("{path}.{k}"), v, w, out),
          None => out.push(format!("{path}.{k}: expected {v}, missing")),
        }
      }
      for (k, v) in b {
        if !a.contains_key(k) {
          out.push(format!("{path}.{k}: unexpected {v}"));
        }
      }
    }
    (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
      for (i, (v, w)) in a.iter().zip(b).enumerate() {
        diff(&format!("{path}[{i}]"), v, w, out);
      }
    }
    _ if want != got => out.push(format!("{path}: expected {want}, got {got}")),
    _ => {}
  }
}

/// Fails with every difference, both values and `context` (what the
/// runtime printed, say) unless `got` equals `want`.
pub fn assert_json_with(what: &str, want: &Value, got: &Value, context: &str) {
  let mut out = Vec::new();
  diff("$", want, got, &mut out);
  assert!(
    out.is_empty(),
    "{what}:\n  {}\n-- expected:\n{}\n-- got:\n{}{context}",
    out.join("\n  "),
    serde_json::to_string_pretty(want).unwrap(),
    serde_json::to_string_pretty(got).unwrap()
  );
}

pub fn assert_json(what: &str, want: &Value, got: &Value) {
  assert_json_with(what, want, got, "");
}

/// A call that returned `v`.
pub fn ok(v: Value) -> Value {
  json!({ "ok": v })
}

/// A call that threw `name` with `message`.
pub fn error(name: &str, message: &str) -> Value {
  json!({ "error": { "name": name, "message": message } })
}

/// `undefined`, which JSON has no word for.
pub fn undef() -> Value {
  json!({ "undefined": null })
}

/// `value` with the value at each JSON pointer of `differences` replaced:
/// what kiln must answer where it deliberately differs from the reference.
pub fn with_differences(value: &Value, differences: &[(&str, Value)]) -> Value {
  let mut value = value.clone();
  for (pointer, kiln) in differences {
    *value
      .pointer_mut(pointer)
      .unwrap_or_else(|| panic!("{pointer} is not in the report")) = kiln.clone();
  }
  value
}

/// kiln's report `got` for `path` in a differential test: it must equal the
/// reference's report (when the reference ran) and `want`, except at
/// `differences`, where it must hold the values given there.
pub fn assert_kiln_report(
  path: &str,
  want: &Value,
  reference: Option<&Value>,
  got: &Value,
  differences: &[(&str, Value)],
) {
  if let Some(reference) = reference {
    assert_json(
      &format!("kiln differs from wrangler on {path}"),
      &with_differences(reference, differences),
      got,
    );
  }
  assert_json(
    &format!("kiln on {path}"),
    &with_differences(want, differences),
    got,
  );
}
