//! `[acme]`: the ACME server's settings, validated. The directory is at
//! `{public_url}/acme/directory`; profiles marked `acme = true` are offered by name.

use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;

use crate::{ConfigProblem, setting};

/// `[acme]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawAcme {
    pub enabled: bool,
    pub default_profile: Option<String>,
    pub terms_of_service: Option<String>,
    pub website: Option<String>,
    pub caa_identities: Vec<String>,
    pub eab_required: bool,
    pub http01_port: u16,
    pub tls_alpn01_port: u16,
    pub dns_resolver: Option<String>,
    pub validation_networks: Vec<String>,
    pub order_lifetime_hours: i64,
    pub authorization_lifetime_hours: i64,
    pub authorization_reuse_days: i64,
    pub orders_per_account_per_hour: u32,
    pub orders_per_name_per_week: u32,
    pub danger_skip_validation: bool,
}

impl Default for RawAcme {
    fn default() -> Self {
        Self {
            enabled: true,
            default_profile: None,
            terms_of_service: None,
            website: None,
            caa_identities: Vec::new(),
            eab_required: false,
            http01_port: 80,
            tls_alpn01_port: 443,
            dns_resolver: None,
            validation_networks: DEFAULT_NETWORKS.iter().map(ToString::to_string).collect(),
            order_lifetime_hours: 24,
            authorization_lifetime_hours: 24,
            authorization_reuse_days: 30,
            orders_per_account_per_hour: 300,
            orders_per_name_per_week: 50,
            danger_skip_validation: false,
        }
    }
}

/// What validation may reach unless the configuration says more: this machine (loopback) and
/// link-local addresses, nothing else.
pub const DEFAULT_NETWORKS: &[&str] = &["127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10"];

/// An address block (`10.0.0.0/8`, `::1/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// The first address.
    pub address: IpAddr,
    /// Bits of the prefix.
    pub prefix: u8,
}

impl Network {
    /// Parses `ADDRESS/PREFIX` (or a bare address: one host).
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, prefix.parse::<u8>().ok()?),
            None => {
                let address = text.parse::<IpAddr>().ok()?;
                (address, if address.is_ipv4() { 32 } else { 128 })
            }
        };
        let width = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= width).then_some(Self { address, prefix })
    }

    /// Whether `ip` is in this block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `[acme]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// Serve ACME at all.
    pub enabled: bool,
    /// The profile of orders that name none.
    pub default_profile: String,
    /// Terms of service URL (clients must agree when set).
    pub terms_of_service: Option<String>,
    /// Website URL for the directory's meta.
    pub website: Option<String>,
    /// Issuer domain names CAA records must name to allow issuance (RFC 8659).
    pub caa_identities: Vec<String>,
    /// New accounts need External Account Binding.
    pub eab_required: bool,
    /// Port http-01 validation connects to.
    pub http01_port: u16,
    /// Port tls-alpn-01 validation connects to.
    pub tls_alpn01_port: u16,
    /// The DNS server every lookup goes to; `None`: the system's (`/etc/resolv.conf`).
    pub dns_resolver: Option<SocketAddr>,
    /// Addresses validation may connect to.
    pub validation_networks: Vec<Network>,
    /// How long an order may wait to be finalized.
    pub order_lifetime: time::Duration,
    /// How long a pending authorization may wait to be validated.
    pub authorization_lifetime: time::Duration,
    /// How long a valid authorization is reused for new orders of its account.
    pub authorization_reuse: time::Duration,
    /// New orders per account per hour.
    pub orders_per_account_per_hour: u32,
    /// Orders naming one identifier (any account) per week.
    pub orders_per_name_per_week: u32,
    /// Challenges are never checked (benchmarks only; `signet serve` refuses it without
    /// `--danger-skip-validation`).
    pub danger_skip_validation: bool,
}

fn positive(key: &str, value: i64, high: i64) -> Result<i64, ConfigProblem> {
    if (1..=high).contains(&value) {
        Ok(value)
    } else {
        Err(setting(format!("acme.{key}"), format!("{value} is not between 1 and {high}")))
    }
}

