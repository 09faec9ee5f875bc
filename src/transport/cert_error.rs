//! Certificate failures in words: rustls reports the rarer ones as `Debug` structures
//! (`UnsupportedSignatureAlgorithmForPublicKeyContext { signature_algorithm_id: [6, 8, ...] }`,
//! `Other(OtherError(CaUsedAsEndEntity))`). This turns each into what happened and what to do, naming
//! algorithms instead of OID bytes.

use rustls::CertificateError;

/// What is wrong with the server's certificate, after "the certificate of 'HOST' ".
pub fn describe(err: &CertificateError) -> String {
    match err {
        CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id,
            public_key_algorithm_id,
        } => format!(
            "does not match the trusted certificate named as its issuer: it is signed with {}, but that \
             certificate has {} key. Most likely it is self-signed and this machine does not trust it, or it \
             was made again since the copy given to --cafile: pass the broker's current certificate (or its \
             CA) with --cafile, or --insecure for a test broker",
            signature_name(signature_algorithm_id),
            key_name(public_key_algorithm_id)
        ),
        CertificateError::UnsupportedSignatureAlgorithmContext { signature_algorithm_id, .. } => format!(
            "is signed with {}, which this client does not accept (re-create it with an ECDSA P-256 or RSA \
             key and SHA-256)",
            signature_name(signature_algorithm_id)
        ),
        CertificateError::BadSignature => "is not correctly signed by the certificate named as its issuer (is the \
                                           --cafile copy out of date?)"
            .into(),
        CertificateError::BadEncoding => "is not a valid X.509 certificate".into(),
        CertificateError::Revoked => "has been revoked".into(),
        CertificateError::UnhandledCriticalExtension => {
            "has a critical extension this client does not understand".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "is not meant for a TLS server (its extended key usage does not allow it)".into()
        }
        CertificateError::Other(other) => other_error(&other.0.to_string()),
        other => words(&format!("{other:?}")),
    }
}

/// webpki's own errors, which rustls passes on as text such as `CaUsedAsEndEntity`.
fn other_error(name: &str) -> String {
    match name {
        "CaUsedAsEndEntity" => "is a CA certificate serving as the server certificate (what `openssl req -x509` \
                                makes without extensions): make a CA, sign a server certificate with it and \
                                pass the CA with --cafile, or use --insecure for a test broker"
            .into(),
        "EndEntityUsedAsCa" => "was signed by a certificate that is not a CA".into(),
        other => format!("is not acceptable ({})", words(other)),
    }
}

/// `PathLenConstraintViolated` as "path len constraint violated"; anything after a '(' or '{' is dropped.
fn words(debug: &str) -> String {
    let name = debug.split(['(', '{', ' ']).next().unwrap_or(debug);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A DER-encoded algorithm identifier (or its OID) holds this OID.
fn has_oid(der: &[u8], oid: &[u8]) -> bool {
    der.windows(oid.len()).any(|w| w == oid)
}

const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const RSA_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const ED448: &[u8] = &[0x2b, 0x65, 0x71];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// The name of a signature algorithm (MQTT brokers' certificates use a handful).
fn signature_name(der: &[u8]) -> String {
    let rsa = |last: u8| [RSA_PREFIX, &[last]].concat();
    let known: [(&[u8], &str); 9] = [
        (ECDSA_SHA256, "ECDSA (SHA-256)"),
        (ECDSA_SHA384, "ECDSA (SHA-384)"),
        (ECDSA_SHA512, "ECDSA (SHA-512)"),
        (&rsa(0x0b), "RSA (SHA-256)"),
        (&rsa(0x0c), "RSA (SHA-384)"),
        (&rsa(0x0d), "RSA (SHA-512)"),
        (&rsa(0x05), "RSA (SHA-1)"),
        (&rsa(0x0a), "RSA-PSS"),
        (ED25519, "Ed25519"),
    ];
    known.iter().find(|(oid, _)| has_oid(der, oid)).map_or_else(|| unknown(der), |(_, n)| (*n).to_owned())
}

/// "an RSA", "an ECDSA", ... for a public key algorithm.
fn key_name(der: &[u8]) -> String {
    let known: [(&[u8], &str); 5] = [
        (&[RSA_PREFIX, &[0x0a]].concat(), "an RSA-PSS"),
        (&[RSA_PREFIX, &[0x01]].concat(), "an RSA"),
        (EC_PUBLIC_KEY, "an ECDSA"),
        (ED25519, "an Ed25519"),
        (ED448, "an Ed448"),
    ];
    known
        .iter()
        .find(|(oid, _)| has_oid(der, oid))
        .map_or_else(|| format!("a {}", unknown(der)), |(_, n)| (*n).to_owned())
}

fn unknown(der: &[u8]) -> String {
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    format!("an unknown algorithm ({hex})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_error_of_a_self_signed_certificate_names_both_algorithms() {
        // As rustls reported it for an ECDSA self-signed certificate checked against an RSA root.
        let err = CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
            signature_algorithm_id: vec![6, 8, 42, 134, 72, 206, 61, 4, 3, 2],
            public_key_algorithm_id: vec![6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 1, 5, 0],
        };
        let text = describe(&err);
        assert!(text.starts_with("does not match the trusted certificate"), "{text}");
        assert!(text.contains("signed with ECDSA (SHA-256), but that certificate has an RSA key"), "{text}");
        assert!(text.contains("self-signed") && text.contains("--cafile"), "{text}");
    }

    #[test]
    fn names_become_words() {
        assert_eq!(words("PathLenConstraintViolated"), "path len constraint violated");
        assert_eq!(words("ExpiredRevocationListContext { time: 1 }"), "expired revocation list context");
        assert!(signature_name(&[1, 2, 3]).contains("010203"));
    }
}
