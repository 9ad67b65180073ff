//! Timestamps as Koji sends them: a string like Python's `isoformat(' ')` in UTC
//! (`2025-01-02 03:04:05.123456+00:00`, no fraction when it is zero) plus `*_ts` epoch doubles.

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// Formats a timestamp the way Koji's hub does.
pub fn koji_time(micros: Micros) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
    if fraction == 0 {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}+00:00")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{fraction:06}+00:00")
    }
}

/// A timestamp as the Module Build Service shows it: `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub fn iso_utc(micros: Micros) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The `*_ts` value: seconds since the epoch as a double.
#[expect(
    clippy::cast_precision_loss,
    reason = "timestamps fit a double's 53 bits at microsecond precision"
)]
pub fn koji_ts(micros: Micros) -> f64 {
    micros as f64 / 1_000_000.0
}

/// Reads a time a client sent: epoch seconds (a double or an integer), or an ISO-like string
/// (`YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]` with optional `Z` or `+HH:MM`).
pub fn parse_client_time(value: &crate::xmlrpc::Value) -> Option<Micros> {
    use crate::xmlrpc::Value;
    match value {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "epoch seconds are far from the limits"
        )]
        Value::Double(d) => Some((d * 1_000_000.0).round() as i64),
        Value::Int(i) => i.checked_mul(1_000_000),
        Value::String(s) | Value::DateTime(s) => parse_iso(s),
        _ => None,
    }
}

fn parse_iso(text: &str) -> Option<Micros> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "epoch seconds are far from the limits"
        )]
        return Some((seconds * 1_000_000.0).round() as i64);
    }
    let (date, rest) = text.split_at(text.find([' ', 'T']).unwrap_or(text.len()));
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    let rest = rest.trim_start_matches([' ', 'T']);
    let (clock, offset_seconds) = split_offset(rest)?;
    let mut clock_parts = clock.split(':');
    let hour: i64 = clock_parts
        .next()
        .filter(|s| !s.is_empty())
        .map_or(Some(0), |s| s.parse().ok())?;
    let minute: i64 = clock_parts.next().map_or(Some(0), |s| s.parse().ok())?;
    let (second, micros) = match clock_parts.next() {
        None => (0, 0),
        Some(s) => match s.split_once('.') {
            None => (s.parse().ok()?, 0),
            Some((whole, frac)) => {
                let frac: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
                (whole.parse::<i64>().ok()?, frac.parse::<i64>().ok()?)
            }
        },
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds) * 1_000_000) + micros)
}

fn split_offset(clock: &str) -> Option<(&str, i64)> {
    if let Some(stripped) = clock.strip_suffix('Z') {
        return Some((stripped, 0));
    }
    if let Some(pos) = clock.rfind(['+', '-']) {
        let (time, offset) = clock.split_at(pos);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset.get(1..)?.replace(':', "");
        let hours: i64 = digits.get(..2)?.parse().ok()?;
        let minutes: i64 = digits
            .get(2..)
            .filter(|m| !m.is_empty())
            .map_or(Some(0), |m| m.parse().ok())?;
        return Some((time, sign * (hours * 3600 + minutes * 60)));
    }
    Some((clock, 0))
}

/// An rpm changelog date (`%a %b %d %Y`, `Thu Aug 16 2018`) of a Unix time, in UTC.
pub fn rpm_changelog_date(unix_seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds.div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month_name = MONTHS[usize::try_from(month.saturating_sub(1)).unwrap_or(0).min(11)];
    format!("{weekday} {month_name} {day:02} {year}")
}

/// Howard Hinnant's `civil_from_days`: a day count since 1970-01-01 to (year, month, day).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::Value;

    #[test]
    fn formats_like_python_isoformat() {
        assert_eq!(
            koji_time(1_795_342_317_597_181),
            "2026-11-22 10:11:57.597181+00:00"
        );
        assert_eq!(koji_time(1_795_342_317_000_000), "2026-11-22 10:11:57+00:00");
        assert_eq!(koji_time(0), "1970-01-01 00:00:00+00:00");
        assert_eq!(koji_ts(1_795_342_317_597_181), 1795342317.597181);
        assert_eq!(iso_utc(1_795_342_317_597_181), "2026-11-22T10:11:57Z");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn parses_client_times() {
        assert_eq!(
            parse_client_time(&Value::Double(1795342317.597181)),
            Some(1_795_342_317_597_181)
        );
        assert_eq!(
            parse_client_time(&Value::from("2026-11-22 10:11:57.597181+00:00")),
            Some(1_795_342_317_597_181)
        );
        assert_eq!(
            parse_client_time(&Value::from("2026-11-22T12:11:57+02:00")),
            Some(1_795_342_317_000_000)
        );
        assert_eq!(
            parse_client_time(&Value::from("2026-11-22")),
            Some(1_795_305_600_000_000)
        );
        assert_eq!(parse_client_time(&Value::from("yesterday")), None);
        for micros in [0, 951_782_400_000_000, 4_102_444_799_999_999] {
            assert_eq!(parse_client_time(&Value::from(koji_time(micros))), Some(micros));
        }
    }

    #[test]
    fn rpm_changelog_dates() {
        assert_eq!(rpm_changelog_date(0), "Thu Jan 01 1970");
        // 2018-08-16 08:08:15 UTC, the version of MBS's test module.
        assert_eq!(rpm_changelog_date(1_534_406_895), "Thu Aug 16 2018");
        assert_eq!(rpm_changelog_date(1_795_392_000), "Mon Nov 23 2026");
    }
}
