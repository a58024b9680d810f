//! Can a name appear in a publicly trusted certificate? (CA/Browser Forum BR §4.2.2, §3.2.2.6)
//!
//! A public certificate names only what the public DNS makes unique: no *internal names* (a single
//! label, a special-use domain such as `.local` or `localhost`, or a top-level domain that is not
//! in the DNS root zone such as `.corp`), no private or reserved IP addresses, and no wildcard
//! directly under a public suffix (`*.co.uk`, `*.github.io`), which would cover names registered
//! by many unrelated owners. Registered top-level domains and public suffixes come from the
//! Public Suffix List compiled into the maintained `psl` crate, so they follow its releases; only
//! the IANA special-use domains and special-purpose address blocks, which the list does not
//! describe, are named here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::name::DnsName;

/// Why a DNS name is internal: it cannot be shown globally unique in the public DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InternalName {
    /// One label only, such as `intranet`.
    SingleLabel,
    /// Under a special-use domain (IANA registry, RFC 6761 and successors).
    SpecialUse {
        /// The special-use domain, e.g. `local`.
        domain: &'static str,
        /// Where it is reserved, e.g. `RFC 6762`.
        reference: &'static str,
    },
    /// The top-level domain is not in the DNS root zone (not on the Public Suffix List).
    UnregisteredTld {
        /// The top-level domain, e.g. `corp`.
        tld: String,
    },
}

impl fmt::Display for InternalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SingleLabel => f.write_str("a single label is an internal name, not a name in the public DNS"),
            Self::SpecialUse { domain, reference } => {
                write!(f, ".{domain} is reserved for special use ({reference}), not a name in the public DNS")
            }
            Self::UnregisteredTld { tld } => {
                write!(f, ".{tld} is not a top-level domain of the public DNS (not on the Public Suffix List)")
            }
        }
    }
}

/// Special-use domain names (IANA "Special-Use Domain Names" registry) that the Public Suffix
/// List does not mark, or marks as public (`onion`, `home.arpa`), plus `internal`, which ICANN
/// reserved for private use in 2024. A name at or under one is internal.
const SPECIAL_USE: &[(&str, &str)] = &[
    ("localhost", "RFC 6761"),
    ("local", "RFC 6762, multicast DNS"),
    ("test", "RFC 6761"),
    ("example", "RFC 6761"),
    ("invalid", "RFC 6761"),
    ("onion", "RFC 7686, Tor"),
    ("alt", "RFC 9476"),
    ("home.arpa", "RFC 8375"),
    ("internal", "ICANN, for private use"),
];

/// Whether `name` (possibly a wildcard) is an internal name, and why.
pub fn internal_name(name: &DnsName) -> Option<InternalName> {
    let text = name.as_str().trim_start_matches("*.");
    if !text.contains('.') {
        return Some(InternalName::SingleLabel);
    }
    for (domain, reference) in SPECIAL_USE {
        if text == *domain || text.strip_suffix(domain).is_some_and(|head| head.ends_with('.')) {
            return Some(InternalName::SpecialUse { domain, reference });
        }
    }
    let tld = text.rsplit('.').next().unwrap_or(text);
    let registered = psl::suffix(tld.as_bytes()).is_some_and(|s| s.is_known() && s.typ() == Some(psl::Type::Icann));
    if registered { None } else { Some(InternalName::UnregisteredTld { tld: tld.to_string() }) }
}

/// For a wildcard `*.BASE` whose BASE is itself a public suffix (`*.co.uk`, `*.github.io`,
/// `*.appspot.com`), that suffix: such a wildcard covers every domain registered under it.
pub fn wildcard_public_suffix(name: &DnsName) -> Option<&str> {
    let base = name.as_str().strip_prefix("*.")?;
    let suffix = psl::suffix(base.as_bytes())?;
    (suffix.is_known() && suffix.as_bytes() == base.as_bytes()).then_some(base)
}

