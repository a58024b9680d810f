//! Lints on a to-be-signed CRL (`TBSCertList`, RFC 5280 §5.1), run before it is signed: the
//! RFC 5280 profile (§5.1-5.3) and the CA/Browser Forum's CRL profile (BR §7.2).
//!
//! The TBS is walked element by element with borrowed DER views, never parsed into a tree, so a
//! CRL of a million entries is linted in one pass without holding a million parsed entries (a
//! full parse would take several hundred megabytes). The issuer name, key identifier, signature
//! algorithm and distribution point it must carry come from the caller, who knows the CA.

use std::collections::HashSet;

use der::asn1::{AnyRef, GeneralizedTime, UtcTime};
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use time::{Duration, OffsetDateTime};

use crate::{Finding, Severity};

/// The longest a subscriber CRL may be valid (nextUpdate - thisUpdate), BR §4.9.7.
pub const MAX_CRL_VALIDITY: Duration = Duration::days(10);

/// How far in the future thisUpdate may be (clock skew between machines).
const FUTURE_SKEW: Duration = Duration::minutes(5);

/// What a CRL must agree with.
#[derive(Debug, Clone)]
pub struct CrlContext<'a> {
    /// The issuing CA's subject, DER: the CRL's issuer, byte for byte.
    pub issuer_name: &'a [u8],
    /// The CA's key identifier: the CRL's authorityKeyIdentifier keyIdentifier.
    pub key_identifier: &'a [u8],
    /// The AlgorithmIdentifier the CA signs with, DER.
    pub signature_algorithm: &'a [u8],
    /// When it is made.
    pub now: OffsetDateTime,
    /// The URI its issuingDistributionPoint must name (a partition's), if it carries one.
    pub distribution_point: Option<&'a str>,
}

const OID_AKI: &[u8] = &[0x55, 0x1d, 0x23];
const OID_CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
const OID_IDP: &[u8] = &[0x55, 0x1d, 0x1c];
const OID_DELTA: &[u8] = &[0x55, 0x1d, 0x1b];
const OID_REASON: &[u8] = &[0x55, 0x1d, 0x15];
const OID_INVALIDITY: &[u8] = &[0x55, 0x1d, 0x18];

/// Findings as they are made.
struct Lints(Vec<Finding>);

impl Lints {
    fn error(&mut self, lint: &'static str, message: String) {
        self.0.push(Finding { lint, severity: Severity::Error, message });
    }

    fn warning(&mut self, lint: &'static str, message: String) {
        self.0.push(Finding { lint, severity: Severity::Warning, message });
    }
}

/// Why the TBS could not be walked at all: itself a finding.
fn malformed(e: impl std::fmt::Display) -> Finding {
    Finding { lint: "crl-der", severity: Severity::Error, message: format!("the CRL is not valid DER: {e}") }
}

fn context(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific { constructed, number: TagNumber(number) }
}

/// The elements of a SEQUENCE's contents, in order.
fn elements(contents: &[u8]) -> Result<Vec<AnyRef<'_>>, der::Error> {
    let mut reader = SliceReader::new(contents)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(AnyRef::decode(&mut reader)?);
    }
    Ok(out)
}

