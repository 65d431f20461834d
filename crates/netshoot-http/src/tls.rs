//! TLS for the client: a rustls configuration whose verifier records the verdict (so `-k` still
//! reports what was wrong), and the certificate chain decoded like `openssl s_client -showcerts`.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use x509_parser::prelude::*;

use crate::Error;

/// What the TLS handshake settled and what the server showed.
#[derive(Debug, Clone, Serialize)]
pub struct TlsInfo {
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: String,
    /// The IANA cipher-suite name, e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The ALPN protocol the server chose (`h2`, `http/1.1`), if any.
    pub alpn: Option<String>,
    /// `ok`, or why the chain does not verify (kept when `-k` let the handshake go on).
    pub verify: String,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertInfo>,
}

/// One certificate, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// Subject in OpenSSL's one-line form, e.g. `CN = example.test, O = Test`.
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// Subject alternative names as OpenSSL prints them (`DNS:a`, `IP Address:127.0.0.1`).
    pub sans: Vec<String>,
    /// `notBefore` as OpenSSL prints it (`Nov 25 01:00:00 2026 GMT`).
    pub not_before: String,
    /// `notAfter`, same form.
    pub not_after: String,
    /// Unix seconds of `notBefore`.
    pub not_before_unix: i64,
    /// Unix seconds of `notAfter`.
    pub not_after_unix: i64,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// Public key, e.g. `RSA 2048 bit`, `EC 256 bit`.
    pub key: String,
    /// Signature algorithm, e.g. `sha256WithRSAEncryption`.
    pub sig_alg: String,
    /// The certificate in PEM.
    pub pem: String,
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Go on when the chain does not verify (curl `-k`); the verdict is still reported.
    pub insecure: bool,
    /// PEM CA certificates that replace the built-in roots (curl `--cacert`).
    pub ca_pem: Option<Vec<u8>>,
    /// A client certificate chain (PEM) and its private key (PEM: PKCS#8, PKCS#1 or SEC1), sent
    /// when the server asks for one (curl `--cert`/`--key`; etcd's `--client-cert-auth`).
    pub client_pem: Option<(Vec<u8>, Vec<u8>)>,
}

/// What the verifier saw: its verdict and the chain the server sent (DER, leaf first).
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) verdict: Option<String>,
    pub(crate) chain: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    insecure: bool,
    seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let verdict = match &r {
            Ok(_) => "ok".to_string(),
            Err(e) => describe_verify_error(e),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.verdict = Some(verdict);
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
        }
        match r {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn describe_verify_error(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "unable to get local issuer certificate (unknown CA)".into(),
            C::Expired | C::ExpiredContext { .. } => "certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "certificate is not yet valid".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "certificate does not match the host name".into()
            }
            C::Revoked => "certificate revoked".into(),
            C::BadSignature => "certificate signature failure".into(),
            other => format!("certificate rejected ({other:?})"),
        },
        other => other.to_string(),
    }
}

