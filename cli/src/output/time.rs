//! Times as the stock client prints them, in the local time zone (`TZ` or `/etc/localtime`):
//! `time.asctime`, `koji.formatTime`, `koji.formatTimeLong`, and elapsed times.

use std::sync::OnceLock;

use tz::{DateTime, TimeZone};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn local_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| TimeZone::local().unwrap_or_else(|_| TimeZone::utc()))
}

/// A broken-down time in some zone, with the zone's abbreviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Days since Sunday.
    pub week_day: u8,
    /// The zone's abbreviation at that time ("UTC", "CET", "EDT").
    pub zone: String,
}

impl Civil {
    /// A Unix time (seconds; the fraction is dropped as Python's `localtime` drops it) in `zone`.
    pub fn in_zone(ts: f64, zone: &TimeZone) -> Civil {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "timestamps are far inside the i64 range; Python truncates the same way"
        )]
        let secs = ts.floor() as i64;
        match DateTime::from_timespec(secs, 0, zone.as_ref()) {
            Ok(t) => Civil {
                year: t.year(),
                month: t.month(),
                day: t.month_day(),
                hour: t.hour(),
                minute: t.minute(),
                second: t.second(),
                week_day: t.week_day(),
                zone: t.local_time_type().time_zone_designation().to_owned(),
            },
            Err(_) => Civil {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                week_day: 4,
                zone: "UTC".into(),
            },
        }
    }

    /// A Unix time in the local zone.
    pub fn local(ts: f64) -> Civil {
        Civil::in_zone(ts, local_zone())
    }

    fn day_name(&self) -> &'static str {
        DAYS.get(usize::from(self.week_day)).copied().unwrap_or("???")
    }

    fn month_name(&self) -> &'static str {
        MONTHS
            .get(usize::from(self.month).saturating_sub(1))
            .copied()
            .unwrap_or("???")
    }

    /// `time.asctime`: `Sun Nov 22 10:20:16 2026`, the day padded with a space.
    pub fn asctime(&self) -> String {
        format!(
            "{} {} {:2} {:02}:{:02}:{:02} {}",
            self.day_name(),
            self.month_name(),
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }

    /// `%Y-%m-%d %H:%M:%S`.
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `%a, %d %b %Y %H:%M:%S %Z`: `Sun, 22 Nov 2026 10:20:18 UTC`.
    pub fn long(&self) -> String {
        format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} {}",
            self.day_name(),
            self.day,
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.zone
        )
    }
}

/// `time.asctime(time.localtime(ts))`, used by list-history, taskinfo and friends.
pub fn asctime(ts: f64) -> String {
    Civil::local(ts).asctime()
}

/// `koji.formatTime(ts)`: `2026-11-22 10:20:16` in local time.
pub fn format_time(ts: f64) -> String {
    Civil::local(ts).iso()
}

/// `koji.formatTime(text)` for a time string from the hub: the text up to its last `.`.
pub fn format_time_str(text: &str) -> &str {
    text.rfind('.')
        .map_or(text, |dot| text.get(..dot).unwrap_or(text))
}

