//! The application permissions an access token carries: its `roles` claim. Tokens of the
//! client-credentials grant are JWTs whose `roles` list the app's granted application
//! permissions (<https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>,
//! "roles"; a token granted nothing has no `roles` at all: none held). The payload is read
//! without checking the signature, only to fail early: Microsoft tells clients that access
//! tokens are meant for the resource and may change shape
//! (<https://learn.microsoft.com/entra/identity-platform/access-tokens>), so the tenant still
//! decides, and a token that is no JWT (an opaque static token) is not an error: the first
//! import proves the permission (`import.rs`).

use base64::Engine as _;

/// The `roles` of a JWT access token; `None` when the token is not a readable JWT.
pub fn token_roles(token: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Claims {
        #[serde(default)]
        roles: Vec<String>,
    }
    let mut parts = token.trim().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // base64url without padding (RFC 7519); tolerate padding too.
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Claims>(&bytes).ok().map(|c| c.roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", b(r#"{"alg":"RS256","typ":"JWT"}"#), b(payload), b("signature"))
    }

    #[test]
    fn roles_are_read_from_a_jwt_and_opaque_tokens_are_unreadable() {
        let t = jwt(r#"{"aud":"https://graph.microsoft.com","roles":["Mail.ReadWrite","Mail-Advanced.ReadWrite.All"]}"#);
        assert_eq!(token_roles(&t), Some(vec!["Mail.ReadWrite".to_owned(), "Mail-Advanced.ReadWrite.All".to_owned()]));
        assert_eq!(token_roles(&jwt(r#"{"aud":"x"}"#)), Some(vec![]), "a JWT without roles holds none");
        assert_eq!(token_roles("tenant-secret"), None);
        assert_eq!(token_roles("a.b.c.d"), None);
        assert_eq!(token_roles("a.!!!.c"), None);
    }
}
