//! DNS lookups for validation: addresses (A and AAAA), TXT and CAA, all sent to the configured
//! server (or the system's), with no cache, so a record just set is what is seen.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use crate::ValidationError;

/// The resolver of one validator.
pub struct Lookup {
    resolver: TokioResolver,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

/// What a lookup found.
pub(crate) enum Found<T> {
    /// Records.
    Records(Vec<T>),
    /// The name exists without records of the type, or does not exist.
    Nothing,
}

impl Lookup {
    /// Lookups through `server` (UDP, then TCP for long answers), or the system's resolvers.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Self, ValidationError> {
        let mut options = ResolverOpts::default();
        options.timeout = timeout;
        options.attempts = 2;
        options.cache_size = 0;
        options.ndots = 0;
        let builder = match server {
            Some(server) => {
                let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                for connection in &mut name_server.connections {
                    connection.port = server.port();
                }
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio()
                .map_err(|e| ValidationError::Dns(format!("cannot read the system's DNS configuration: {e}")))?,
        };
        let resolver = builder
            .with_options(options)
            .build()
            .map_err(|e| ValidationError::Dns(format!("cannot set up DNS lookups: {e}")))?;
        Ok(Self { resolver })
    }

    pub(crate) async fn records(&self, name: &str, kind: RecordType) -> Result<Found<RData>, ValidationError> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.lookup(fqdn.as_str(), kind).await {
            Ok(lookup) => Ok(Found::Records(lookup.answers().iter().map(|r| r.data.clone()).collect())),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Found::Nothing),
            Err(e) => Err(ValidationError::Dns(format!("DNS lookup of {kind} {name} failed: {e}"))),
        }
    }

    /// The addresses of a name (A and AAAA); a `dns` error when it has none.
    pub async fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, ValidationError> {
        let mut found = Vec::new();
        for kind in [RecordType::A, RecordType::AAAA] {
            if let Found::Records(records) = self.records(name, kind).await? {
                for record in records {
                    match record {
                        RData::A(a) => found.push(IpAddr::V4(a.0)),
                        RData::AAAA(aaaa) => found.push(IpAddr::V6(aaaa.0)),
                        _ => {}
                    }
                }
            }
        }
        if found.is_empty() {
            return Err(ValidationError::Dns(format!("{name} has no A or AAAA record")));
        }
        Ok(found)
    }

    /// The TXT records of a name, each its strings joined.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, ValidationError> {
        let Found::Records(records) = self.records(name, RecordType::TXT).await? else { return Ok(Vec::new()) };
        Ok(records
            .iter()
            .filter_map(|record| match record {
                RData::TXT(txt) => {
                    Some(txt.txt_data.iter().map(|part| String::from_utf8_lossy(part).into_owned()).collect())
                }
                _ => None,
            })
            .collect())
    }
}