/// Whether `name` is a registrable domain (an apex such as `example.co.uk`): one label under a
/// public suffix, by the Public Suffix List.
pub fn is_registrable_domain(name: &DnsName) -> bool {
    psl::domain(name.as_str().as_bytes())
        .is_some_and(|d| d.suffix().is_known() && d.as_bytes() == name.as_str().as_bytes())
}

/// A special-purpose address block (IANA IPv4 and IPv6 Special-Purpose Address Registries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedBlock {
    /// The block, e.g. `10.0.0.0/8`.
    pub block: &'static str,
    /// What it is, e.g. `private-use (RFC 1918)`.
    pub purpose: &'static str,
}

impl fmt::Display for ReservedBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.block, self.purpose)
    }
}

const V4_BLOCKS: &[([u8; 4], u8, &str, &str)] = &[
    ([0, 0, 0, 0], 8, "0.0.0.0/8", "\"this network\" (RFC 791)"),
    ([10, 0, 0, 0], 8, "10.0.0.0/8", "private-use (RFC 1918)"),
    ([100, 64, 0, 0], 10, "100.64.0.0/10", "shared address space for carrier-grade NAT (RFC 6598)"),
    ([127, 0, 0, 0], 8, "127.0.0.0/8", "loopback (RFC 1122)"),
    ([169, 254, 0, 0], 16, "169.254.0.0/16", "link-local (RFC 3927)"),
    ([172, 16, 0, 0], 12, "172.16.0.0/12", "private-use (RFC 1918)"),
    ([192, 0, 0, 0], 24, "192.0.0.0/24", "reserved for IETF protocol assignments (RFC 6890)"),
    ([192, 0, 2, 0], 24, "192.0.2.0/24", "documentation (RFC 5737)"),
    ([192, 88, 99, 0], 24, "192.88.99.0/24", "the deprecated 6to4 relay anycast (RFC 7526)"),
    ([192, 168, 0, 0], 16, "192.168.0.0/16", "private-use (RFC 1918)"),
    ([198, 18, 0, 0], 15, "198.18.0.0/15", "benchmarking (RFC 2544)"),
    ([198, 51, 100, 0], 24, "198.51.100.0/24", "documentation (RFC 5737)"),
    ([203, 0, 113, 0], 24, "203.0.113.0/24", "documentation (RFC 5737)"),
    ([224, 0, 0, 0], 4, "224.0.0.0/4", "multicast (RFC 5771)"),
    ([240, 0, 0, 0], 4, "240.0.0.0/4", "reserved (RFC 1112) or broadcast"),
];

const V6_BLOCKS: &[([u16; 8], u8, &str, &str)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, "::/128", "the unspecified address (RFC 4291)"),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, "::1/128", "loopback (RFC 4291)"),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "100::/64", "discard-only (RFC 6666)"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "2001::/23", "reserved for IETF protocol assignments (RFC 2928)"),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "2001:db8::/32", "documentation (RFC 3849)"),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "2002::/16", "6to4 (RFC 3056)"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "3fff::/20", "documentation (RFC 9637)"),
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "5f00::/16", "segment routing SIDs (RFC 9602)"),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "fc00::/7", "unique local, private-use (RFC 4193)"),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "fe80::/10", "link-local (RFC 4291)"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "fec0::/10", "the deprecated site-local (RFC 3879)"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "ff00::/8", "multicast (RFC 4291)"),
];

/// The special-purpose block `ip` lies in, if any: such an address cannot be in a public
/// certificate (BR §4.2.2, §7.1.2.7.12).
pub fn reserved_address(ip: &IpAddr) -> Option<ReservedBlock> {
    match ip {
        IpAddr::V4(v4) => reserved_v4(*v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(*v6);
            let found = V6_BLOCKS.iter().find(|(start, length, _, _)| {
                let mask = if *length == 0 { 0 } else { u128::MAX << (128 - u32::from(*length)) };
                bits & mask == u128::from(Ipv6Addr::from(*start))
            });
            found.map(|(_, _, block, purpose)| ReservedBlock { block, purpose })
        }
    }
}

