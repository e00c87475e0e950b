//! Image parts of chat messages (`{"type": "image_url", "image_url": {"url": …}}`), as a vision
//! server takes them: each must carry an `http(s)://` URL (not fetched) or a well-formed `data:`
//! URL of an image in base64 (decoded, so a broken encoding is a 400 as a real server's would
//! be), and costs [`IMAGE_TOKENS`] prompt tokens.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::api::RequestError;

/// Prompt tokens one image counts for (OpenAI's price of a low-detail image).
pub(super) const IMAGE_TOKENS: u64 = 85;

/// The image parts of every message, checked.
pub(super) fn image_parts(messages: &[Value]) -> Result<u64, RequestError> {
    let mut images = 0;
    for message in messages {
        let Some(Value::Array(parts)) = message.get("content") else { continue };
        for part in parts.iter().filter(|p| p.get("type").and_then(Value::as_str) == Some("image_url")) {
            let url = part.get("image_url").and_then(|i| i.get("url")).and_then(Value::as_str);
            check_url(url.unwrap_or_default())?;
            images += 1;
        }
    }
    Ok(images)
}

fn check_url(url: &str) -> Result<(), RequestError> {
    let invalid = |why: &str| Err(RequestError::Invalid("messages", format!("invalid image URL: {why}")));
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(());
    }
    let Some(data) = url.strip_prefix("data:") else {
        return invalid("expected an http(s):// or data: URL in image_url.url");
    };
    let Some((media, payload)) = data.split_once(";base64,") else {
        return invalid("a data: URL must be data:<media type>;base64,<data>");
    };
    if !media.starts_with("image/") {
        return invalid("the data: URL's media type is not an image");
    }
    if STANDARD.decode(payload).is_err() {
        return invalid("the data: URL's payload is not valid base64");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn image_parts_are_counted_and_their_urls_checked() {
        let part = |url: &str| json!({"type": "image_url", "image_url": {"url": url}});
        let messages = [
            json!({"role": "system", "content": "plain text"}),
            json!({"role": "user", "content": [{"type": "text", "text": "a b"},
                part("https://example.com/a.png"), part("data:image/png;base64,iVBORw==")]}),
        ];
        assert_eq!(image_parts(&messages).expect("valid"), 2);
        for bad in [
            "file:///etc/passwd",
            "data:image/png,raw",
            "data:text/plain;base64,aGk=",
            "data:image/png;base64,%%",
        ] {
            let messages = [json!({"role": "user", "content": [part(bad)]})];
            let e = image_parts(&messages).expect_err(bad);
            assert!(e.to_string().starts_with("invalid image URL: "), "{bad}: {e}");
        }
        let no_url = [json!({"role": "user", "content": [{"type": "image_url"}]})];
        assert!(image_parts(&no_url).is_err(), "an image part needs a URL");
    }
}
