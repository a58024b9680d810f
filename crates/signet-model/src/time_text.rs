//! Times as signet writes them for people and programs — RFC 3339 in UTC, whole seconds
//! (`2026-06-01T12:00:00Z`), one precision everywhere in JSON — and as it reads them: RFC 3339 or a
//! plain date, meaning midnight UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Text that is not a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time; write 2027-03-01 or 2027-03-01T12:00:00Z")]
pub struct TimeError(String);

/// `at` in RFC 3339, UTC, whole seconds.
pub fn format(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let whole = utc.replace_nanosecond(0).unwrap_or(utc);
    whole.format(&Rfc3339).unwrap_or_else(|_| whole.to_string())
}

/// Reads RFC 3339 (`2027-03-01T12:00:00Z`, any offset) or a plain date (`2027-03-01`, midnight UTC).
pub fn parse(text: &str) -> Result<OffsetDateTime, TimeError> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &date)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| TimeError(text.chars().take(100).collect()))
}

/// `#[serde(serialize_with = "signet_model::time_text::serialize")]` for a time field.
pub fn serialize<S: serde::Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*at))
}

/// `#[serde(serialize_with = "signet_model::time_text::serialize_option")]` for an optional time.
pub fn serialize_option<S: serde::Serializer>(at: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&format(*at)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn one_precision_out_two_forms_in() {
        assert_eq!(format(datetime!(2026-06-01 14:00:00.123 +02:00)), "2026-06-01T12:00:00Z");
        assert_eq!(parse("2027-03-01").unwrap(), datetime!(2027-03-01 0:00 UTC));
        assert_eq!(parse("2027-03-01T12:00:00+01:00").unwrap(), datetime!(2027-03-01 11:00 UTC));
        for bad in ["", "yesterday", "2027-13-01", "01/03/2027"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