/// A Time (UTCTime or GeneralizedTime), with its encoding checked (RFC 5280 §5.1.2.4: UTCTime
/// through 2049, GeneralizedTime from 2050).
fn time_of(any: AnyRef<'_>, field: &str, lints: &mut Lints) -> Option<OffsetDateTime> {
    let seconds = match any.tag() {
        Tag::UtcTime => any.decode_as::<UtcTime>().map(|t| t.to_unix_duration().as_secs()),
        Tag::GeneralizedTime => any.decode_as::<GeneralizedTime>().map(|t| t.to_unix_duration().as_secs()),
        other => {
            lints.error("crl-time", format!("{field} is a {other}, not a UTCTime or GeneralizedTime"));
            return None;
        }
    };
    let at = match seconds.map(|s| OffsetDateTime::from_unix_timestamp(i64::try_from(s).unwrap_or(i64::MAX))) {
        Ok(Ok(at)) => at,
        _ => {
            lints.error("crl-time", format!("{field} is not a valid DER time"));
            return None;
        }
    };
    let utc_expected = at.year() < 2050;
    if utc_expected != (any.tag() == Tag::UtcTime) {
        lints.error(
            "crl-time-encoding",
            format!(
                "{field} ({}) must be {} (RFC 5280 §5.1.2.4)",
                at.year(),
                if utc_expected { "a UTCTime" } else { "a GeneralizedTime" }
            ),
        );
    }
    Some(at)
}

/// Lints a DER `TBSCertList`.
pub fn lint_tbs_crl(tbs: &[u8], context: &CrlContext<'_>) -> Vec<Finding> {
    let mut lints = Lints(Vec::new());
    if let Err(e) = walk(tbs, context, &mut lints) {
        lints.0.push(malformed(e));
    }
    lints.0
}

fn walk(tbs: &[u8], ctx: &CrlContext<'_>, lints: &mut Lints) -> Result<(), der::Error> {
    let outer = AnyRef::from_der(tbs)?;
    if outer.tag() != Tag::Sequence {
        lints.error("crl-der", "the TBSCertList is not a SEQUENCE".into());
        return Ok(());
    }
    let fields = elements(outer.value())?;
    let mut fields = fields.into_iter().peekable();
    // version: must be present and v2 (INTEGER 1), since the CRL has extensions (RFC 5280 §5.1.2.1).
    match fields.peek() {
        Some(v) if v.tag() == Tag::Integer => {
            if v.value() != [1] {
                lints.error("crl-version", "the CRL version must be v2 (1)".into());
            }
            fields.next();
        }
        _ => lints.error("crl-version", "the CRL version is missing; a CRL with extensions must be v2".into()),
    }
    let Some(signature) = fields.next() else {
        lints.error("crl-der", "the signature algorithm is missing".into());
        return Ok(());
    };
    let mut algorithm = Vec::new();
    der::Encode::encode_to_vec(&signature, &mut algorithm)?;
    if algorithm != ctx.signature_algorithm {
        lints.error(
            "crl-signature-algorithm",
            "the CRL's signature algorithm is not the one its CA signs with (byte-exact, BR §7.1.3.2)".into(),
        );
    }
    let Some(issuer) = fields.next() else {
        lints.error("crl-der", "the issuer is missing".into());
        return Ok(());
    };
    let mut issuer_der = Vec::new();
    der::Encode::encode_to_vec(&issuer, &mut issuer_der)?;
    if issuer_der != ctx.issuer_name {
        lints.error("crl-issuer", "the CRL's issuer is not its CA's subject, byte for byte (RFC 5280 §5.1.2.3)".into());
    }
    let this_update = fields.next().and_then(|t| time_of(t, "thisUpdate", lints));
    if let Some(this) = this_update
        && this > ctx.now + FUTURE_SKEW
    {
        lints.error("crl-this-update", format!("thisUpdate {this} is in the future"));
    }
    let next_update = match fields.peek() {
        Some(t) if matches!(t.tag(), Tag::UtcTime | Tag::GeneralizedTime) => {
            let t = *t;
            fields.next();
            time_of(t, "nextUpdate", lints)
        }
        _ => {
            lints.error("crl-next-update", "nextUpdate is missing (RFC 5280 §5.1.2.5, BR §7.2)".into());
            None
        }
    };
    if let (Some(this), Some(next)) = (this_update, next_update) {
        if next <= this {
            lints.error("crl-validity", "nextUpdate is not after thisUpdate".into());
        } else if next - this > MAX_CRL_VALIDITY {
            lints.error(
                "crl-validity",
                format!(
                    "the CRL is valid for {} hours; BR §4.9.7 allows at most {} (10 days)",
                    (next - this).whole_hours(),
                    MAX_CRL_VALIDITY.whole_hours()
                ),
            );
        }
    }
    if let Some(entries) = fields.peek().filter(|f| f.tag() == Tag::Sequence).copied() {
        fields.next();
        revoked_certificates(entries, this_update, lints)?;
    }
    match fields.next() {
        Some(extensions) if extensions.tag() == context(0, true) => crl_extensions(extensions, ctx, lints)?,
        Some(other) => lints.error("crl-der", format!("unexpected {} after the revoked certificates", other.tag())),
        None => lints.error("crl-extensions", "the CRL has no extensions: it needs a CRL number and AKI".into()),
    }
    if fields.next().is_some() {
        lints.error("crl-der", "data after the CRL extensions".into());
    }
    Ok(())
}

