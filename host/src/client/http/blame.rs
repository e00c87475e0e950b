//! Whose fault a connection that could not be opened is. A refused or unreachable port is the
//! server's side (`connect`); a refused certificate is a TLS set-up problem (`tls`) with a fix
//! on one side or the other; a file-descriptor, port or buffer shortage is the runner's own
//! limit (`client-limit`), never the server's. Both transports classify a failed connect here,
//! and the message gets one line saying what is wrong and how to fix it.

use std::error::Error as StdError;
use std::io;

use rustls::CertificateError;

use crate::error_class::ErrorClass;

/// The class of a failure to open a connection and the hint its message ends with; `None` when
/// nothing in `err`'s chain says more than "could not connect".
pub(crate) fn connect_failure(err: &(dyn StdError + 'static)) -> Option<(ErrorClass, &'static str)> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some((ErrorClass::Tls, tls_hint(tls)));
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if let Some(found) = io.raw_os_error().and_then(os_limit) {
                return Some(found);
            }
            // tokio-rustls wraps the rustls error in an io::Error, whose `source` skips it.
            if let Some(found) = io.get_ref().and_then(|inner| connect_failure(inner)) {
                return Some(found);
            }
        }
        cur = e.source();
    }
    None
}

/// The client-side limits an OS error names, with their fix.
fn os_limit(errno: i32) -> Option<(ErrorClass, &'static str)> {
    let hint = match errno {
        libc::EMFILE => {
            "the runner's open-file limit is exhausted (each connection is a file descriptor): raise it \
             with `ulimit -n 65536` before `runner play`, or run fewer VUs"
        }
        libc::ENFILE => {
            "the system-wide open-file table is full: raise `fs.file-max` (sysctl), or run fewer VUs"
        }
        libc::EADDRNOTAVAIL => {
            "no free local port for a new connection (ephemeral ports exhausted, often by connections in \
             TIME_WAIT): widen `net.ipv4.ip_local_port_range`, or keep connections open"
        }
        libc::ENOBUFS | libc::ENOMEM => "the kernel had no memory for a new socket on this machine",
        _ => return None,
    };
    Some((ErrorClass::ClientLimit, hint))
}

/// What is wrong with the certificate or handshake, and how to fix it, in one line.
fn tls_hint(err: &rustls::Error) -> &'static str {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => {
                "the server's certificate is signed by a CA this machine does not trust: pass that CA \
                 (or the self-signed certificate itself) with --ca-cert FILE, or --insecure for a test server"
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate has expired or is not valid yet (check both clocks): renew it, \
                 or --insecure for a test server"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "the server's certificate does not name the target's host: use a --target host the \
                 certificate lists (its subjectAltName), or --insecure for a test server"
            }
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                "the server presents a CA certificate (CA:TRUE, what `openssl req -x509` makes by default) \
                 as its own: pass that same certificate with --ca-cert FILE (it is then pinned), or issue \
                 the server a leaf certificate; --insecure for a test server"
            }
            _ => {
                "the server's certificate was refused: check it against --ca-cert, or --insecure for a test \
                 server"
            }
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not answer with TLS: is the target https on that port? (use http:// for a \
             plain server)"
        }
        _ => {
            "the TLS handshake failed: check the target's TLS set-up, --ca-cert, or --insecure for a test server"
        }
    }
}

/// A failed connect's class and message: `what` (e.g. "tcp connect error: …") followed by the
/// hint, or `connect` and `what` alone.
pub(crate) fn describe(err: &(dyn StdError + 'static), what: String) -> (ErrorClass, String) {
    match connect_failure(err) {
        Some((ErrorClass::Tls, hint)) => {
            // The TCP connection was made: the own client's "tcp connect error" prefix is wrong here.
            let what = what.strip_prefix("tcp connect error: ").unwrap_or(&what);
            (ErrorClass::Tls, format!("TLS handshake failed: {what} ({hint})"))
        }
        Some((class, hint)) => (class, format!("the runner's own limit, not the server: {what} ({hint})")),
        None => (ErrorClass::Connect, what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_and_port_exhaustion_are_the_clients_limit() {
        for errno in [libc::EMFILE, libc::ENFILE, libc::EADDRNOTAVAIL] {
            let e = io::Error::from_raw_os_error(errno);
            let (class, message) = describe(&e, format!("tcp connect error: {e}"));
            assert_eq!(class, ErrorClass::ClientLimit, "{message}");
            assert!(message.starts_with("the runner's own limit, not the server"), "{message}");
        }
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert!(describe(&emfile, String::new()).1.contains("ulimit -n"));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(describe(&refused, "refused".into()), (ErrorClass::Connect, "refused".into()));
    }

    #[test]
    fn a_rustls_error_inside_an_io_error_is_tls_with_its_hint() {
        let cases = [
            (CertificateError::UnknownIssuer, "--ca-cert FILE"),
            (CertificateError::Expired, "expired"),
            (CertificateError::NotValidForName, "subjectAltName"),
        ];
        for (cert, expected) in cases {
            let e = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::InvalidCertificate(cert));
            let (class, message) = describe(&e, format!("tcp connect error: {e}"));
            assert_eq!(class, ErrorClass::Tls, "{message}");
            assert!(message.starts_with("TLS handshake failed: invalid peer certificate"), "{message}");
            assert!(message.contains(expected) && message.contains("--insecure"), "{message}");
        }
    }
}
