//! `signet key`, `csr`, `inspect`, `match`, `convert` and `verify`: the subscriber's tools.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `signet key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new private key (PKCS#8 PEM, mode 0600).
    #[command(
        after_help = "Examples:\n  signet key new --alg ec-p256 --out www.key\n  signet key new --alg rsa-3072 --out www.key --encrypt --pass-file pass.txt"
    )]
    New(KeyNewArgs),
}

/// Key algorithms on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgArg {
    /// ECDSA P-256: fast, small, accepted everywhere.
    #[value(name = "ec-p256")]
    EcP256,
    /// ECDSA P-384.
    #[value(name = "ec-p384")]
    EcP384,
    /// RSA 2048-bit.
    #[value(name = "rsa-2048")]
    Rsa2048,
    /// RSA 3072-bit.
    #[value(name = "rsa-3072")]
    Rsa3072,
    /// RSA 4096-bit (takes a second or two).
    #[value(name = "rsa-4096")]
    Rsa4096,
    /// Ed25519 (not accepted by public TLS CAs).
    #[value(name = "ed25519")]
    Ed25519,
}

impl AlgArg {
    /// The key algorithm.
    pub fn algorithm(self) -> signet_keys::KeyAlgorithm {
        use signet_keys::KeyAlgorithm as K;
        match self {
            Self::EcP256 => K::EcP256,
            Self::EcP384 => K::EcP384,
            Self::Rsa2048 => K::Rsa2048,
            Self::Rsa3072 => K::Rsa3072,
            Self::Rsa4096 => K::Rsa4096,
            Self::Ed25519 => K::Ed25519,
        }
    }
}

/// Key derivation for encrypted keys.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum KdfArg {
    /// scrypt (memory-hard; default).
    #[default]
    Scrypt,
    /// PBKDF2-HMAC-SHA256, 600,000 iterations (for tools without scrypt).
    Pbkdf2,
}

/// Options for encrypting a key being written.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// Encrypt the key with a passphrase (PBES2, AES-256-CBC). The passphrase comes from
    /// --pass-file, the SIGNET_PASSPHRASE environment variable, or is asked twice on the terminal.
    /// Example: --encrypt --pass-file key.pass
    #[arg(long)]
    pub encrypt: bool,
    /// Key derivation for --encrypt. Example: --kdf pbkdf2
    #[arg(long, value_enum, default_value_t = KdfArg::Scrypt)]
    pub kdf: KdfArg,
}

/// `signet key new`
#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// Key algorithm. Example: --alg rsa-3072
    #[arg(long, value_enum, default_value = "ec-p256")]
    pub alg: AlgArg,
    /// Where to write the key (PKCS#8 PEM, created with mode 0600). Example: --out www.example.com.key
    #[arg(long)]
    pub out: PathBuf,
    /// Encryption of the key file.
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// File whose first line is the passphrase (with --encrypt). Example: --pass-file ~/.secrets/key.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Accepted for symmetry with other commands, but never replaces a key: see --replace-key.
    /// Example: --force (changes nothing)
    #[arg(long)]
    pub force: bool,
    /// Replace an existing key file at --out; the old file is kept as FILE.replaced-TIME, never
    /// deleted. Refused while a certificate or CSR beside it needs that key and no other copy is
    /// there. Example: --out www.key --replace-key
    #[arg(long)]
    pub replace_key: bool,
    /// Print the result as JSON. Example: signet key new --alg ec-p256 --out www.key --json
    #[arg(long)]
    pub json: bool,
}

/// `signet csr ...`
#[derive(Debug, Subcommand)]
pub enum CsrCommand {
    /// Create a CSR from an existing key, or a new key and its CSR together.
    #[command(
        after_help = "Examples:\n  signet csr new --key www.key --cn www.example.com --san example.com --out www.csr\n  signet csr new --new-key ec-p256 --key-out www.key --cn www.example.com --org \"Example Ltd\" --country GB --out www.csr\n  signet csr new --key k.pem --cn www.example.com --san ip:192.0.2.10 --san email:ops@example.com --out www.csr"
    )]
    New(CsrNewArgs),
}

