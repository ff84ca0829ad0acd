//! Cron triggers (`[triggers] crons`): each expression is checked at start-up,
//! and while the worker runs, each time one comes due (in UTC, as on
//! Cloudflare) the worker gets a scheduled event: a request to its own
//! `/cdn-cgi/handler/scheduled?cron=…&time=…`, which js/dispatch.js turns
//! into a call of its `scheduled()` handler, exactly as when a person or a
//! test asks for one over HTTP.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::oneshot;

use crate::http::{IncomingRequest, RequestSender};

/// One cron trigger.
#[derive(Clone, Debug)]
pub struct Schedule {
  pub expression: String,
  cron: croner::Cron,
}

impl Schedule {
  /// A five-field cron expression (minute hour day-of-month month
  /// day-of-week, with `*`, lists, ranges, steps, names, `L`, `W` and `#`).
  pub fn parse(expression: &str) -> Result<Schedule, String> {
    let fields = expression.split_whitespace().count();
    if fields != 5 {
      return Err(format!(
        "invalid cron expression \"{expression}\": a cron trigger has 5 fields (minute hour day-of-month month day-of-week), not {fields}"
      ));
    }
    let cron = croner::Cron::from_str(expression)
      .map_err(|e| format!("invalid cron expression \"{expression}\": {e}"))?;
    Ok(Schedule {
      expression: expression.to_string(),
      cron,
    })
  }

  /// The first time after `after` at which it is due.
  pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    self.cron.find_next_occurrence(&after, false).ok()
  }
}

/// The request that runs `schedule`'s scheduled event at `time`.
fn scheduled_request(
  schedule: &Schedule,
  time: DateTime<Utc>,
) -> (
  IncomingRequest,
  oneshot::Receiver<http::Response<crate::http::ResponseBody>>,
) {
  let cron: String = url::form_urlencoded::byte_serialize(schedule.expression.as_bytes()).collect();
  let (reply, response) = oneshot::channel();
  let request = IncomingRequest {
    method: "GET".to_string(),
    url: format!(
      "http://localhost/cdn-cgi/handler/scheduled?cron={cron}&time={}",
      time.timestamp_millis()
    ),
    headers: http::HeaderMap::new(),
    body: None,
    reply,
    upgrade: None,
    durable_object: None,
    queue: None,
  };
  (request, response)
}

/// Runs the worker's cron triggers until its queue closes.
pub async fn run(schedules: Vec<Schedule>, requests: RequestSender) {
  if schedules.is_empty() {
    return;
  }
  let mut after = Utc::now();
  loop {
    let Some((time, _)) = schedules
      .iter()
      .filter_map(|s| Some((s.next_after(after)?, s)))
      .min_by_key(|(t, _)| *t)
    else {
      return;
    };
    let wait = (time - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    for schedule in schedules
      .iter()
      .filter(|s| s.next_after(after) == Some(time))
    {
      let (request, response) = scheduled_request(schedule, time);
      if requests.send(request).is_err() {
        return;
      }
      // The worker answers like any request; what went wrong is in its log.
      tokio::task::spawn_local(async move {
        let _ = response.await;
      });
    }
    after = time;
  }
}

/// Milliseconds since the epoch as a UTC time.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
  Utc.timestamp_millis_opt(ms).single()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn next_times_are_in_utc() {
    let every5 = Schedule::parse("*/5 * * * *").unwrap();
    let t = from_millis(
      Utc
        .with_ymd_and_hms(2026, 11, 30, 10, 2, 30)
        .unwrap()
        .timestamp_millis(),
    )
    .unwrap();
    assert_eq!(
      every5.next_after(t).unwrap(),
      Utc.with_ymd_and_hms(2026, 11, 30, 10, 5, 0).unwrap()
    );
    let midnight = Schedule::parse("0 0 * * *").unwrap();
    assert_eq!(
      midnight.next_after(t).unwrap(),
      Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    );
    let last_friday = Schedule::parse("0 12 * * 5L").unwrap();
    assert_eq!(
      last_friday.next_after(t).unwrap(),
      Utc.with_ymd_and_hms(2026, 12, 25, 12, 0, 0).unwrap()
    );
  }

  #[test]
  fn bad_expressions_are_refused() {
    for bad in ["61 * * * *", "not a cron", "* * * *", "0 * * * * *"] {
      assert!(Schedule::parse(bad).is_err(), "{bad}");
    }
  }
}
