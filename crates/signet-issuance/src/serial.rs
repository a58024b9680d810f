//! Serial numbers: 128 bits from the operating system's CSPRNG, positive (BR §7.1 asks for at
//! least 64 bits; the 2019 EJBCA incident showed why "at least" matters).

use signet_model::Serial;

use crate::error::IssuanceError;

/// A fresh random serial.
pub fn random() -> Result<Serial, IssuanceError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| IssuanceError::Signing("the system random generator failed".into()))?;
    // A zero first octet would shorten the serial; keep all 16 octets significant.
    if bytes[0] == 0 {
        bytes[0] = 1;
    }
    Serial::from_magnitude(&bytes).map_err(|e| IssuanceError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_distinct_positive_and_long() {
        let mut seen = std::collections::HashSet::new();
        let mut high_bits = 0;
        for _ in 0..1000 {
            let s = random().unwrap();
            assert_eq!(s.magnitude().len(), 16);
            high_bits += usize::from(s.magnitude()[0] & 0x80 != 0);
            assert!(seen.insert(s));
        }
        // The top bit varies (no forced zero, unlike the 63-bit serials of 2019).
        assert!((300..700).contains(&high_bits), "{high_bits}");
    }
}
