//! A tolerant PEM reader and a strict PEM writer (RFC 7468).
//!
//! Users paste certificates and CSRs from e-mails and web pages (seed mistake P4): the BEGIN/END
//! lines go missing or lose dashes, lines end in CRLF, base64 arrives wrapped at any width or not
//! at all, with stray spaces and tabs, and `openssl x509 -text` dumps surround the block. The
//! reader accepts all of that, and records what it had to forgive as notes; what it writes is
//! always canonical RFC 7468 (64-column lines, LF).

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::error::CodecError;

/// One PEM block: its label and decoded contents.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label from the BEGIN line, upper case, e.g. `CERTIFICATE REQUEST`.
    pub label: String,
    /// The decoded DER bytes.
    pub der: Vec<u8>,
    /// 1-based line of the BEGIN line.
    pub line: usize,
    /// RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL key encryption).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Contents may be a private key: never print them.
        write!(f, "PemBlock({}, {} bytes, line {})", self.label, self.der.len(), self.line)
    }
}

impl Drop for PemBlock {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.der);
    }
}

/// What the reader found in a text.
#[derive(Debug, Default)]
pub struct PemScan {
    /// Blocks in order of appearance.
    pub blocks: Vec<PemBlock>,
    /// Things the reader forgave, in words, e.g. "END line missing for CERTIFICATE".
    pub notes: Vec<String>,
}

/// Base64 that accepts missing or present padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, PartialEq, Eq)]
enum Marker {
    Begin(String),
    End(String),
}

/// Recognises `-----BEGIN LABEL-----` and forgiving variants (fewer dashes, spaces, no dashes).
fn marker(line: &str) -> Option<Marker> {
    let had_dashes = line.trim().starts_with('-') || line.trim().ends_with('-');
    let inner = line.trim().trim_matches('-').trim();
    let (is_begin, rest) = if let Some(rest) = inner.strip_prefix("BEGIN ") {
        (true, rest)
    } else if let Some(rest) = inner.strip_prefix("END ") {
        (false, rest)
    } else {
        return None;
    };
    let label = rest.trim().to_string();
    let plausible = !label.is_empty()
        && label.len() <= 64
        && label.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ' || c == '#');
    if !plausible || !(had_dashes || is_known_label(&label)) {
        return None;
    }
    Some(if is_begin { Marker::Begin(label) } else { Marker::End(label) })
}

fn is_known_label(label: &str) -> bool {
    crate::object::ObjectKind::from_pem_label(label).is_some()
}

fn base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='
}

fn decode_body(label: &str, lines: &[(usize, &str)]) -> Result<Vec<u8>, CodecError> {
    let mut body = String::new();
    for (number, line) in lines {
        for (column, c) in line.chars().enumerate() {
            if c.is_whitespace() {
                continue;
            }
            if !base64_char(c) {
                return Err(CodecError::PemBadBase64 {
                    label: label.to_string(),
                    line: *number,
                    detail: format!("character {c:?} at column {} is not base64", column + 1),
                });
            }
            body.push(c);
        }
    }
    if body.is_empty() {
        return Err(CodecError::PemBadBase64 {
            label: label.to_string(),
            line: lines.first().map_or(0, |(n, _)| *n),
            detail: "the block is empty".into(),
        });
    }
    LENIENT.decode(body.trim_end_matches('=')).map_err(|e| CodecError::PemBadBase64 {
        label: label.to_string(),
        line: lines.first().map_or(0, |(n, _)| *n),
        detail: format!("{e} (a line may be missing or cut short)"),
    })
}

/// Whether a line could be part of a base64 body (base64 characters and whitespace only).
fn is_base64_line(line: &str) -> bool {
    line.chars().all(|c| base64_char(c) || c.is_whitespace())
}

/// Finds every PEM block in `text`.
///
/// Damaged armour is forgiven and noted: a block without its END line ends at the first blank or
/// non-base64 line; an END line without its BEGIN line takes the base64 lines just above it (from
/// the first that starts like DER, with `M`). Text after the last block is noted as ignored.
/// Returns an empty scan if there is no BEGIN or END line at all; see [`bare_base64`] for pasted
/// base64 without armour.
pub fn scan(text: &str) -> Result<PemScan, CodecError> {
    let mut scan = PemScan::default();
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).collect();
    let mut index = 0;
    // Where the text that belongs to no block starts (after the last block read).
    let mut loose_start = 0;
    while let Some((number, line)) = lines.get(index) {
        index += 1;
        match marker(line) {
            Some(Marker::Begin(label)) => {
                index = read_block(&mut scan, &lines, index, *number, label)?;
                loose_start = index;
            }
            Some(Marker::End(label)) => {
                let loose = lines.get(loose_start..index - 1).unwrap_or_default();
                read_orphan_end(&mut scan, loose, *number, label)?;
                loose_start = index;
            }
            None => {}
        }
    }
    if let Some(last) = scan.blocks.last() {
        let label = last.label.clone();
        let trailing = lines.get(loose_start..).unwrap_or_default();
        if let Some((number, line)) = trailing.iter().find(|(_, l)| !l.trim().is_empty()) {
            let line = line.trim();
            scan.notes.push(if line.len() >= 40 && is_base64_line(line) {
                format!(
                    "base64 text after the last block ({label}) was ignored (line {number}): if it is another object, its BEGIN and END lines are missing"
                )
            } else {
                let shown: String = line.chars().take(40).collect();
                format!("text after the last block ({label}) was ignored (line {number}: {shown:?})")
            });
        }
    }
    Ok(scan)
}

