//! Publication: what the CAs sign for relying parties besides certificates, made in the
//! background and stored for the front ends to serve — CRLs ([`crl`]) and pre-signed OCSP
//! responses ([`ocsp`]).

pub mod crl;
pub mod ocsp;

pub use crl::{CrlPolicy, CrlStatus, PublishReport, Published, crl_status};
pub use ocsp::{OcspPolicy, OcspReport, OcspSigner};
