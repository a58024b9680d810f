//! CA hierarchies: a subordinate whose parent is outside signet (here openssl), completed with
//! `ca install-cert`; a local subordinate with name constraints; narrowing names at approval.

use crate::server::{Backend, Server, make_csr, path_str};
use crate::support::Sandbox;

#[test]
fn external_parent_signs_the_csr_and_the_new_ca_issues() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    // The outside parent: an openssl root.
    sb.openssl_root(
        "parent",
        "P-384",
        "/C=GB/O=Parent Org/CN=Outside Parent Root",
        3650,
        &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
    )
    .ok();
    server
        .admin(
            &sb,
            &[
                "ca",
                "init",
                "--name",
                "outside-sub",
                "--external",
                "--cn",
                "Outside Sub CA",
                "--country",
                "GB",
                "--csr-out",
                "sub.csr",
            ],
        )
        .ok()
        .out_has("install-cert");
    sb.openssl_sign("sub.csr", "parent", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n", 1000, "sub.pem").ok();
    // A leaf certificate is refused as a CA certificate, and so is one for another key.
    sb.openssl_root("other-ca", "P-256", "/CN=Other", 30, &["basicConstraints=critical,CA:TRUE"]).ok();
    server
        .admin(&sb, &["ca", "install-cert", "--name", "outside-sub", "--cert", "other-ca.pem"])
        .code(2)
        .err_has("another key");
    // The parent signs the right key but as a leaf (CA:FALSE).
    sb.openssl_sign(
        "sub.csr",
        "parent",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
        30,
        "sub-as-leaf.pem",
    )
    .ok();
    server
        .admin(&sb, &["ca", "install-cert", "--name", "outside-sub", "--cert", "sub-as-leaf.pem"])
        .code(2)
        .err_has("not a CA certificate");
    // With the parent's root, the chain is verified before anything is installed (signet verify's
    // validator); against another root it is refused.
    server
        .admin(&sb, &["ca", "install-cert", "--name", "outside-sub", "--cert", "sub.pem", "--roots", "other-ca.pem"])
        .code(2)
        .err_has("does not verify against other-ca.pem")
        .err_has("[untrusted-root]");
    server
        .admin(&sb, &["ca", "install-cert", "--name", "outside-sub", "--cert", "sub.pem", "--roots", "parent.pem"])
        .ok()
        .out_has("complete")
        .out_has("(verified)");
    server
        .admin(&sb, &["ca", "install-cert", "--name", "outside-sub", "--cert", "sub.pem"])
        .code(2)
        .err_has("already has");
    let listed = server.admin(&sb, &["ca", "list", "--json"]).ok().json();
    assert!(listed.as_array().unwrap().iter().any(|c| c["name"] == "outside-sub" && c["status"] == "active"));
    // A profile on the new CA issues certificates that chain to the outside root.
    let config = server.data.join("signet.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[profiles.outside]\nissuer = \"outside-sub\"\nkind = \"server\"\napproval = \"auto\"\n");
    std::fs::write(&config, text).unwrap();
    server.restart();
    make_csr(&sb, "leaf", "ec-p256", "www.example.com", &[]);
    server.cli(&sb, &["request", "submit", "--csr", "leaf.csr", "--profile", "outside", "--out", "leaf.pem"]).ok();
    sb.openssl(&["verify", "-CAfile", "parent.pem", "-untrusted", "leaf.pem", "leaf.pem"]).ok();
}

#[test]
fn local_subordinate_with_name_constraints() {
    let sb = Sandbox::new();
    let mut server = Server::start(&sb, Backend::Sqlite);
    server.stop();
    server
        .admin(
            &sb,
            &[
                "ca",
                "init",
                "--name",
                "corp",
                "--parent",
                "dev-root",
                "--cn",
                "Corp Issuing CA",
                "--alg",
                "ec-p256",
                "--path-length",
                "0",
                "--permitted-dns",
                "example.com",
                "--policy",
                "2.23.140.1.2.1",
                "--org",
                "Example Corp",
                "--country",
                "US",
            ],
        )
        .ok();
    server
        .admin(&sb, &["ca", "init", "--name", "odd", "--parent", "dev-root", "--cn", "Odd", "--policy", "dv"])
        .code(2)
        .err_has("--policy: give an object identifier in dotted form");
    // The parent's own limits apply: a child may not outlive it, and the test root signs no CAs.
    server
        .admin(
            &sb,
            &[
                "ca",
                "init",
                "--name",
                "too-long",
                "--parent",
                "dev-root",
                "--cn",
                "Too Long",
                "--validity-days",
                "5000",
            ],
        )
        .code(2)
        .err_has("expires on");
    server
        .admin(&sb, &["ca", "init", "--name", "bad", "--parent", "test-root", "--cn", "Bad"])
        .code(2)
        .err_has("test root");
    server
        .admin(&sb, &["ca", "init", "--name", "short-root", "--root", "--cn", "Short", "--validity-days", "30"])
        .code(2)
        .err_has("8 to 25 years");
    server.admin(&sb, &["ca", "init", "--name", "corp", "--root", "--cn", "Dup"]).code(2).err_has("already exists");
    let corp = server.data.join("cas/corp.pem");
    let text = sb.openssl(&["x509", "-in", path_str(&corp), "-noout", "-text"]).ok().stdout;
    assert!(text.contains("Permitted:") && text.contains("DNS:example.com"), "{text}");
    assert!(text.contains("pathlen:0"), "{text}");
    assert!(text.contains("Policy: 2.23.140.1.2.1"), "{text}");
    sb.openssl(&["verify", "-CAfile", path_str(&server.ca_file("dev-root")), path_str(&corp)]).ok();
    // The creation of the CA certificate is in the audit log like any issuance.
    server.admin(&sb, &["audit", "verify"]).ok();
}

#[test]
fn a_manager_can_approve_fewer_names_than_requested() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, Backend::Sqlite);
    make_csr(&sb, "multi", "ec-p256", "www.example.com", &["shop.example.com", "old.example.org"]);
    let submitted =
        server.cli(&sb, &["request", "submit", "--csr", "multi.csr", "--profile", "server", "--json"]).ok().json();
    let id = submitted["id"].to_string();
    server
        .cli(&sb, &["queue", "approve", &id, "--name", "www.example.com", "--name", "evil.example.com"])
        .code(2)
        .err_has("was not requested");
    server.cli(&sb, &["queue", "approve", &id, "--name", "www.example.com", "--name", "shop.example.com"]).ok();
    server.cli(&sb, &["request", "get", &id, "--out", "narrow.pem"]).ok();
    let info = sb.signet(&["inspect", "narrow.pem", "--json"]).ok().json();
    assert_eq!(
        info["objects"][0]["subject_alt_names"],
        serde_json::json!(["dns:www.example.com", "dns:shop.example.com"])
    );
}
