//! Timestamps and durations: ranges, arithmetic, parsing and formatting.

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};
use std::fmt;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z: CEL's timestamp range.
const MIN_TIMESTAMP_SECONDS: i128 = -62_135_596_800;
const MAX_TIMESTAMP_SECONDS: i128 = 253_402_300_799;
/// protobuf's duration range, +-10,000 years.
const MAX_DURATION_SECONDS: i128 = 315_576_000_000;

/// A point in time with nanosecond precision, between years 1 and 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    nanos: i128,
}

/// A signed span of time with nanosecond precision, within +-10,000 years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    nanos: i128,
}

impl Timestamp {
    /// Nanoseconds since the epoch, if inside CEL's range.
    pub fn from_nanos(nanos: i128) -> Option<Timestamp> {
        let range = MIN_TIMESTAMP_SECONDS * NANOS_PER_SECOND..(MAX_TIMESTAMP_SECONDS + 1) * NANOS_PER_SECOND;
        range.contains(&nanos).then_some(Timestamp { nanos })
    }

    /// Milliseconds since the epoch, if inside CEL's range.
    pub fn from_millis(millis: i64) -> Option<Timestamp> {
        Timestamp::from_nanos(i128::from(millis) * 1_000_000)
    }

    /// Nanoseconds since the epoch.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// Milliseconds since the epoch, rounded down (protobuf's `Timestamps.toMillis`).
    pub fn millis(&self) -> i64 {
        self.nanos.div_euclid(1_000_000) as i64
    }

    /// Whole seconds since the epoch, rounded down.
    pub fn seconds(&self) -> i64 {
        self.nanos.div_euclid(NANOS_PER_SECOND) as i64
    }

    pub(crate) fn add(self, d: Duration) -> Option<Timestamp> {
        Timestamp::from_nanos(self.nanos + d.nanos)
    }

    pub(crate) fn since(self, earlier: Timestamp) -> Option<Duration> {
        Duration::from_nanos(self.nanos - earlier.nanos)
    }

    /// Calendar fields at a UTC offset (in seconds): (year, month 1-12, day 1-31, hour,
    /// minute, second, nanosecond, day of week 0=Sunday, day of year 0-based).
    pub(crate) fn fields(&self, offset_seconds: i64) -> CivilTime {
        let local = self.nanos + i128::from(offset_seconds) * NANOS_PER_SECOND;
        let seconds = local.div_euclid(NANOS_PER_SECOND) as i64;
        let nano = local.rem_euclid(NANOS_PER_SECOND) as i64;
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            nano,
            day_of_week: (days + 4).rem_euclid(7),
            day_of_year: days - days_from_civil(year, 1, 1),
        }
    }
}

/// Broken-down local time; see [`Timestamp::fields`].
pub(crate) struct CivilTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub nano: i64,
    pub day_of_week: i64,
    pub day_of_year: i64,
}

impl Duration {
    /// A duration of `nanos` nanoseconds, if inside the protobuf range.
    pub fn from_nanos(nanos: i128) -> Option<Duration> {
        let limit = (MAX_DURATION_SECONDS + 1) * NANOS_PER_SECOND;
        (nanos.abs() < limit).then_some(Duration { nanos })
    }

    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub(crate) fn add(self, other: Duration) -> Option<Duration> {
        Duration::from_nanos(self.nanos + other.nanos)
    }

    pub(crate) fn negate(self) -> Duration {
        Duration { nanos: -self.nanos }
    }