fn revoked_certificates(
    entries: AnyRef<'_>,
    this_update: Option<OffsetDateTime>,
    lints: &mut Lints,
) -> Result<(), der::Error> {
    if entries.value().is_empty() {
        lints.error(
            "crl-entries-empty",
            "revokedCertificates is present but empty; leave it out when nothing is revoked (RFC 5280 §5.1.2.6)".into(),
        );
        return Ok(());
    }
    let mut reader = SliceReader::new(entries.value())?;
    let mut holds = 0u64;
    while !reader.is_finished() {
        let entry = AnyRef::decode(&mut reader)?;
        // Read in place, with no allocation per entry: there may be millions.
        let mut fields = SliceReader::new(entry.value())?;
        let mut next = || -> Result<Option<AnyRef<'_>>, der::Error> {
            if fields.is_finished() { Ok(None) } else { AnyRef::decode(&mut fields).map(Some) }
        };
        let (serial, date, extensions, extra) = (next()?, next()?, next()?, next()?);
        let (Some(serial), Some(date)) = (serial, date) else {
            lints.error("crl-entry", "a CRL entry lacks its serial or revocation date".into());
            continue;
        };
        let raw = serial.value();
        if serial.tag() != Tag::Integer || raw.is_empty() || raw.first().is_some_and(|b| b & 0x80 != 0) {
            lints.error("crl-entry-serial", "a CRL entry's serial is not a positive INTEGER".into());
        } else if raw.iter().all(|b| *b == 0) {
            lints.error("crl-entry-serial", "a CRL entry's serial is zero".into());
        } else if raw.len() > 20 {
            lints.error("crl-entry-serial", format!("a CRL entry's serial has {} octets; at most 20", raw.len()));
        }
        let revoked_at = time_of(date, "a revocationDate", lints);
        if let (Some(at), Some(this)) = (revoked_at, this_update)
            && at > this
        {
            lints.error("crl-entry-date", format!("a revocation date ({at}) is after thisUpdate ({this})"));
        }
        if let Some(extensions) = extensions {
            if extensions.tag() != Tag::Sequence || extensions.value().is_empty() {
                lints.error("crl-entry-extensions", "crlEntryExtensions is present but empty or not a SEQUENCE".into());
            }
            let mut each = SliceReader::new(extensions.value())?;
            while !each.is_finished() {
                entry_extension(AnyRef::decode(&mut each)?, revoked_at, lints, &mut holds)?;
            }
        }
        if extra.is_some() {
            lints.error("crl-entry", "a CRL entry has data after its extensions".into());
        }
    }
    if holds > 0 {
        lints.warning(
            "crl-certificate-hold",
            format!("{holds} entries are on hold (certificateHold): a publicly trusted CA must not use it (BR §7.2.2)"),
        );
    }
    Ok(())
}

