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

/// Finds every PEM block in `text`.
///
/// Returns an empty scan if there is no BEGIN line at all; see [`bare_base64`] for pasted base64
/// without armour.
pub fn scan(text: &str) -> Result<PemScan, CodecError> {
    let mut scan = PemScan::default();
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r'))).collect();
    let mut index = 0;
    while let Some((number, line)) = lines.get(index) {
        index += 1;
        let Some(Marker::Begin(label)) = marker(line) else { continue };
        let begin_line = *number;
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
                    }
                }
            }
        }
        if !ended {
            scan.notes.push(format!("END line missing for {label} (BEGIN at line {begin_line})"));
        }
        if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED")) {
            return Err(CodecError::LegacyEncryptedPem { label });
        }
        let der = decode_body(&label, &body)?;
        scan.blocks.push(PemBlock { label, der, line: begin_line, headers });
    }
    Ok(scan)
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
    fn legacy_encrypted_keys_are_named() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,00\n\nMAMCAQU=\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(scan(text), Err(CodecError::LegacyEncryptedPem { .. })));
    }
}
