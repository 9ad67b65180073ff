//! Koji's debug task `sleep(n)`: sleeps `n` seconds.

use std::time::Duration;

use common::FaultCode;
use common::xmlrpc::{Params, Value};
use tracing::info;

use crate::error::TaskError;
use crate::handler::{TaskContext, TaskHandler, check_keywords};

/// `sleep(n)`.
#[derive(Debug)]
pub struct Sleep;

/// Reads the number of seconds: an integer or a double, not negative.
pub fn seconds(value: Option<&Value>) -> Result<f64, TaskError> {
    #[expect(clippy::cast_precision_loss, reason = "sleep lengths are small")]
    let seconds = match value {
        Some(Value::Int(n)) => *n as f64,
        Some(Value::Double(d)) => *d,
        Some(other) => {
            return Err(TaskError::new(
                FaultCode::Parameter,
                format!("sleep() argument must be a number of seconds, not {other}"),
            ));
        }
        None => {
            return Err(TaskError::new(
                FaultCode::Parameter,
                "sleep() missing 1 required positional argument: 'n'",
            ));
        }
    };
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Err(TaskError::new(
            FaultCode::Parameter,
            format!("sleep() argument must not be negative, not {seconds}"),
        ));
    }
    Ok(seconds)
}

impl TaskHandler for Sleep {
    const METHOD: &'static str = "sleep";
    const WEIGHT: f64 = 0.25;

    fn run(cx: &mut TaskContext, params: Params) -> Result<Value, TaskError> {
        check_keywords(&params.keywords, &["n"], Self::METHOD)?;
        let n = seconds(params.positional.first().or_else(|| params.keywords.get("n")))?;
        info!(task.id = cx.id(), "Sleeping for {n} seconds");
        std::thread::sleep(Duration::from_secs_f64(n));
        info!(task.id = cx.id(), "Finished sleeping");
        Ok(Value::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_numbers() {
        assert_eq!(seconds(Some(&Value::Int(3))).unwrap(), 3.0);
        assert_eq!(seconds(Some(&Value::Double(0.5))).unwrap(), 0.5);
        let error = seconds(Some(&Value::from("BAD_ARG"))).unwrap_err();
        assert_eq!(error.code, 1019);
        assert_eq!(
            error.message,
            "sleep() argument must be a number of seconds, not 'BAD_ARG'"
        );
        assert!(seconds(Some(&Value::Int(-1))).is_err());
        assert!(seconds(None).is_err());
    }
}