    /// Parses Go/CEL duration syntax: `1h30m`, `-1.5s`, `300ms`, `2us`, `10ns`, `0`.
    pub(crate) fn parse(text: &str) -> Option<Duration> {
        let (negative, mut rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "0" {
            return Some(Duration { nanos: 0 });
        }
        if rest.is_empty() {
            return None;
        }
        let mut total: i128 = 0;
        while !rest.is_empty() {
            let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
            let number = &rest[..number_len];
            if number.is_empty() || number == "." {
                return None;
            }
            rest = &rest[number_len..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
            let scale: i128 = match &rest[..unit_len] {
                "ns" => 1,
                "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
                "ms" => 1_000_000,
                "s" => NANOS_PER_SECOND,
                "m" => 60 * NANOS_PER_SECOND,
                "h" => 3600 * NANOS_PER_SECOND,
                _ => return None,
            };
            rest = &rest[unit_len..];
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            if !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
            let mut nanos = whole.checked_mul(scale)?;
            let mut place = scale;
            for digit in fraction.bytes().take(18) {
                place /= 10;
                nanos += i128::from(digit - b'0') * place;
            }
            total = total.checked_add(nanos)?;
            if total > (MAX_DURATION_SECONDS + 1) * NANOS_PER_SECOND {
                return None;
            }
        }
        Duration::from_nanos(if negative { -total } else { total })
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, like protobuf's `Timestamps.toString`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.fields(0);
        write!(f, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)?;
        write_fraction(f, t.nano)?;
        write!(f, "Z")
    }
}

impl fmt::Display for Duration {
    /// Seconds with 0, 3, 6 or 9 fractional digits, like protobuf's `Durations.toString`: `90s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos < 0 {
            write!(f, "-")?;
        }
        let abs = self.nanos.abs();
        write!(f, "{}", abs / NANOS_PER_SECOND)?;
        write_fraction(f, (abs % NANOS_PER_SECOND) as i64)?;
        write!(f, "s")
    }
}

fn write_fraction(f: &mut fmt::Formatter<'_>, nano: i64) -> fmt::Result {
    if nano == 0 {
        Ok(())
    } else if nano % 1_000_000 == 0 {
        write!(f, ".{:03}", nano / 1_000_000)
    } else if nano % 1_000 == 0 {
        write!(f, ".{:06}", nano / 1_000)
    } else {
        write!(f, ".{nano:09}")
    }
}

/// A UTC offset in seconds from a time zone argument: `UTC`, `Z`, `+05:30`, `-0800`, `05:30`.
/// IANA names (`America/New_York`) need a zone database and are not supported.
pub(crate) fn parse_offset(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("utc") || zone.eq_ignore_ascii_case("gmt") || zone == "Z" {
        return Some(0);
    }
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => (1, zone),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A cursor over a date string.
struct Scan<'a> {
    s: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    /// Between `min` and `max` digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.at;
        while self.at < self.s.len() && self.at - start < max && self.s[self.at].is_ascii_digit() {
            self.at += 1;
        }
        if self.at - start < min {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.at]).ok()?.parse().ok()
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.s.get(self.at) == Some(&c);
        if found {
            self.at += 1;
        }
        found
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    fn rest(&self) -> &str {
        std::str::from_utf8(&self.s[self.at..]).unwrap_or("")
    }
}

fn to_timestamp(year: i64, month: i64, day: i64, seconds_of_day: i64, nano: i64, offset: i64) -> Option<Timestamp> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset;
    Timestamp::from_nanos(i128::from(seconds) * NANOS_PER_SECOND + i128::from(nano))
}

/// `HH:mm[:ss[.fffffffff]]` (hours and minutes may have one digit, as the server's formats
/// allow) → (seconds of day, nanoseconds).
fn time_of_day(scan: &mut Scan<'_>) -> Option<(i64, i64)> {
    let hour = scan.number(1, 2)?;
    if !scan.eat(b':') {
        return None;
    }
    let minute = scan.number(1, 2)?;
    let mut second = 0;
    let mut nano = 0;
    if scan.eat(b':') {
        second = scan.number(1, 2)?;
        if scan.eat(b'.') {
            let start = scan.at;
            let fraction = scan.number(1, 9)?;
            let digits = scan.at - start;
            nano = fraction * 10i64.pow(9 - digits as u32);
        }
    }
    (hour < 24 && minute < 60 && second < 61).then_some((hour * 3600 + minute * 60 + second.min(59), nano))
}

