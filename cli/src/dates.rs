//! `--expires-at`: the platform's `yyyy-mm-ddT00:00:00Z` and RFC 3339, to Unix seconds. (Not named
//! `time`, which would shadow the `time` crate it uses.)

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses an RFC 3339 date-time (`2027-01-02T00:00:00Z`, `2027-01-02T10:30:00.5+02:00`).
pub(crate) fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a date like 2027-01-02T00:00:00Z (RFC 3339)");
    // RFC 3339's grammar separates date and time with `T`; the space its note lets an
    // application accept is a choice the platform's format does not make, nor does this tool.
    if text.as_bytes().get(10) == Some(&b' ') {
        return Err(bad());
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn reads_the_platform_format_and_rfc_3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2027-01-02T00:00:00Z"), Ok(1_798_848_000));
        assert_eq!(parse_rfc3339("2000-02-29T12:00:00Z"), Ok(951_825_600));
        assert_eq!(
            parse_rfc3339("2027-01-02T02:00:00+02:00"),
            Ok(1_798_848_000)
        );
        assert_eq!(
            parse_rfc3339("2027-01-01T23:00:00.250-01:00"),
            Ok(1_798_848_000)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "2027-01-02",
            "2027-01-02 00:00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "2027-01-02T24:00:00Z",
            "2027-01-02T00:00:00",
            "2027-01-02T00:00:00+2:00",
            "2027-01-02T00:00:00.Z",
            "tomorrow",
            "",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