/// Reads a block whose BEGIN line was just read; returns the index of the first line after it.
fn read_block(
    scan: &mut PemScan,
    lines: &[(usize, &str)],
    mut index: usize,
    begin_line: usize,
    label: String,
) -> Result<usize, CodecError> {
    let mut headers = Vec::new();
    let mut body: Vec<(usize, &str)> = Vec::new();
    let mut ended = false;
    while let Some((n, l)) = lines.get(index) {
        match marker(l) {
            Some(Marker::End(end_label)) => {
                index += 1;
                if end_label != label {
                    scan.notes.push(format!("BEGIN {label} at line {begin_line} ends with END {end_label}"));
                }
                ended = true;
                break;
            }
            Some(Marker::Begin(_)) => break,
            None => {
                index += 1;
                let is_header = body.is_empty() && l.contains(':') && !l.trim().chars().all(base64_char);
                if is_header {
                    if let Some((k, v)) = l.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                } else if !l.trim().is_empty() {
                    body.push((*n, l));
                } else if !body.is_empty() {
                    // A blank line inside a body: keep it visible to the END-missing case below.
                    body.push((*n, ""));
                }
            }
        }
    }
    if ended {
        body.retain(|(_, l)| !l.is_empty());
    } else {
        scan.notes.push(format!("END line missing for {label} (BEGIN at line {begin_line})"));
        // Without an END line the body ends at the first blank or non-base64 line; what follows
        // is the rest of the message (a signature, a reply), not part of the block.
        if let Some(cut) = body.iter().position(|(_, l)| l.is_empty() || !is_base64_line(l)) {
            let rest = body.split_off(cut);
            // Hand the rest back to the caller as text after the block.
            if let Some((first, _)) = rest.iter().find(|(_, l)| !l.trim().is_empty()) {
                index = lines.iter().position(|(n, _)| n == first).unwrap_or(index);
            }
        }
    }
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED")) {
        return Err(CodecError::LegacyEncryptedPem { label });
    }
    let der = decode_body(&label, &body)?;
    scan.blocks.push(PemBlock { label, der, line: begin_line, headers });
    Ok(index)
}

/// An END line with no BEGIN line: the base64 lines just above it are the block.
fn read_orphan_end(
    scan: &mut PemScan,
    loose: &[(usize, &str)],
    end_line: usize,
    label: String,
) -> Result<(), CodecError> {
    let mut start = loose.len();
    while start > 0 && loose.get(start - 1).is_some_and(|(_, l)| !l.trim().is_empty() && is_base64_line(l)) {
        start -= 1;
    }
    let mut body = loose.get(start..).unwrap_or_default();
    // DER starts with a SEQUENCE (0x30), which base64 writes as `M`: drop words before it.
    while let Some(((_, first), rest)) = body.split_first() {
        if first.trim_start().starts_with('M') {
            break;
        }
        body = rest;
    }
    let Some((first_line, _)) = body.first() else {
        scan.notes.push(format!("END {label} at line {end_line} has no BEGIN line and no base64 above it; ignored"));
        return Ok(());
    };
    let damaged_begin = loose
        .iter()
        .take_while(|(n, _)| n < first_line)
        .last()
        .filter(|(_, l)| l.to_ascii_uppercase().contains("BEGIN"));
    scan.notes.push(match damaged_begin {
        Some((n, l)) => format!(
            "the BEGIN line of {label} is damaged (line {n}: {:?}): read the base64 from line {first_line} to the END line",
            l.trim()
        ),
        None => format!(
            "BEGIN line missing for {label} (END at line {end_line}): read the base64 from line {first_line}"
        ),
    });
    let der = decode_body(&label, body)?;
    scan.blocks.push(PemBlock { label, der, line: *first_line, headers: Vec::new() });
    Ok(())
}

/// Decodes text that is only base64 (a paste without BEGIN/END lines), or `None` if it is not.
pub fn bare_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 16 || !compact.chars().all(base64_char) {
        return None;
    }
    LENIENT.decode(compact.trim_end_matches('=')).ok()
}

