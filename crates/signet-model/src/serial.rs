//! Certificate serial numbers (RFC 5280 §4.1.2.2): positive integers of at most 20 octets.
//!
//! A [`Serial`] holds the minimal big-endian magnitude, inline (a CRL of a million entries holds a
//! million of them). It parses the forms users paste: plain hex, hex with colons or spaces
//! (`"1b 4a b7 1e"`, as certutil prints), with or without `0x`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most octets a serial's magnitude has (RFC 5280 §4.1.2.2).
const MAX_OCTETS: usize = 20;

/// A positive certificate serial number of 1 to 20 octets.
#[derive(Clone, Copy)]
pub struct Serial {
    /// How many octets of `octets` are used.
    len: u8,
    /// The magnitude in the first `len` octets; the rest are zero.
    octets: [u8; MAX_OCTETS],
}

impl PartialEq for Serial {
    fn eq(&self, other: &Self) -> bool {
        self.magnitude() == other.magnitude()
    }
}

impl Eq for Serial {}

impl std::hash::Hash for Serial {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.magnitude().hash(state);
    }
}

impl PartialOrd for Serial {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Octet-wise order of the magnitudes (as before the serial was kept inline).
impl Ord for Serial {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.magnitude().cmp(other.magnitude())
    }
}

/// Why a serial number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerialError {
    /// The text was empty.
    #[error("the serial number is empty")]
    Empty,
    /// A character that is not a hex digit, space or colon.
    #[error("the serial number has {found:?} at position {position}; write it in hex, e.g. 1b4ab71e")]
    NotHex {
        /// The offending character.
        found: char,
        /// Its character index.
        position: usize,
    },
    /// Zero or negative serials are not allowed by RFC 5280.
    #[error("the serial number must be positive")]
    NotPositive,
    /// More than 20 octets.
    #[error("the serial number has {0} octets; RFC 5280 allows at most 20")]
    TooLong(usize),
}

impl Serial {
    /// The serial whose unsigned big-endian magnitude is `bytes` (leading zero octets removed).
    pub fn from_magnitude(bytes: &[u8]) -> Result<Self, SerialError> {
        let start = bytes.iter().position(|b| *b != 0).ok_or(SerialError::NotPositive)?;
        let magnitude = bytes.get(start..).unwrap_or_default();
        // DER adds a 0x00 octet when the top bit is set; the encoding must stay within 20 octets.
        let encoded_len = magnitude.len() + usize::from(magnitude.first().is_some_and(|b| b & 0x80 != 0));
        if encoded_len > MAX_OCTETS {
            return Err(SerialError::TooLong(encoded_len));
        }
        let mut octets = [0u8; MAX_OCTETS];
        // In bounds: encoded_len <= 20 was checked above, and magnitude.len() <= encoded_len.
        octets.get_mut(..magnitude.len()).ok_or(SerialError::TooLong(encoded_len))?.copy_from_slice(magnitude);
        Ok(Self { len: magnitude.len() as u8, octets })
    }

    /// Parses hex text, tolerating `0x`, colons and spaces.
    pub fn parse_hex(text: &str) -> Result<Self, SerialError> {
        // The form signet stores (lower-case hex of the magnitude), read without allocating:
        // a CRL reads a million of them.
        if let Some(serial) = Self::from_stored_hex(text) {
            return Ok(serial);
        }
        let trimmed = text.trim();
        let body = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
        let mut digits = String::with_capacity(body.len());
        for (position, c) in body.chars().enumerate() {
            match c {
                c if c.is_ascii_hexdigit() => digits.push(c),
                ' ' | ':' => {}
                found => return Err(SerialError::NotHex { found, position }),
            }
        }
        if digits.is_empty() {
            return Err(SerialError::Empty);
        }
        if digits.len() % 2 == 1 {
            digits.insert(0, '0');
        }
        let bytes = hex::decode(&digits).map_err(|_| SerialError::Empty)?;
        Self::from_magnitude(&bytes)
    }

    /// Plain hex of at most 40 digits, decoded straight into the inline octets; None for any
    /// other form (left to the general path, which also says what is wrong).
    fn from_stored_hex(text: &str) -> Option<Self> {
        let digits = text.as_bytes();
        if digits.is_empty() || digits.len() > 2 * MAX_OCTETS {
            return None;
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        let mut octets = [0u8; MAX_OCTETS];
        // Right-aligned: an odd count of digits leaves the top nibble zero.
        let len = digits.len().div_ceil(2);
        let offset = MAX_OCTETS - len;
        for (i, c) in digits.iter().rev().enumerate() {
            let value = nibble(*c)?;
            let slot = octets.get_mut(MAX_OCTETS - 1 - i / 2)?;
            *slot |= if i % 2 == 0 { value } else { value << 4 };
        }
        Self::from_magnitude(octets.get(offset..)?).ok()
    }

    /// The minimal big-endian magnitude.
    pub fn magnitude(&self) -> &[u8] {
        self.octets.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Lower-case hex of the magnitude, no separators; the canonical text form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.magnitude())
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl std::str::FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_hex(s)
    }
}

impl Serialize for Serial {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Serial {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_certutil_spaced_form() {
        let s = Serial::parse_hex("1b 4a b7 1e 00 00 00 00 00 1d").unwrap();
        assert_eq!(s.to_hex(), "1b4ab71e00000000001d");
    }

    #[test]
    fn strips_leading_zeroes_and_prefix() {
        assert_eq!(Serial::parse_hex("0x00:0a").unwrap().to_hex(), "0a");
        assert_eq!(Serial::parse_hex("abc").unwrap().to_hex(), "0abc");
        assert_eq!(Serial::parse_hex("00ff").unwrap().to_hex(), "ff");
        assert_eq!(Serial::parse_hex("7F").unwrap().to_hex(), "7f");
        assert_eq!(Serial::parse_hex(&"7f".repeat(20)).unwrap().magnitude(), &[0x7f; 20]);
        assert_eq!(Serial::parse_hex(&"ff".repeat(20)), Err(SerialError::TooLong(21)));
    }

    #[test]
    fn refuses_zero_garbage_and_too_long() {
        assert_eq!(Serial::parse_hex("00"), Err(SerialError::NotPositive));
        assert!(matches!(Serial::parse_hex("12g4"), Err(SerialError::NotHex { found: 'g', position: 2 })));
        assert_eq!(Serial::parse_hex(""), Err(SerialError::Empty));
        let twenty_high = [0xffu8; 20];
        assert_eq!(Serial::from_magnitude(&twenty_high), Err(SerialError::TooLong(21)));
        assert!(Serial::from_magnitude(&[0x7f; 20]).is_ok());
        assert_eq!(Serial::from_magnitude(&[0x7f; 20]).unwrap().magnitude(), &[0x7f; 20]);
        assert_eq!(Serial::from_magnitude(&[0, 0, 5]).unwrap(), Serial::from_magnitude(&[5]).unwrap());
    }
}