/// Instant's date strings: ISO 8601 / RFC 3339 with `T` or a space, optional seconds,
/// fraction and zone (`Z`, `+08`, `+0800`, `+08:00`, default UTC), a bare `yyyy-MM-dd`,
/// `M/d/yyyy`, `M/d/yyyy, h:mm:ss AM`, `MM-dd-yyyy`, RFC 1123 (`Sat, 05 Apr 2025 18:00:31 GMT`)
/// and `Wed Jul 09 2025`. Surrounding whitespace and JSON quotes are ignored. Words such as
/// `now` are not accepted.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text).trim();
    parse_iso(text).or_else(|| parse_us(text)).or_else(|| parse_named(text))
}

fn parse_iso(text: &str) -> Option<Timestamp> {
    let mut scan = Scan { s: text.as_bytes(), at: 0 };
    let year = scan.number(4, 9)?;
    if !scan.eat(b'-') {
        return None;
    }
    let month = scan.number(1, 2)?;
    if !scan.eat(b'-') {
        return None;
    }
    let day = scan.number(1, 2)?;
    if scan.done() {
        return to_timestamp(year, month, day, 0, 0, 0);
    }
    if !(scan.eat(b'T') || scan.eat(b't') || scan.eat(b' ')) {
        return None;
    }
    let (seconds, nano) = time_of_day(&mut scan)?;
    let offset = match scan.rest() {
        "" | "Z" | "z" => 0,
        zone if zone.starts_with(['+', '-']) => parse_offset(zone)?,
        _ => return None,
    };
    to_timestamp(year, month, day, seconds, nano, offset)
}

/// `M/d/yyyy`, `M/d/yyyy, h:mm:ss AM` and `MM-dd-yyyy`.
fn parse_us(text: &str) -> Option<Timestamp> {
    let mut scan = Scan { s: text.as_bytes(), at: 0 };
    let month = scan.number(1, 2)?;
    let separator = if scan.eat(b'/') {
        b'/'
    } else if scan.eat(b'-') {
        b'-'
    } else {
        return None;
    };
    let day = scan.number(1, 2)?;
    if !scan.eat(separator) {
        return None;
    }
    let year = scan.number(4, 9)?;
    if scan.done() {
        return to_timestamp(year, month, day, 0, 0, 0);
    }
    if separator != b'/' || !scan.eat(b',') || !scan.eat(b' ') {
        return None;
    }
    let (seconds, _) = time_of_day(&mut scan)?;
    let hour = seconds / 3600;
    let pm = match scan.rest() {
        " AM" | " am" => false,
        " PM" | " pm" => true,
        _ => return None,
    };
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour24 = hour % 12 + if pm { 12 } else { 0 };
    to_timestamp(year, month, day, seconds - hour * 3600 + hour24 * 3600, 0, 0)
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month_number(name: &str) -> Option<i64> {
    MONTHS.iter().position(|m| name.eq_ignore_ascii_case(m)).map(|i| i as i64 + 1)
}

/// `Sat, 05 Apr 2025 18:00:31 GMT` (RFC 1123) and `Wed Jul 09 2025`.
fn parse_named(text: &str) -> Option<Timestamp> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [weekday, day, month, year, time, zone] if weekday.ends_with(',') => {
            let mut scan = Scan { s: time.as_bytes(), at: 0 };
            let (seconds, _) = time_of_day(&mut scan)?;
            let offset = if zone.eq_ignore_ascii_case("gmt") || *zone == "Z" { 0 } else { parse_offset(zone)? };
            to_timestamp(year.parse().ok()?, month_number(month)?, day.parse().ok()?, seconds, 0, offset)
        }
        [_weekday, month, day, year] => to_timestamp(year.parse().ok()?, month_number(month)?, day.parse().ok()?, 0, 0, 0),
        _ => None,
    }
}
