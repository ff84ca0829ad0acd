//! SQLite's math functions (`sqrt`, `ln`, `pow`, ...). workerd compiles SQLite with
//! SQLITE_ENABLE_MATH_FUNCTIONS and lets applications call them; the bundled SQLite is built
//! without, so they are registered here with the same results: NULL for non-numeric arguments
//! and for results that are not numbers.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

type Unary = fn(f64) -> f64;
type Binary = fn(f64, f64) -> f64;

pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
  let flags = FunctionFlags::SQLITE_UTF8
    | FunctionFlags::SQLITE_DETERMINISTIC
    | FunctionFlags::SQLITE_INNOCUOUS;
  let unary: [(&str, Unary); 18] = [
    ("acos", f64::acos),
    ("acosh", f64::acosh),
    ("asin", f64::asin),
    ("asinh", f64::asinh),
    ("atan", f64::atan),
    ("atanh", f64::atanh),
    ("cos", f64::cos),
    ("cosh", f64::cosh),
    ("degrees", f64::to_degrees),
    ("exp", f64::exp),
    ("radians", f64::to_radians),
    ("sin", f64::sin),
    ("sinh", f64::sinh),
    ("sqrt", f64::sqrt),
    ("tan", f64::tan),
    ("tanh", f64::tanh),
    ("ln", f64::ln),
    ("log2", f64::log2),
  ];
  for (name, f) in unary {
    let positive_only = matches!(name, "ln" | "log2");
    conn.create_scalar_function(name, 1, flags, move |ctx| {
      Ok(number(ctx, 0).filter(|x| !positive_only || *x > 0.0).map(f))
    })?;
  }
  let binary: [(&str, Binary); 3] = [
    ("atan2", f64::atan2),
    ("pow", f64::powf),
    ("mod", |a, b| a % b),
  ];
  for (name, f) in binary {
    conn.create_scalar_function(name, 2, flags, move |ctx| {
      Ok(number(ctx, 0).zip(number(ctx, 1)).map(|(a, b)| f(a, b)))
    })?;
  }
  let rounding: [(&str, Unary); 3] = [
    ("ceil", f64::ceil),
    ("floor", f64::floor),
    ("trunc", f64::trunc),
  ];
  for (name, f) in rounding {
    conn.create_scalar_function(name, 1, flags, move |ctx| {
      // Integers come back unchanged, and as integers.
      Ok(match numeric(ctx, 0) {
        Some(Numeric::Integer(i)) => Value::Integer(i),
        Some(Numeric::Real(x)) => Value::Real(f(x)),
        None => Value::Null,
      })
    })?;
  }
  // log(X) is base 10; log(B, X) is base B.
  conn.create_scalar_function("log", 1, flags, |ctx| {
    Ok(number(ctx, 0).filter(|x| *x > 0.0).map(f64::log10))
  })?;
  conn.create_scalar_function("log", 2, flags, |ctx| {
    let base = number(ctx, 0)
      .filter(|b| *b > 0.0)
      .map(f64::ln)
      .filter(|lb| *lb > 0.0);
    let x = number(ctx, 1).filter(|x| *x > 0.0);
    Ok(base.zip(x).map(|(lb, x)| x.ln() / lb))
  })?;
  conn.create_scalar_function("pi", 0, flags, |_| Ok(std::f64::consts::PI))?;
  Ok(())
}

enum Numeric {
  Integer(i64),
  Real(f64),
}

fn number(ctx: &Context<'_>, i: usize) -> Option<f64> {
  numeric(ctx, i).map(|n| match n {
    Numeric::Integer(i) => i as f64,
    Numeric::Real(x) => x,
  })
}

/// The argument under SQLite's numeric affinity: text that reads as a number counts as one,
/// anything else (other text, blobs, NULL) does not.
fn numeric(ctx: &Context<'_>, i: usize) -> Option<Numeric> {
  match ctx.get_raw(i) {
    ValueRef::Integer(i) => Some(Numeric::Integer(i)),
    ValueRef::Real(x) => Some(Numeric::Real(x)),
    ValueRef::Text(t) => {
      let s = std::str::from_utf8(t).ok()?.trim();
      // Rust also accepts "inf" and "NaN", which SQLite does not read as numbers.
      if s.is_empty()
        || s
          .bytes()
          .any(|c| c.is_ascii_alphabetic() && c != b'e' && c != b'E')
      {
        return None;
      }
      if let Ok(i) = s.parse::<i64>() {
        return Some(Numeric::Integer(i));
      }
      s.parse::<f64>().ok().map(Numeric::Real)
    }
    ValueRef::Blob(_) | ValueRef::Null => None,
  }
}
