//! Expiry times (spec section 4.2, "expires").

use std::fmt;
use std::str::FromStr;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::Error;

/// The moment a piece of metadata expires, to the second, in UTC.
///
/// Only the strict form `YYYY-MM-DDTHH:MM:SSZ` is accepted (spec section 4.2). python-tuf parses
/// with `strptime`, which also takes unpadded fields such as `2030-1-1T0:0:0Z`; we refuse those
/// on purpose (the spec-vectors case `expires-unpadded` records the difference), so that
/// writing an `Expires` back always gives the bytes it was read from.
///
/// ```
/// use tuf_metadata::Expires;
/// let expires: Expires = "2030-01-01T00:00:00Z".parse().unwrap();
/// assert_eq!(expires.unix_seconds(), 1_893_456_000);
/// assert!(expires.is_expired_at(1_893_456_000));
/// assert!(!expires.is_expired_at(1_893_455_999));
/// assert_eq!(expires.to_string(), "2030-01-01T00:00:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expires(i64);

impl Expires {
    /// The latest representable year: keeps every value inside the four-digit year form.
    const MAX_YEAR: i32 = 9999;

    /// An expiry at `seconds` since the Unix epoch, if it falls within years 1 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        let datetime = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
        (1..=Self::MAX_YEAR)
            .contains(&datetime.year())
            .then_some(Expires(seconds))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Whether metadata with this expiry is expired at `now` (Unix seconds): it is once
    /// `expires <= now` (spec section 5.3.10 and others; python-tuf's `is_expired`).
    pub fn is_expired_at(self, now: i64) -> bool {
        self.0 <= now
    }

    fn datetime(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.0).ok()
    }
}

fn two_digits(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

fn parse_strict(value: &str) -> Option<Expires> {
    // YYYY-MM-DDTHH:MM:SSZ, exactly 20 bytes.
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        b'Z',
    ] = *value.as_bytes()
    else {
        return None;
    };
    let year_digits = [y0, y1, y2, y3];
    if !year_digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year = year_digits
        .iter()
        .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
    if year < 1 {
        return None;
    }
    let month = Month::try_from(two_digits(&[mo0, mo1])?).ok()?;
    let date = Date::from_calendar_date(year, month, two_digits(&[d0, d1])?).ok()?;
    let time = Time::from_hms(
        two_digits(&[h0, h1])?,
        two_digits(&[mi0, mi1])?,
        two_digits(&[s0, s1])?,
    )
    .ok()?;
    Some(Expires(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    ))
}

impl FromStr for Expires {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        parse_strict(value).ok_or_else(|| Error::Expires {
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The constructors keep the value inside years 1..=9999, so this always succeeds.
        let Some(dt) = self.datetime() else {
            return Err(fmt::Error);
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_form_only() {
        for bad in [
            "2030-1-1T0:0:0Z",
            "2030-01-01",
            "2030-01-01T00:00:00+00:00",
            "2030-01-01T00:00:00.5Z",
            "2030-01-01T00:00:00z",
            "2030-02-30T00:00:00Z",
            "2030-01-01T24:00:00Z",
            "0000-01-01T00:00:00Z",
            "２０３０-01-01T00:00:00Z",
            "",
        ] {
            assert!(
                matches!(bad.parse::<Expires>(), Err(Error::Expires { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn round_trips_extremes() {
        for good in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
        ] {
            let expires: Expires = good.parse().unwrap();
            assert_eq!(expires.to_string(), good);
            assert_eq!(
                Expires::from_unix_seconds(expires.unix_seconds()),
                Some(expires)
            );
        }
        assert_eq!(Expires::from_unix_seconds(i64::MAX), None);
    }
}