/// An extension's OID, criticality and value.
fn extension_parts<'a>(extension: AnyRef<'a>) -> Result<(&'a [u8], bool, &'a [u8]), der::Error> {
    let mut fields = SliceReader::new(extension.value())?;
    let mut next = || -> Result<Option<AnyRef<'a>>, der::Error> {
        if fields.is_finished() { Ok(None) } else { AnyRef::decode(&mut fields).map(Some) }
    };
    let (first, second, third, extra) = (next()?, next()?, next()?, next()?);
    if extra.is_some() {
        return Err(der::Tag::Sequence.value_error().into());
    }
    let oid = first.filter(|p| p.tag() == Tag::ObjectIdentifier).map(|p| p.value()).unwrap_or_default();
    let (critical, value) = match (second, third) {
        (Some(c), Some(v)) if c.tag() == Tag::Boolean => (c.value() == [0xff], v),
        (Some(v), None) => (false, v),
        _ => return Err(der::Tag::Sequence.value_error().into()),
    };
    if value.tag() != Tag::OctetString {
        return Err(der::Tag::OctetString.value_error().into());
    }
    Ok((oid, critical, value.value()))
}

fn entry_extension(
    extension: AnyRef<'_>,
    revoked_at: Option<OffsetDateTime>,
    lints: &mut Lints,
    holds: &mut u64,
) -> Result<(), der::Error> {
    let (oid, critical, value) = extension_parts(extension)?;
    if critical {
        lints.error("crl-entry-extension-critical", "CRL entry extensions must not be critical here".into());
    }
    match oid {
        OID_REASON => {
            let code = AnyRef::from_der(value)?;
            match (code.tag(), code.value()) {
                (Tag::Enumerated, [0]) => lints.error(
                    "crl-reason-unspecified",
                    "reasonCode unspecified (0) must be left out instead (RFC 5280 §5.3.1, BR §7.2.2)".into(),
                ),
                (Tag::Enumerated, [6]) => *holds += 1,
                (Tag::Enumerated, [1..=5 | 9]) => {}
                (Tag::Enumerated, [c]) => lints.error(
                    "crl-reason-code",
                    format!(
                        "reasonCode {c} is not one signet may use (8 and 10 are not reasons for a CRL of certificates)"
                    ),
                ),
                _ => lints.error("crl-reason-code", "reasonCode is not a one-octet ENUMERATED".into()),
            }
        }
        OID_INVALIDITY => {
            let date = AnyRef::from_der(value)?;
            if date.tag() != Tag::GeneralizedTime {
                lints.error("crl-invalidity-date", "invalidityDate must be a GeneralizedTime (RFC 5280 §5.3.2)".into());
            } else if let (Ok(date), Some(revoked)) = (date.decode_as::<GeneralizedTime>(), revoked_at) {
                let date = OffsetDateTime::from_unix_timestamp(date.to_unix_duration().as_secs() as i64)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                if date > revoked {
                    lints.warning(
                        "crl-invalidity-date",
                        format!("an invalidityDate ({date}) is after its revocation ({revoked})"),
                    );
                }
            }
        }
        other => lints.error("crl-entry-extension", format!("unexpected CRL entry extension {}", hex(other))),
    }
    Ok(())
}

fn hex(oid: &[u8]) -> String {
    oid.iter().map(|b| format!("{b:02x}")).collect()
}

