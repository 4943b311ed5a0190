//! Registration metadata a client may set beyond the core columns (OIDC Registration §2,
//! RFC 7591 §2, RFC 9101 §10.5, RFC 9126 §6), stored as one JSON object and read back into
//! this typed struct. Every field is optional and defaults to the spec's default.

use serde::{Deserialize, Serialize};

/// The algorithm value that registers a client for unsigned request objects.
pub const ALG_NONE: &str = "none";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientMetadata {
    /// Every request object must be signed with this algorithm; `none` allows unsigned ones
    /// (the only way an unsigned request object is accepted). Unset: any signed one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// RFC 9126 §6: authorization requests must come through the PAR endpoint.
    #[serde(skip_serializing_if = "is_false")]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9101 §10.5: authorization requests must be signed request objects.
    #[serde(skip_serializing_if = "is_false")]
    pub require_signed_request_object: bool,
    /// OIDC Registration §2: https URLs the provider may fetch request objects from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_uris: Vec<String>,
    /// OIDC Core §8.1: the host that groups this client's redirect URIs for pairwise subjects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// The sector of pairwise subjects when it is not the client's partner: the host of a
    /// dynamically registered client's redirect URIs or sector identifier URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// RFC 9449 §5.2: every access token of this client is DPoP-bound (a proof is required at
    /// the token endpoint); its refresh tokens are then not rotated (FAPI 2.0 §5.3.2.1).
    #[serde(skip_serializing_if = "is_false")]
    pub dpop_bound_access_tokens: bool,
    /// Where the client receives a Security Event Token (RFC 8417, pushed as RFC 8935 says)
    /// when a resident withdraws consent to it (`oauth::consent_event`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_withdrawal_uri: Option<String>,
    /// OIDC Registration §2: `web` (the default) or `native`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// OIDC Registration §2: userinfo answered as a JWT signed with this algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<String>,
    /// OIDC Registration §2: ID tokens encrypted to the client's key (`oauth::encryption`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// OIDC Registration §2: userinfo encrypted to the client's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ClientMetadata {
    /// Whether only the request object's own parameters count (RFC 9101 §6.3), rather than the
    /// OIDC Core §6.3 merge with the query: clients that push or sign every request.
    pub fn request_object_only(&self) -> bool {
        self.require_pushed_authorization_requests || self.require_signed_request_object
    }

    pub fn allows_unsigned_request_objects(&self) -> bool {
        self.request_object_signing_alg.as_deref() == Some(ALG_NONE) && !self.require_signed_request_object
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