/// Encodes `der` as a canonical PEM block (64-column base64, LF line endings).
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let bytes = body.as_bytes();
    for chunk in bytes.chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

    #[test]
    fn round_trips_canonical_pem() {
        let text = encode("CERTIFICATE", DER);
        assert_eq!(text, "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n");
        let scan = scan(&text).unwrap();
        assert_eq!(scan.blocks.len(), 1);
        assert_eq!(scan.blocks[0].der, DER);
        assert!(scan.notes.is_empty());
    }

    #[test]
    fn forgives_crlf_spaces_short_dashes_and_missing_end() {
        let text = "junk before\r\n---BEGIN CERTIFICATE---\r\n  MAM CAQU  \r\n";
        let scan = scan(text).unwrap();
        assert_eq!(scan.blocks[0].der, DER);
        assert_eq!(scan.blocks[0].line, 2);
        assert!(scan.notes[0].contains("END line missing"));
    }

    #[test]
    fn reads_a_paste_without_armour() {
        let long = general_purpose::STANDARD.encode([0x30u8; 40]);
        let wrapped = format!("{}\n{}\n", &long[..20], &long[20..]);
        assert_eq!(bare_base64(&wrapped).unwrap(), vec![0x30u8; 40]);
        assert!(bare_base64("hello, world").is_none());
    }

    #[test]
    fn bad_base64_names_the_line() {
        let text = "-----BEGIN CERTIFICATE-----\nMAMC\nAQ!U\n-----END CERTIFICATE-----\n";
        match scan(text) {
            Err(CodecError::PemBadBase64 { line, detail, .. }) => {
                assert_eq!(line, 3);
                assert!(detail.contains("'!'"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_end_line_without_its_begin_line_is_read_with_a_note() {
        let long = general_purpose::STANDARD
            .encode([0x30u8, 0x40].iter().chain([0x05u8; 0x40].iter()).copied().collect::<Vec<u8>>());
        let body = format!("{}\n{}", &long[..40], &long[40..]);
        let der = LENIENT.decode(&long).unwrap();
        // Alone, and after a line of words from the e-mail it was pasted from.
        for text in [
            format!("{body}\n-----END CERTIFICATE REQUEST-----\n"),
            format!("Hi, here it is:\nThanks\n{body}\n-----END CERTIFICATE REQUEST-----\n"),
        ] {
            let scan = scan(&text).unwrap();
            assert_eq!(scan.blocks.len(), 1, "{text}");
            assert_eq!(scan.blocks[0].label, "CERTIFICATE REQUEST");
            assert_eq!(scan.blocks[0].der, der);
            assert!(scan.notes[0].starts_with("BEGIN line missing for CERTIFICATE REQUEST"), "{:?}", scan.notes);
        }
        // The second block of a chain that lost its BEGIN line.
        let chain = format!("{}{body}\n-----END CERTIFICATE-----\n", encode("CERTIFICATE", DER));
        let scan = scan(&chain).unwrap();
        assert_eq!(scan.blocks.len(), 2);
        assert_eq!(scan.blocks[1].der, der);
        assert!(scan.notes[0].contains("END at line 6): read the base64 from line 4"), "{:?}", scan.notes);
    }

    #[test]
    fn a_damaged_begin_line_is_named() {
        let text = "-----BEGIN CERTIFIC!TE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n";
        let scan = scan(text).unwrap();
        assert_eq!(scan.blocks[0].der, DER);
        assert!(scan.notes[0].contains("BEGIN line of CERTIFICATE is damaged (line 1"), "{:?}", scan.notes);
    }

    #[test]
    fn a_missing_end_line_stops_at_the_rest_of_the_message() {
        let text = "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n\nRegards,\nBob\n";
        let scan = scan(text).unwrap();
        assert_eq!(scan.blocks[0].der, DER);
        assert!(scan.notes[0].contains("END line missing"), "{:?}", scan.notes);
        assert!(
            scan.notes[1].contains("text after the last block (CERTIFICATE) was ignored (line 4"),
            "{:?}",
            scan.notes
        );
        let text = "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-- \nBob, Example Ltd\n";
        assert_eq!(super::scan(text).unwrap().blocks[0].der, DER);
    }

    #[test]
    fn trailing_data_after_the_last_block_is_reported() {
        let clean = format!("{}\n\n", encode("CERTIFICATE", DER));
        assert!(scan(&clean).unwrap().notes.is_empty());
        let words = format!("{}Regards\n", encode("CERTIFICATE", DER));
        let notes = scan(&words).unwrap().notes;
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("\"Regards\""), "{notes:?}");
        let base64 = format!("{}{}\n", encode("CERTIFICATE", DER), "QUJD".repeat(16));
        let notes = scan(&base64).unwrap().notes;
        assert!(notes[0].contains("BEGIN and END lines are missing"), "{notes:?}");
    }

    #[test]
    fn legacy_encrypted_keys_are_named() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,00\n\nMAMCAQU=\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(scan(text), Err(CodecError::LegacyEncryptedPem { .. })));
    }
}