pub(crate) fn settings(
    raw: &RawAcme,
    profiles: &[signet_issuance::Profile],
    acme_profiles: &[String],
    public_url: &str,
) -> Result<AcmeSettings, ConfigProblem> {
    // Without a profile marked acme = true, and none named, ACME is simply off.
    let enabled = raw.enabled && (raw.default_profile.is_some() || !acme_profiles.is_empty());
    let default_profile = match &raw.default_profile {
        Some(name) => name.clone(),
        None => acme_profiles.first().cloned().unwrap_or_default(),
    };
    if enabled && !acme_profiles.contains(&default_profile) {
        let offered = if acme_profiles.is_empty() { "none".to_string() } else { acme_profiles.join(", ") };
        return Err(setting(
            "acme.default_profile",
            format!(
                "{default_profile:?} is not a profile with acme = true (those are: {offered}); mark one, or set enabled = false"
            ),
        ));
    }
    let _ = profiles;
    for url in [&raw.terms_of_service, &raw.website].into_iter().flatten() {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(setting("acme", format!("{url:?} is not an http(s) URL")));
        }
    }
    let dns_resolver = raw
        .dns_resolver
        .as_deref()
        .map(|text| {
            text.parse::<SocketAddr>()
                .map_err(|_| setting("acme.dns_resolver", format!("{text:?} is not IP:PORT, e.g. \"127.0.0.1:8053\"")))
        })
        .transpose()?;
    let validation_networks = raw
        .validation_networks
        .iter()
        .map(|text| {
            Network::parse(text).ok_or_else(|| {
                setting("acme.validation_networks", format!("{text:?} is not an address block like \"10.0.0.0/8\""))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let caa_identities = if raw.caa_identities.is_empty() {
        crate::url_host(public_url).map(str::to_string).into_iter().collect()
    } else {
        raw.caa_identities.iter().map(|d| d.trim().to_ascii_lowercase()).collect()
    };
    if raw.http01_port == 0 || raw.tls_alpn01_port == 0 {
        return Err(setting("acme", "http01_port and tls_alpn01_port must not be 0"));
    }
    Ok(AcmeSettings {
        enabled,
        default_profile,
        terms_of_service: raw.terms_of_service.clone(),
        website: raw.website.clone(),
        caa_identities,
        eab_required: raw.eab_required,
        http01_port: raw.http01_port,
        tls_alpn01_port: raw.tls_alpn01_port,
        dns_resolver,
        validation_networks,
        order_lifetime: time::Duration::hours(positive("order_lifetime_hours", raw.order_lifetime_hours, 24 * 30)?),
        authorization_lifetime: time::Duration::hours(positive(
            "authorization_lifetime_hours",
            raw.authorization_lifetime_hours,
            24 * 30,
        )?),
        authorization_reuse: time::Duration::days(positive(
            "authorization_reuse_days",
            raw.authorization_reuse_days,
            398,
        )?),
        orders_per_account_per_hour: raw.orders_per_account_per_hour,
        orders_per_name_per_week: raw.orders_per_name_per_week,
        danger_skip_validation: raw.danger_skip_validation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_what_they_should() {
        let loopback = Network::parse("127.0.0.0/8").unwrap();
        assert!(loopback.contains("127.1.2.3".parse().unwrap()));
        assert!(loopback.contains("::ffff:127.0.0.1".parse().unwrap()), "IPv4-mapped");
        assert!(!loopback.contains("10.0.0.1".parse().unwrap()));
        let v6 = Network::parse("fe80::/10").unwrap();
        assert!(v6.contains("fe80::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8::1".parse().unwrap()));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains("192.0.2.1".parse().unwrap()));
        assert_eq!(Network::parse("10.0.0.1"), Some(Network { address: "10.0.0.1".parse().unwrap(), prefix: 32 }));
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("nonsense"), None);
    }
}
