//! Every chain from an issuing CA up to a root: the primary path (each CA's own certificate,
//! following local parents) and, where a CA at any level holds alternate certificates for its
//! key (cross-certificates, root rollovers), one path more per alternate — what ACME offers as
//! alternate chains (RFC 8555 §7.4.2). Pure: built from the stored records, so it can be tested
//! without keys or a store.

use std::collections::HashMap;

use signet_store::{CaAlternateRecord, CaKind, CaRecord};

/// Most paths offered for one CA (the primary one included): a client reads them all.
pub(crate) const MAX_PATHS: usize = 8;

/// Longest path followed upwards (a loop in stored parents must not hang).
const MAX_DEPTH: usize = 10;

/// One chain above an issuing CA.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificatePath {
    /// CA certificates, the issuing CA's first, without a self-signed root.
    pub intermediates: Vec<Vec<u8>>,
    /// The self-signed root at the top, when signet holds it (an outside root is the relying
    /// party's own).
    pub root: Option<Vec<u8>>,
}

/// Every path above CA `name` among `cas` and their `alternates`, the primary one first (what
/// `signet serve` offers when these are the alternates it loads).
pub fn paths_of(cas: &[CaRecord], alternates: &[CaAlternateRecord], name: &str) -> Vec<CertificatePath> {
    Hierarchy::new(cas, alternates).paths(name)
}

/// What is above one certificate of a CA.
#[derive(Debug, Clone)]
enum Above {
    /// The certificate is self-signed: the path ends with it as the root.
    SelfSigned,
    /// Issued by this local CA: its paths follow.
    Local(String),
    /// Issued outside signet: these certificates follow (issuer first, no self-signed root).
    Outside(Vec<Vec<u8>>),
}

/// A CA's certificates: the primary first, then its alternates, oldest first.
#[derive(Debug, Clone, Default)]
struct Node {
    certificates: Vec<(Vec<u8>, Above)>,
}

/// The CAs and their certificates, as far as paths are concerned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hierarchy {
    nodes: HashMap<String, Node>,
}

impl Hierarchy {
    /// From the stored CAs and alternate certificates.
    pub(crate) fn new(cas: &[CaRecord], alternates: &[CaAlternateRecord]) -> Self {
        let mut nodes: HashMap<String, Node> = HashMap::new();
        for ca in cas {
            let mut node = Node::default();
            if let Some(certificate) = &ca.certificate {
                let above = match (&ca.parent, ca.kind) {
                    (Some(parent), _) => Above::Local(parent.clone()),
                    (None, CaKind::Subordinate) => Above::Outside(Vec::new()),
                    (None, CaKind::Root | CaKind::TestRoot) => Above::SelfSigned,
                };
                node.certificates.push((certificate.clone(), above));
                for alternate in alternates.iter().filter(|a| a.ca_id == ca.id) {
                    let above = match &alternate.issuer_ca {
                        Some(issuer) => Above::Local(issuer.clone()),
                        None => Above::Outside(alternate.chain.clone()),
                    };
                    node.certificates.push((alternate.certificate.clone(), above));
                }
            }
            nodes.insert(ca.name.clone(), node);
        }
        Self { nodes }
    }

    /// Every path above CA `name`, the primary one first (empty for a CA without a
    /// certificate); at most [`MAX_PATHS`].
    pub(crate) fn paths(&self, name: &str) -> Vec<CertificatePath> {
        let mut visiting = Vec::new();
        self.paths_from(name, &mut visiting)
    }

