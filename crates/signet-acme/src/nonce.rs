//! Anti-replay nonces (RFC 8555 §6.5). Minting costs no storage: a nonce is 16 random bytes, its
//! expiry and a MAC over both under a key every front end of one database shares
//! ([`signet_store::AcmeStore::acme_secret`]), so any front end can tell its own and its
//! siblings' nonces from forgeries and expired ones. Redeeming one records it in the database,
//! which refuses a second redemption on any front end: each nonce is used once.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom;
use signet_model::Clock;
use signet_store::AcmeStore;
use time::{Duration, OffsetDateTime};

use crate::jws::{b64, b64_decode};
use crate::problem::{AcmeProblem, AcmeResult, ProblemType};

/// Random bytes of a nonce.
const RANDOM: usize = 16;
/// Bytes of the MAC kept.
const MAC: usize = 16;
/// Random, expiry (u64 seconds), MAC.
const LENGTH: usize = RANDOM + 8 + MAC;

/// Mints and redeems nonces.
pub struct Nonces {
    key: hmac::Key,
    store: Arc<dyn AcmeStore>,
    clock: Arc<dyn Clock>,
    lifetime: Duration,
}

impl Nonces {
    /// Nonces under the database's shared key (made on first use), valid for `lifetime`.
    pub async fn new(store: Arc<dyn AcmeStore>, clock: Arc<dyn Clock>, lifetime: Duration) -> AcmeResult<Self> {
        let mut fresh = vec![0u8; 32];
        aws_lc_rs::rand::SystemRandom::new().fill(&mut fresh).map_err(|_| AcmeProblem::internal())?;
        let secret = store.acme_secret("nonce-key", fresh, clock.now()).await?;
        Ok(Self { key: hmac::Key::new(hmac::HMAC_SHA256, &secret), store, clock, lifetime })
    }

    fn mac(&self, random: &[u8], expiry: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(random);
        context.update(expiry);
        context.sign()
    }

    /// A new nonce.
    pub fn mint(&self) -> AcmeResult<String> {
        let mut random = [0u8; RANDOM];
        aws_lc_rs::rand::SystemRandom::new().fill(&mut random).map_err(|_| AcmeProblem::internal())?;
        let expiry = u64::try_from((self.clock.now() + self.lifetime).unix_timestamp()).unwrap_or(0).to_be_bytes();
        let tag = self.mac(&random, &expiry);
        let mac = tag.as_ref().get(..MAC).ok_or_else(AcmeProblem::internal)?;
        Ok(b64(&[&random[..], &expiry, mac].concat()))
    }

    /// Redeems a nonce: `badNonce` unless it is one of this database's, unexpired and unused.
    pub async fn redeem(&self, nonce: &str) -> AcmeResult<()> {
        let (expires_at, now) = self.check(nonce)?;
        if !self.store.redeem_nonce(nonce, expires_at, now).await? {
            return Err(Self::used());
        }
        Ok(())
    }

    /// Redeems a nonce and reads the account `account` in the same step (see
    /// [`AcmeStore::redeem_nonce_and_read_account`]); `badNonce` as [`Self::redeem`], but a
    /// used nonce is reported by the caller (after the signature), with [`Self::used`].
    pub(crate) async fn redeem_reading_account(
        &self,
        nonce: &str,
        account: i64,
    ) -> AcmeResult<(bool, Option<signet_store::acme::AcmeAccountRecord>)> {
        let (expires_at, now) = self.check(nonce)?;
        Ok(self.store.redeem_nonce_and_read_account(nonce, expires_at, now, account).await?)
    }

    /// The problem for a nonce used before.
    pub(crate) fn used() -> AcmeProblem {
        bad_nonce("the nonce was used already")
    }

    /// Checks that a nonce is one of this database's and unexpired: its expiry, and the time now.
    fn check(&self, nonce: &str) -> AcmeResult<(OffsetDateTime, OffsetDateTime)> {
        let bad = bad_nonce;
        let bytes = b64_decode(nonce, "the nonce").map_err(|_| bad("the nonce was not issued by this server"))?;
        if bytes.len() != LENGTH {
            return Err(bad("the nonce was not issued by this server"));
        }
        let (random, rest) = bytes.split_at(RANDOM);
        let (expiry, mac) = rest.split_at(8);
        let tag = self.mac(random, expiry);
        let expected = tag.as_ref().get(..MAC).ok_or_else(AcmeProblem::internal)?;
        if verify_slices_are_equal(expected, mac).is_err() {
            return Err(bad("the nonce was not issued by this server"));
        }
        let seconds = u64::from_be_bytes(expiry.try_into().map_err(|_| AcmeProblem::internal())?);
        let expires_at = i64::try_from(seconds)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or_else(|| bad("the nonce was not issued by this server"))?;
        let now = self.clock.now();
        if expires_at <= now {
            return Err(bad("the nonce has expired"));
        }
        Ok((expires_at, now))
    }
}

/// A `badNonce` problem saying why and what to do.
fn bad_nonce(why: &str) -> AcmeProblem {
    AcmeProblem::new(ProblemType::BadNonce, format!("{why}; retry with the nonce in this answer's Replay-Nonce header"))
}
