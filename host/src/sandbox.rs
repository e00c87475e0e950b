//! Where a scenario's plain `http` requests may go: the rule behind the `denied` class.
//!
//! Origins are compared, not hosts: scheme, host and port, the port defaulting to the scheme's
//! (80 for `http`, 443 for `https`). The target's origin is always allowed; nothing else on its
//! host is, since a server's other ports (its metrics, an admin API, a database beside it) are
//! not what the user pointed the runner at. `--allow-host` adds more, each an [`AllowedHost`]:
//!
//! - `HOST`: that host on the default port of the request's scheme (`http://HOST`,
//!   `https://HOST`, or `:80` / `:443` spelled out), as a browser's origin would be;
//! - `HOST:PORT`: that host on that port, over `http` or `https`;
//! - `HOST:*`: that host on any port, asked for explicitly.
//!
//! Hosts compare case-insensitively; an IPv6 address is written in brackets (`[::1]:8080`; a
//! bare `::1` means `[::1]`). Telemetry endpoints are not scenario traffic and are not subject to
//! this rule.

use std::fmt;
use std::str::FromStr;

use hyper::Uri;

/// A request's origin: lowercase scheme and host (IPv6 in brackets), and the port with the
/// scheme's default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of `uri`; `None` without a scheme or host, or with a scheme that has no
    /// default port and no port given.
    pub fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or_else(|| default_port(&scheme))?;
        Some(Origin { scheme, host: uri.host()?.to_ascii_lowercase(), port })
    }

    /// The origin of `url`, when it parses as an absolute URL.
    pub fn parse(url: &str) -> Option<Origin> {
        Origin::of(&url.parse::<Uri>().ok()?)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Which ports of an allowed host may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    /// The default port of the request's scheme.
    Default,
    One(u16),
    Any,
}

/// One `--allow-host` value: a host and which of its ports (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lowercase; an IPv6 address in brackets, as [`Uri::host`] gives it.
    host: String,
    ports: Ports,
}

impl AllowedHost {
    /// Whether a request to `origin` may go.
    pub fn allows(&self, origin: &Origin) -> bool {
        self.host == origin.host
            && match self.ports {
                Ports::Default => default_port(&origin.scheme) == Some(origin.port),
                Ports::One(port) => port == origin.port,
                Ports::Any => true,
            }
    }

    /// The `--allow-host` value that would allow `origin` (for the `denied` message's hint).
    pub fn for_origin(origin: &Origin) -> AllowedHost {
        let ports = if default_port(&origin.scheme) == Some(origin.port) {
            Ports::Default
        } else {
            Ports::One(origin.port)
        };
        AllowedHost { host: origin.host.clone(), ports }
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ports {
            Ports::Default => write!(f, "{}", self.host),
            Ports::One(port) => write!(f, "{}:{port}", self.host),
            Ports::Any => write!(f, "{}:*", self.host),
        }
    }
}

impl FromStr for AllowedHost {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "{why}: give HOST (its default ports, 80 for http and 443 for https), HOST:PORT or HOST:* (any port)"
            )
        };
        if spec.contains('/') {
            return Err(bad("a host, not a URL"));
        }
        let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
            let (addr, after) = rest.split_once(']').ok_or_else(|| bad("an IPv6 address without its `]`"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("text after the IPv6 address"))?),
            };
            (format!("[{addr}]"), port)
        } else if spec.matches(':').count() > 1 {
            // A bare IPv6 address: it cannot carry a port without brackets.
            (format!("[{spec}]"), None)
        } else {
            match spec.split_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (spec.to_string(), None),
            }
        };
        let name = host.trim_start_matches('[').trim_end_matches(']');
        let ipv6 = host.starts_with('[');
        let valid = !name.is_empty()
            && name.chars().all(|c| {
                if ipv6 {
                    c.is_ascii_hexdigit() || c == ':' || c == '.'
                } else {
                    c.is_ascii_alphanumeric() || "-._".contains(c)
                }
            });
        if !valid {
            return Err(bad("not a host name or IP address"));
        }
        let ports = match port {
            None => Ports::Default,
            Some("*") => Ports::Any,
            Some(p) => match p.parse::<u16>() {
                Ok(port) if port > 0 => Ports::One(port),
                _ => return Err(bad("not a port from 1 to 65535 or `*`")),
            },
        };
        Ok(AllowedHost { host: host.to_ascii_lowercase(), ports })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(spec: &str, url: &str) -> bool {
        let host: AllowedHost = spec.parse().expect("a valid spec");
        host.allows(&Origin::parse(url).expect("an absolute URL"))
    }

    #[test]
    fn a_bare_host_allows_only_the_default_port_of_the_requests_scheme() {
        assert!(allowed("Example.com", "http://example.COM/x"));
        assert!(allowed("example.com", "https://example.com:443/x"));
        assert!(allowed("example.com", "http://example.com:80/x"));
        assert!(!allowed("example.com", "http://example.com:443/x"));
        assert!(!allowed("example.com", "http://example.com:8080/x"));
        assert!(!allowed("example.com", "http://other.com/x"));
    }

    #[test]
    fn a_port_allows_that_port_and_a_star_any() {
        assert!(allowed("127.0.0.1:9", "http://127.0.0.1:9/"));
        assert!(allowed("127.0.0.1:9", "https://127.0.0.1:9/"));
        assert!(!allowed("127.0.0.1:9", "http://127.0.0.1:10/"));
        assert!(!allowed("127.0.0.1:9", "http://127.0.0.1/"));
        assert!(allowed("127.0.0.1:*", "http://127.0.0.1:10/"));
        assert!(allowed("127.0.0.1:*", "https://127.0.0.1/"));
        assert!(allowed("[::1]:8080", "http://[::1]:8080/"));
        assert!(allowed("::1", "http://[::1]/"));
        assert!(!allowed("::1", "http://[::1]:8080/"));
    }

    #[test]
    fn specs_print_as_given_and_bad_ones_are_refused() {
        for spec in ["h", "h:8080", "h:*", "[::1]:9"] {
            assert_eq!(spec.parse::<AllowedHost>().expect("valid").to_string(), spec);
        }
        for bad in ["", "h:", "h:0", "h:70000", "h:http", "http://h", "h/x", "[::1", "[::1]x", "a b", "[zz]"]
        {
            assert!(bad.parse::<AllowedHost>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn origins_fill_in_default_ports_and_the_hint_names_what_would_allow_them() {
        let o = Origin::parse("HTTP://H/x").expect("a URL");
        assert_eq!(o.to_string(), "http://h:80");
        assert_eq!(AllowedHost::for_origin(&o).to_string(), "h");
        let o = Origin::parse("https://h:8443").expect("a URL");
        assert_eq!(AllowedHost::for_origin(&o).to_string(), "h:8443");
        assert_eq!(Origin::parse("ftp://h/x"), None, "no default port");
        assert_eq!(Origin::parse("/x"), None);
    }
}