    fn paths_from<'a>(&'a self, name: &'a str, visiting: &mut Vec<&'a str>) -> Vec<CertificatePath> {
        let mut paths = Vec::new();
        let Some(node) = self.nodes.get(name) else { return paths };
        if visiting.len() >= MAX_DEPTH || visiting.contains(&name) {
            return paths;
        }
        visiting.push(name);
        for (certificate, above) in &node.certificates {
            match above {
                Above::SelfSigned => {
                    paths.push(CertificatePath { intermediates: Vec::new(), root: Some(certificate.clone()) })
                }
                Above::Outside(chain) => {
                    let mut intermediates = vec![certificate.clone()];
                    intermediates.extend(chain.iter().cloned());
                    paths.push(CertificatePath { intermediates, root: None });
                }
                Above::Local(issuer) => {
                    for above in self.paths_from(issuer, visiting) {
                        let mut intermediates = vec![certificate.clone()];
                        intermediates.extend(above.intermediates);
                        paths.push(CertificatePath { intermediates, root: above.root });
                    }
                }
            }
        }
        visiting.pop();
        paths.truncate(MAX_PATHS);
        paths
    }

    /// The CAs above `name` along any path (local parents and local cross-signers), itself
    /// excluded: a CA must not be cross-signed by one of these below it.
    pub(crate) fn above(&self, name: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut queue = vec![name.to_string()];
        while let Some(current) = queue.pop() {
            let Some(node) = self.nodes.get(&current) else { continue };
            for (_, above) in &node.certificates {
                if let Above::Local(issuer) = above
                    && issuer != name
                    && !found.contains(issuer)
                {
                    found.push(issuer.clone());
                    queue.push(issuer.clone());
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use signet_model::CaId;
    use time::OffsetDateTime;

    use super::*;

    fn ca(id: i64, name: &str, kind: CaKind, parent: Option<&str>) -> CaRecord {
        CaRecord {
            id: CaId::new(id).unwrap(),
            name: name.into(),
            kind,
            parent: parent.map(str::to_string),
            certificate: Some(name.as_bytes().to_vec()),
            csr: None,
            encrypted_key: Vec::new(),
            not_after: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn alternate(ca_id: i64, certificate: &str, issuer_ca: Option<&str>, chain: &[&str]) -> CaAlternateRecord {
        CaAlternateRecord {
            id: 0,
            ca_id: CaId::new(ca_id).unwrap(),
            certificate: certificate.as_bytes().to_vec(),
            issuer_ca: issuer_ca.map(str::to_string),
            chain: chain.iter().map(|c| c.as_bytes().to_vec()).collect(),
            not_after: OffsetDateTime::UNIX_EPOCH,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn names(path: &CertificatePath) -> (Vec<String>, Option<String>) {
        let text = |b: &Vec<u8>| String::from_utf8(b.clone()).unwrap();
        (path.intermediates.iter().map(text).collect(), path.root.as_ref().map(text))
    }

    fn hierarchy() -> Vec<CaRecord> {
        vec![
            ca(1, "root1", CaKind::Root, None),
            ca(2, "issuing", CaKind::Subordinate, Some("root1")),
            ca(3, "root2", CaKind::Root, None),
        ]
    }

    #[test]
    fn one_path_without_alternates() {
        let h = Hierarchy::new(&hierarchy(), &[]);
        let paths = h.paths("issuing");
        assert_eq!(paths.len(), 1);
        assert_eq!(names(&paths[0]), (vec!["issuing".into()], Some("root1".into())));
        assert_eq!(names(&h.paths("root1")[0]), (vec![], Some("root1".into())));
        assert!(h.paths("nobody").is_empty());
    }

    #[test]
    fn a_cross_signed_issuing_ca_has_a_second_path() {
        let h = Hierarchy::new(&hierarchy(), &[alternate(2, "issuing-by-root2", Some("root2"), &[])]);
        let paths: Vec<_> = h.paths("issuing").iter().map(names).collect();
        assert_eq!(
            paths,
            vec![
                (vec!["issuing".into()], Some("root1".into())),
                (vec!["issuing-by-root2".into()], Some("root2".into())),
            ]
        );
    }

    #[test]
    fn a_cross_signed_root_gives_its_subordinates_a_second_path() {
        // ISRG Root X1 cross-signed by DST Root CA X3.
        let h = Hierarchy::new(&hierarchy(), &[alternate(1, "root1-by-root2", Some("root2"), &[])]);
        let paths: Vec<_> = h.paths("issuing").iter().map(names).collect();
        assert_eq!(
            paths,
            vec![
                (vec!["issuing".into()], Some("root1".into())),
                (vec!["issuing".into(), "root1-by-root2".into()], Some("root2".into())),
            ]
        );
    }

    #[test]
    fn outside_alternates_carry_their_chain_and_levels_multiply() {
        let h = Hierarchy::new(
            &hierarchy(),
            &[
                alternate(2, "issuing-by-ext", None, &["ext-intermediate"]),
                alternate(1, "root1-by-root2", Some("root2"), &[]),
            ],
        );
        let paths: Vec<_> = h.paths("issuing").iter().map(names).collect();
        assert_eq!(paths.len(), 3);
        assert_eq!(paths[0], (vec!["issuing".into()], Some("root1".into())));
        assert_eq!(paths[1], (vec!["issuing".into(), "root1-by-root2".into()], Some("root2".into())));
        assert_eq!(paths[2], (vec!["issuing-by-ext".into(), "ext-intermediate".into()], None));
    }

    #[test]
    fn paths_are_bounded_and_loops_end() {
        let mut alternates: Vec<_> = (0..20).map(|n| alternate(2, &format!("alt{n}"), None, &[])).collect();
        // A loop (refused when cross-signing, but a stored one must not hang).
        alternates.push(alternate(1, "root1-by-issuing", Some("issuing"), &[]));
        let h = Hierarchy::new(&hierarchy(), &alternates);
        let paths = h.paths("issuing");
        assert_eq!(paths.len(), MAX_PATHS);
        assert_eq!(names(&paths[0]), (vec!["issuing".into()], Some("root1".into())));
        assert!(h.above("root1").contains(&"issuing".to_string()));
    }

    #[test]
    fn above_follows_parents_and_cross_signers() {
        let mut cas = hierarchy();
        cas.push(ca(4, "root3", CaKind::Root, None));
        let h = Hierarchy::new(
            &cas,
            &[alternate(1, "root1-by-root2", Some("root2"), &[]), alternate(3, "root2-by-root3", Some("root3"), &[])],
        );
        let mut above = h.above("issuing");
        above.sort();
        assert_eq!(above, vec!["root1", "root2", "root3"]);
        assert!(h.above("root3").is_empty());
    }
}