fn crl_extensions(wrapper: AnyRef<'_>, ctx: &CrlContext<'_>, lints: &mut Lints) -> Result<(), der::Error> {
    let sequence = AnyRef::from_der(wrapper.value())?;
    let extensions = elements(sequence.value())?;
    let mut seen = HashSet::new();
    let (mut aki, mut number, mut idp) = (false, false, None);
    for extension in extensions {
        let (oid, critical, value) = extension_parts(extension)?;
        if !seen.insert(oid) {
            lints.error("crl-extension-unique", format!("extension {} appears twice", hex(oid)));
        }
        match oid {
            OID_AKI => {
                aki = true;
                if critical {
                    lints.error("crl-aki-critical", "authorityKeyIdentifier must not be critical".into());
                }
                let fields = elements(AnyRef::from_der(value)?.value())?;
                let key = fields.iter().find(|f| f.tag() == context(0, false)).map(|f| f.value());
                match key {
                    Some(key) if key == ctx.key_identifier => {}
                    Some(_) => {
                        lints.error("crl-aki", "the authorityKeyIdentifier is not the CA's key identifier".into())
                    }
                    None => lints.error("crl-aki", "the authorityKeyIdentifier has no keyIdentifier".into()),
                }
            }
            OID_CRL_NUMBER => {
                number = true;
                if critical {
                    lints.error("crl-number-critical", "cRLNumber must not be critical (RFC 5280 §5.2.3)".into());
                }
                let n = AnyRef::from_der(value)?;
                let raw = n.value();
                if n.tag() != Tag::Integer || raw.is_empty() || raw.first().is_some_and(|b| b & 0x80 != 0) {
                    lints.error("crl-number", "cRLNumber is not a non-negative INTEGER".into());
                } else if raw.len() > 20 {
                    lints.error("crl-number", format!("cRLNumber has {} octets; at most 20", raw.len()));
                }
            }
            OID_IDP => {
                if !critical {
                    lints.error(
                        "crl-idp-critical",
                        "issuingDistributionPoint must be critical (RFC 5280 §5.2.5)".into(),
                    );
                }
                idp = Some(value);
            }
            OID_DELTA => lints.error("crl-delta", "signet publishes full CRLs only, never delta CRLs".into()),
            other if critical => {
                lints.error("crl-extension-critical", format!("unknown critical extension {}", hex(other)))
            }
            _ => {}
        }
    }
    if !aki {
        lints.error("crl-aki", "authorityKeyIdentifier is missing (RFC 5280 §5.2.1)".into());
    }
    if !number {
        lints.error("crl-number", "cRLNumber is missing (RFC 5280 §5.2.3)".into());
    }
    match (idp, ctx.distribution_point) {
        (Some(value), Some(uri)) => issuing_distribution_point(value, uri, lints)?,
        (Some(_), None) => lints.error(
            "crl-idp",
            "a full CRL carries no issuingDistributionPoint here: it would leave out certificates naming a partition"
                .into(),
        ),
        (None, Some(uri)) => lints.error(
            "crl-idp",
            format!("a partitioned CRL needs an issuingDistributionPoint naming {uri} (BR §7.2.2.1)"),
        ),
        (None, None) => {}
    }
    Ok(())
}

/// The IDP names exactly the expected URI as its fullName, and asserts nothing else that
/// would narrow its scope (BR §7.2.2.1).
fn issuing_distribution_point(value: &[u8], uri: &str, lints: &mut Lints) -> Result<(), der::Error> {
    let fields = elements(AnyRef::from_der(value)?.value())?;
    let mut named = false;
    for field in fields {
        match field.tag() {
            t if t == context(0, true) => {
                let full_name = AnyRef::from_der(field.value())?;
                if full_name.tag() != context(0, true) {
                    lints.error("crl-idp", "the distributionPoint is not a fullName".into());
                    continue;
                }
                let names = elements(full_name.value())?;
                named = names.iter().any(|n| n.tag() == context(6, false) && n.value() == uri.as_bytes());
                if names.iter().any(|n| n.tag() != context(6, false)) {
                    lints
                        .error("crl-idp", "the distributionPoint names something other than URIs (BR §7.2.2.1)".into());
                }
            }
            t if t == context(1, false) || t == context(2, false) => {}
            _ => lints.error(
                "crl-idp",
                "the issuingDistributionPoint narrows its scope by reasons, indirection or attribute certificates"
                    .into(),
            ),
        }
    }
    if !named {
        lints.error("crl-idp", format!("the issuingDistributionPoint does not name {uri}, byte for byte"));
    }
    Ok(())
}
