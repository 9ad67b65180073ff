//! TLS: the server certificate, optional client certificates verified against the configured
//! CA, and the identity taken from a verified client certificate.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::TlsConfig;
use crate::error::{Error, Result};
use crate::rpc::call::ClientCertificate;

/// Builds the acceptor. Client certificates are requested but optional on the whole listener;
/// only `sslLogin` requires one.
pub fn acceptor(config: &TlsConfig) -> Result<tokio_rustls::TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&config.cert)
        .map_err(|e| {
            Error::Generic(format!(
                "cannot read TLS certificate {}: {e}",
                config.cert.display()
            ))
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Generic(format!("invalid TLS certificate {}: {e}", config.cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(&config.key)
        .map_err(|e| Error::Generic(format!("cannot read TLS key {}: {e}", config.key.display())))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Generic(format!("TLS setup failed: {e}")))?;
    let builder = match &config.client_ca {
        Some(ca_path) => {
            let mut roots = RootCertStore::empty();
            let cas = CertificateDer::pem_file_iter(ca_path)
                .map_err(|e| Error::Generic(format!("cannot read client CA {}: {e}", ca_path.display())))?;
            for ca in cas {
                let ca =
                    ca.map_err(|e| Error::Generic(format!("invalid client CA {}: {e}", ca_path.display())))?;
                roots
                    .add(ca)
                    .map_err(|e| Error::Generic(format!("invalid client CA {}: {e}", ca_path.display())))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| Error::Generic(format!("client certificate verifier: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut server_config = builder
        .with_single_cert(certs, key)
        .map_err(|e| Error::Generic(format!("TLS certificate/key mismatch: {e}")))?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server_config)))
}

/// The identity in a verified client certificate.
pub fn client_identity(der: &[u8]) -> Option<ClientCertificate> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject();
    let mut components = Vec::new();
    for attribute in subject.iter_attributes() {
        let oid = attribute.attr_type();
        let name = x509_parser::objects::oid2abbrev(oid, x509_parser::objects::oid_registry())
            .map(str::to_owned)
            .unwrap_or_else(|_| oid.to_id_string());
        if let Ok(value) = attribute.as_str() {
            components.push((name, value.to_owned()));
        }
    }
    Some(ClientCertificate {
        subject: subject.to_string(),
        components,
    })
}