/// `signet csr new`
#[derive(Debug, Args)]
pub struct CsrNewArgs {
    /// Existing private key to certify (plain or encrypted PEM/DER). Example: --key www.key
    #[arg(long, conflicts_with = "new_key", required_unless_present = "new_key")]
    pub key: Option<String>,
    /// Generate a new key of this algorithm as well, as IIS does. Example: --new-key ec-p256
    #[arg(long, value_enum, requires = "key_out")]
    pub new_key: Option<AlgArg>,
    /// Where to write the new key (with --new-key). Example: --key-out www.key
    #[arg(long)]
    pub key_out: Option<PathBuf>,
    /// Encryption of the new key file.
    #[command(flatten)]
    pub encrypt: EncryptArgs,
    /// Passphrase file for --key (reading) or --encrypt (writing). Example: --pass-file key.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Common Name: the exact host name users type, without https:// or a path. Example: --cn www.example.com
    #[arg(long)]
    pub cn: Option<String>,
    /// Organization: the legal name, not abbreviated. Example: --org "Example Ltd"
    #[arg(long)]
    pub org: Option<String>,
    /// Organizational Unit (most CAs ignore it). Example: --ou IT
    #[arg(long)]
    pub ou: Option<String>,
    /// Locality: the city. Example: --locality Houston
    #[arg(long)]
    pub locality: Option<String>,
    /// State or province, in full. Example: --state Texas
    #[arg(long)]
    pub state: Option<String>,
    /// Two-letter ISO 3166 country code (UK is GB). Example: --country GB
    #[arg(long)]
    pub country: Option<String>,
    /// E-mail address for the subject. Example: --email ops@example.com
    #[arg(long)]
    pub email: Option<String>,
    /// Subject alternative name; repeat for several. Prefix with dns:, ip:, email: or uri: (inferred
    /// when omitted). The CN is added automatically. Example: --san example.com --san ip:192.0.2.10
    #[arg(long)]
    pub san: Vec<String>,
    /// Where to write the CSR (PEM); standard output if omitted. Example: --out www.csr
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing --out CSR (never a key file: see --replace-key). Example: --out www.csr --force
    #[arg(long)]
    pub force: bool,
    /// With --new-key: replace an existing --key-out file; the old file is kept as
    /// FILE.replaced-TIME, never deleted. Refused while a certificate or CSR beside it needs that
    /// key and no other copy is there. Example: --key-out www.key --replace-key
    #[arg(long, requires = "new_key")]
    pub replace_key: bool,
    /// Print the result as JSON. Example: signet csr new --key www.key --cn www.example.com --out www.csr --json
    #[arg(long)]
    pub json: bool,
}

/// `signet inspect`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet inspect www.example.com.crt\n  signet inspect bundle.p12 --pass-file p12.pass\n  signet inspect request.csr --json"
)]
pub struct InspectArgs {
    /// The file to describe (PEM, DER or pasted base64; `-` for standard input).
    pub file: String,
    /// Passphrase file for an encrypted key or PKCS#12 file (or set SIGNET_PASSPHRASE). Example: --pass-file p12.pass
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Print the description as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `signet match`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet match www.key www.csr www.crt\n  signet match server.p12 --pass-file p12.pass\nExit status: 0 when everything shares one key, 1 when not."
)]
pub struct MatchArgs {
    /// Keys, CSRs, certificates or PKCS#12 files (at least two objects in all).
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<String>,
    /// Passphrase file for encrypted keys and PKCS#12 files (or SIGNET_PASSPHRASE).
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Print the result as JSON. Example: signet match www.key www.crt --json
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PEM text (any number of objects).
    Pem,
    /// Binary DER (exactly one object).
    Der,
    /// PKCS#7 certs-only bundle (.p7b): certificates and their chain, no key.
    P7b,
    /// PKCS#12 (.p12/.pfx): one key with its certificate and chain, password-protected.
    P12,
}