fn reserved_v4(ip: Ipv4Addr) -> Option<ReservedBlock> {
    let bits = u32::from(ip);
    V4_BLOCKS
        .iter()
        .find(|(start, length, _, _)| {
            let mask = if *length == 0 { 0 } else { u32::MAX << (32 - u32::from(*length)) };
            bits & mask == u32::from(Ipv4Addr::from(*start))
        })
        .map(|(_, _, block, purpose)| ReservedBlock { block, purpose })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(text: &str) -> DnsName {
        DnsName::parse(text).unwrap()
    }

    #[test]
    fn internal_names_are_found_and_public_ones_pass() {
        for internal in ["intranet", "localhost", "printer.local", "db.internal", "nas.home.arpa", "x.corp", "a.lan"] {
            assert!(internal_name(&dns(internal)).is_some(), "{internal}");
        }
        assert_eq!(internal_name(&dns("intranet")), Some(InternalName::SingleLabel));
        assert!(matches!(internal_name(&dns("x.onion")), Some(InternalName::SpecialUse { domain: "onion", .. })));
        assert!(
            matches!(internal_name(&dns("*.svc.corp")), Some(InternalName::UnregisteredTld { tld }) if tld == "corp")
        );
        for public in
            ["www.example.com", "example.co.uk", "bücher.de", "a.b.github.io", "shop.xn--p1ai", "x.localhost.com"]
        {
            assert_eq!(internal_name(&dns(public)), None, "{public}");
        }
        let message = internal_name(&dns("printer.local")).unwrap().to_string();
        assert!(message.contains(".local is reserved") && message.contains("RFC 6762"), "{message}");
    }

    #[test]
    fn wildcards_directly_under_a_public_suffix_are_found() {
        for (wild, suffix) in [
            ("*.co.uk", "co.uk"),
            ("*.github.io", "github.io"),
            ("*.appspot.com", "appspot.com"),
            ("*.foo.ck", "foo.ck"),
        ] {
            assert_eq!(wildcard_public_suffix(&dns(wild)), Some(suffix), "{wild}");
        }
        for fine in ["*.example.co.uk", "*.me.github.io", "*.example.com", "www.co.uk", "*.www.ck"] {
            assert_eq!(wildcard_public_suffix(&dns(fine)), None, "{fine}");
        }
    }

    #[test]
    fn registrable_domains_follow_the_list() {
        for apex in ["example.com", "example.co.uk", "me.github.io", "example.xn--p1ai"] {
            assert!(is_registrable_domain(&dns(apex)), "{apex}");
        }
        for not in ["www.example.com", "co.uk", "github.io", "intranet", "host.corp", "*.example.com"] {
            assert!(!is_registrable_domain(&dns(not)), "{not}");
        }
    }

    #[test]
    fn reserved_addresses_name_their_block() {
        for (ip, block) in [
            ("10.1.2.3", "10.0.0.0/8"),
            ("172.31.255.255", "172.16.0.0/12"),
            ("192.168.0.1", "192.168.0.0/16"),
            ("100.64.0.1", "100.64.0.0/10"),
            ("127.0.0.1", "127.0.0.0/8"),
            ("169.254.1.1", "169.254.0.0/16"),
            ("192.0.2.10", "192.0.2.0/24"),
            ("198.19.0.1", "198.18.0.0/15"),
            ("239.1.1.1", "224.0.0.0/4"),
            ("255.255.255.255", "240.0.0.0/4"),
            ("::1", "::1/128"),
            ("::ffff:10.0.0.1", "::ffff:0:0/96"),
            ("fd00::1", "fc00::/7"),
            ("fe80::1", "fe80::/10"),
            ("2001:db8::1", "2001:db8::/32"),
            ("ff02::1", "ff00::/8"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(reserved_address(&ip).map(|b| b.block), Some(block), "{ip}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450::1"] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(reserved_address(&ip), None, "{public}");
        }
    }
}