/// A client configuration for `alpn`, and the slot its verifier fills with what it saw.
pub(crate) fn client_config(
    opts: &TlsOptions,
    alpn: &[&[u8]],
) -> Result<(Arc<ClientConfig>, Arc<Mutex<Seen>>), Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    match &opts.ca_pem {
        Some(pem) => {
            let mut n = 0;
            for c in CertificateDer::pem_slice_iter(pem) {
                let c =
                    c.map_err(|e| Error::Usage(format!("--cacert: not a PEM certificate: {e}")))?;
                roots
                    .add(c)
                    .map_err(|e| Error::Usage(format!("--cacert: unusable certificate: {e}")))?;
                n += 1;
            }
            if n == 0 {
                return Err(Error::Usage(
                    "--cacert: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        .into(),
                ));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Usage(format!("TLS roots: {e}")))?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let verifier = Recording {
        inner,
        insecure: opts.insecure,
        seen: seen.clone(),
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut cfg = match &opts.client_pem {
        None => builder.with_no_client_auth(),
        Some((cert_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(cert_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Usage(format!("client certificate: not PEM: {e}")))?;
            if chain.is_empty() {
                return Err(Error::Usage(
                    "client certificate: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        .into(),
                ));
            }
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|e| Error::Usage(format!("client key: no PEM private key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::Usage(format!("client certificate and key: {e}")))?
        }
    };
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok((Arc::new(cfg), seen))
}

/// The session facts of an established connection.
pub(crate) fn session_info(conn: &rustls::ClientConnection, verdict: Option<String>) -> TlsInfo {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "?".to_string(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| iana_name(s.suite()))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let chain = conn
        .peer_certificates()
        .unwrap_or(&[])
        .iter()
        .map(|c| decode_cert(c.as_ref()))
        .collect();
    TlsInfo {
        version,
        cipher,
        alpn,
        verify: verdict.unwrap_or_else(|| "not checked".into()),
        chain,
    }
}

/// rustls names TLS 1.3 suites `TLS13_…`; IANA (and curl, and OpenSSL) call them `TLS_…`.
fn iana_name(s: rustls::CipherSuite) -> String {
    match s.as_str() {
        Some(n) => match n.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => n.to_string(),
        },
        None => format!("{s:?}"),
    }
}

/// Decodes one DER certificate; what does not parse is reported as such, never a panic.
pub fn decode_cert(der: &[u8]) -> CertInfo {
    let pem = pem_encode("CERTIFICATE", der);
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertInfo {
            subject: "(unparsable certificate)".into(),
            issuer: String::new(),
            sans: vec![],
            not_before: String::new(),
            not_after: String::new(),
            not_before_unix: 0,
            not_after_unix: 0,
            serial: String::new(),
            key: String::new(),
            sig_alg: String::new(),
            pem,
        };
    };
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            sans.push(match n {
                GeneralName::DNSName(d) => format!("DNS:{d}"),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => format!(
                        "IP Address:{}",
                        std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])
                    ),
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(b);
                        format!("IP Address:{}", openssl_v6(&a))
                    }
                    _ => "IP Address:<invalid>".into(),
                },
                GeneralName::RFC822Name(m) => format!("email:{m}"),
                GeneralName::URI(u) => format!("URI:{u}"),
                other => format!("{other:?}"),
            });
        }
    }
    let v = cert.validity();
    let nb = v.not_before.timestamp();
    let na = v.not_after.timestamp();
    let reg = x509_parser::objects::oid_registry();
    let key = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => format!("RSA {} bit", k.key_size()),
        Ok(x509_parser::public_key::PublicKey::EC(p)) => format!("EC {} bit", p.key_size()),
        Ok(other) => format!("{} bit", other.key_size()),
        Err(_) => {
            let oid = &cert.public_key().algorithm.algorithm;
            match x509_parser::objects::oid2sn(oid, reg) {
                Ok(sn) => sn.to_string(),
                Err(_) => oid.to_id_string(),
            }
        }
    };
    let sig_oid = &cert.signature_algorithm.algorithm;
    let sig_alg = match x509_parser::objects::oid2sn(sig_oid, reg) {
        Ok(sn) => sn.to_string(),
        Err(_) => sig_oid.to_id_string(),
    };
    CertInfo {
        subject: oneline(cert.subject()),
        issuer: oneline(cert.issuer()),
        sans,
        not_before: openssl_time(nb),
        not_after: openssl_time(na),
        not_before_unix: nb,
        not_after_unix: na,
        serial: cert.raw_serial_as_string().replace(':', "").to_uppercase(),
        key,
        sig_alg,
        pem,
    }
}

/// OpenSSL prints IPv6 SANs as eight groups of upper-case hex without compression.
fn openssl_v6(a: &[u8; 16]) -> String {
    a.chunks(2)
        .map(|c| format!("{:X}", u16::from_be_bytes([c[0], c[1]])))
        .collect::<Vec<_>>()
        .join(":")
}

/// A name as OpenSSL 3 prints it by default: `CN = a, O = b` (RDNs in certificate order).
fn oneline(name: &X509Name<'_>) -> String {
    let reg = x509_parser::objects::oid_registry();
    name.iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type();
                    let key = x509_parser::objects::oid2abbrev(oid, reg)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| oid.to_id_string());
                    let val = atv
                        .as_str()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| "<binary>".into());
                    format!("{key} = {val}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unix seconds as OpenSSL prints ASN.1 times: `Nov  5 01:00:00 2026 GMT`.
pub fn openssl_time(t: i64) -> String {
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {:>2} {:02}:{:02}:{:02} {} GMT",
        MON[(m - 1) as usize],
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        y
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for c in der.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        b64.push(T[(n >> 18) as usize & 63] as char);
        b64.push(T[(n >> 12) as usize & 63] as char);
        b64.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        b64.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_time_format() {
        assert_eq!(openssl_time(0), "Jan  1 00:00:00 1970 GMT");
        assert_eq!(openssl_time(1_795_000_000), "Nov 18 11:06:40 2026 GMT");
        assert_eq!(openssl_time(951_782_400), "Feb 29 00:00:00 2000 GMT");
    }

    #[test]
    fn pem_roundtrip() {
        let der: Vec<u8> = (0..=200u8).collect();
        let pem = pem_encode("CERTIFICATE", &der);
        let back: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back[0].as_ref(), &der[..]);
    }

    #[test]
    fn junk_certificates_never_panic() {
        let mut seed = 7u32;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let c = decode_cert(&bytes);
            assert!(c.pem.starts_with("-----BEGIN"));
        }
    }
}