/// `signet convert`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet convert www.crt --to der --out www.cer\n  signet convert fullchain.pem --to p7b --out chain.p7b\n  signet convert www.crt --key www.key --chain intermediate.pem --to p12 --out www.p12\n  signet convert legacy.pfx --pass-file pfx.pass --to pem --out www.pem"
)]
pub struct ConvertArgs {
    /// Input file (PEM, DER, base64, PKCS#7 or PKCS#12; `-` for standard input).
    pub input: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: FormatArg,
    /// Output file.
    #[arg(long)]
    pub out: PathBuf,
    /// Private key to bundle into a PKCS#12 file. Example: --key www.key
    #[arg(long)]
    pub key: Option<String>,
    /// Intermediate certificates to include (PEM bundle or .p7b). Example: --chain intermediates.pem
    #[arg(long)]
    pub chain: Option<String>,
    /// Friendly name inside the PKCS#12 file (default: the certificate's CN). Example: --name "www 2026"
    #[arg(long)]
    pub name: Option<String>,
    /// Passphrase file for the input (encrypted key, PKCS#12) (or SIGNET_PASSPHRASE).
    #[arg(long)]
    pub pass_file: Option<PathBuf>,
    /// Password file for the PKCS#12 file written (or SIGNET_OUT_PASSPHRASE); without it a strong
    /// password is generated and printed once. Example: --out-pass-file p12.pass
    #[arg(long)]
    pub out_pass_file: Option<PathBuf>,
    /// Write PKCS#12 with 3DES and a SHA-1 MAC, for Windows before 10 (1709) and Java 8.
    /// Example: --to p12 --legacy
    #[arg(long)]
    pub legacy: bool,
    /// Encrypt a private key written to PEM (password from --out-pass-file or SIGNET_OUT_PASSPHRASE).
    /// Example: --to pem --encrypt-key --out-pass-file key.pass
    #[arg(long)]
    pub encrypt_key: bool,
    /// Replace --out if it exists. Example: --out www.cer --force
    #[arg(long)]
    pub force: bool,
}

/// Purposes on the command line.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum PurposeArg {
    /// TLS server certificate (serverAuth); the default.
    #[default]
    Server,
    /// TLS client certificate (clientAuth).
    Client,
    /// Any purpose: no extendedKeyUsage check; a CA certificate may be verified on its own.
    Any,
}

/// `signet verify`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  signet verify fullchain.pem --roots signet-data/cas/dev-root.pem --host www.example.com\n  signet verify www.crt --chain intermediates.pem --roots my-root.pem --host 192.0.2.10\n  signet verify client.crt --roots root.pem --purpose client --email alice@example.com\n  signet verify www.crt --roots root.pem --crl issuing.crl --at 2027-01-01\n  signet verify fullchain.pem --check-revocation --max-depth 2\nThe trust decision is rustls-webpki's; signet adds RFC 5280 profile checks and one line per problem.\nExit status: 0 when the certificate verifies, 1 when problems are found, 2 for unreadable input."
)]
pub struct VerifyArgs {
    /// The certificate; further certificates in the file are used as intermediates.
    pub cert: String,
    /// Intermediate certificates (PEM bundle or .p7b), in any order. Example: --chain intermediates.pem
    #[arg(long)]
    pub chain: Option<String>,
    /// Trusted roots (default: the system store, or SSL_CERT_FILE). Example: --roots root.pem
    #[arg(long)]
    pub roots: Option<String>,
    /// Host name or IP address the certificate must be valid for; a name that cannot be a host
    /// name fails the check. Example: --host www.example.com
    #[arg(long)]
    pub host: Option<String>,
    /// E-mail address the certificate must name (rfc822Name). Example: --email alice@example.com
    #[arg(long)]
    pub email: Option<String>,
    /// Check validity at this time instead of now (RFC 3339 or YYYY-MM-DD). Example: --at 2027-03-01
    #[arg(long)]
    pub at: Option<String>,
    /// What the certificate is for.
    #[arg(long, value_enum, default_value_t = PurposeArg::Server)]
    pub purpose: PurposeArg,
    /// A further extendedKeyUsage the certificate (and its CAs, where they list EKUs) must allow,
    /// by name or OID; repeatable. Example: --eku codeSigning --eku 1.3.6.1.5.5.7.3.4
    #[arg(long = "eku", value_name = "EKU")]
    pub eku: Vec<String>,
    /// A keyUsage bit the certificate must allow (when it has keyUsage); repeatable.
    /// Example: --key-usage digitalSignature
    #[arg(long = "key-usage", value_name = "BIT")]
    pub key_usage: Vec<String>,
    /// The most intermediate CA certificates a path may have (self-issued ones not counted).
    /// Example: --max-depth 2
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// A CRL to check the path against (PEM or DER); repeatable. Example: --crl issuing.crl
    #[arg(long = "crl", value_name = "FILE")]
    pub crl: Vec<String>,
    /// Fetch the CRLs the certificate and its intermediates name and ask the certificate's OCSP
    /// responder; the certificate must be covered by one of them. Example: --check-revocation
    #[arg(long)]
    pub check_revocation: bool,
    /// Seconds to wait for each CRL download or OCSP answer with --check-revocation.
    /// Example: --timeout 5
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
    /// Print the result as JSON. Example: signet verify www.crt --roots root.pem --json
    #[arg(long)]
    pub json: bool,
}