/// `koji.formatTimeLong(ts)`: `Sun, 22 Nov 2026 10:20:18 UTC` in local time.
pub fn format_time_long(ts: f64) -> String {
    Civil::local(ts).long()
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian), Howard Hinnant's algorithm.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Koji's `TimeOption`: a Unix timestamp, or a local `YYYY-MM-DD[ HH:MM[:SS]]` (also with a
/// `T`), as seconds. `None` if the text is neither.
pub fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<f64>() {
        return Some(ts);
    }
    let (date, clock) = match text.split_once([' ', 'T']) {
        Some((date, clock)) => (date, clock.trim()),
        None => (text, ""),
    };
    let numbers =
        |s: &str, sep: char| -> Option<Vec<i64>> { s.split(sep).map(|p| p.parse::<i64>().ok()).collect() };
    let date = numbers(date, '-')?;
    let [year, month, day] = date.as_slice() else {
        return None;
    };
    let clock = if clock.is_empty() {
        vec![0, 0, 0]
    } else {
        numbers(clock, ':')?
    };
    let (hour, minute, second) = match clock.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if !(1..=12).contains(month) || !(1..=31).contains(day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let naive = days_from_civil(*year, *month, *day) * 86_400 + hour * 3600 + minute * 60 + second;
    let zone = local_zone();
    let offset = |t: i64| {
        zone.find_local_time_type(t)
            .map_or(0, |local| i64::from(local.ut_offset()))
    };
    let guess = naive - offset(naive);
    #[expect(clippy::cast_precision_loss, reason = "timestamps fit in an f64 mantissa")]
    Some((naive - offset(guess)) as f64)
}

/// MBS's UTC times (`YYYY-MM-DDTHH:MM:SSZ`) as Unix seconds; `None` for anything else.
pub fn parse_zulu(text: &str) -> Option<f64> {
    let (date, clock) = text.strip_suffix('Z')?.split_once('T')?;
    let numbers =
        |s: &str, sep: char| -> Option<Vec<i64>> { s.split(sep).map(|p| p.parse::<i64>().ok()).collect() };
    let (date, clock) = (numbers(date, '-')?, numbers(clock, ':')?);
    let ([year, month, day], [hour, minute, second]) = (date.as_slice(), clock.as_slice()) else {
        return None;
    };
    let ts = days_from_civil(*year, *month, *day) * 86_400 + hour * 3600 + minute * 60 + second;
    #[expect(clippy::cast_precision_loss, reason = "timestamps fit in an f64 mantissa")]
    Some(ts as f64)
}

/// An elapsed time as `H:MM:SS` (or `M:SS` under an hour), for progress displays.
pub fn elapsed(secs: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to zero and rounded down; durations fit easily"
    )]
    let total = secs.max(0.0) as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ts: f64, zone: &str, asctime: &str, iso: &str, long: &str) {
        let zone = TimeZone::from_posix_tz(zone).unwrap();
        let civil = Civil::in_zone(ts, &zone);
        assert_eq!(civil.asctime(), asctime);
        assert_eq!(civil.iso(), iso);
        assert_eq!(civil.long(), long);
    }

    #[test]
    fn utc() {
        check(
            1_795_342_816.5,
            "UTC0",
            "Sun Nov 22 10:20:16 2026",
            "2026-11-22 10:20:16",
            "Sun, 22 Nov 2026 10:20:16 UTC",
        );
    }

    #[test]
    fn single_digit_days_are_space_padded_in_asctime() {
        check(
            1_793_614_816.0,
            "UTC0",
            "Mon Nov  2 10:20:16 2026",
            "2026-11-02 10:20:16",
            "Mon, 02 Nov 2026 10:20:16 UTC",
        );
    }

    #[test]
    fn zones_with_daylight_saving() {
        check(
            1_751_364_000.0,
            "CET-1CEST,M3.5.0,M10.5.0/3",
            "Tue Jul  1 12:00:00 2025",
            "2025-07-01 12:00:00",
            "Tue, 01 Jul 2025 12:00:00 CEST",
        );
    }

    #[test]
    fn time_options() {
        assert_eq!(parse_time("1700000000.5"), Some(1_700_000_000.5));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 22) * 86_400, 1_795_305_600);
        assert!(parse_time("2026-11-22 10:20").is_some());
        assert!(parse_time("2026-13-01").is_none());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn strings_and_elapsed() {
        assert_eq!(
            format_time_str("2026-11-22 10:11:57.597181+00:00"),
            "2026-11-22 10:11:57"
        );
        assert_eq!(format_time_str("2026-11-22 10:11:57"), "2026-11-22 10:11:57");
        assert_eq!(elapsed(59.9), "0:59");
        assert_eq!(elapsed(3723.0), "1:02:03");
    }

    #[test]
    fn zulu_times() {
        assert_eq!(parse_zulu("2026-11-22T10:20:16Z"), Some(1_795_342_816.0));
        assert_eq!(parse_zulu("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_zulu("2026-11-22 10:20:16"), None);
        assert_eq!(parse_zulu("2026-11-22T10:20Z"), None);
    }
}
