//! Publication: what the CAs sign for relying parties besides certificates, made in the
//! background and stored for the front ends to serve — CRLs ([`crl`]).

pub mod crl;

pub use crl::{CrlPolicy, CrlStatus, PublishReport, Published, crl_status};
