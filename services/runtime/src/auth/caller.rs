//! The caller a token stands for, put into each request by the server, and
//! the checks of a permission against a resource's organisation path.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tonic::Status;

use super::{Permission, RoleBinding};

/// The claims of every Relief Ledger access token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// User id, or `service:<name>` for a service principal.
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    #[serde(default)]
    pub name: String,
    /// The member of the register this user is, if any (role `member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    pub roles: Vec<RoleBinding>,
    /// The login session the token belongs to (gateway tokens), so a caller
    /// can end exactly their own session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user must change their password before anything else: every
    /// service then admits only the methods gated [`super::Gate::Session`]
    /// (changing the password, who am I, logging out).
    #[serde(default, rename = "pwd_change", skip_serializing_if = "is_false")]
    pub must_change_password: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The subject prefix of a service principal's tokens: `service:<name>`.
pub const SERVICE_SUBJECT_PREFIX: &str = "service:";

/// An authenticated caller, put into each request's extensions by the server.
/// Shared, not copied: the verifier's cache, the request and the handler hold
/// the same identity, so passing a caller on costs a reference count rather
/// than a copy of every role binding per request.
#[derive(Clone)]
pub struct Caller(Arc<Identity>);

/// Who a caller is, as their token says; read through [`Caller`].
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub member_id: Option<String>,
    pub roles: Vec<RoleBinding>,
    /// The login session of the token, if it came from a login.
    pub session_id: Option<String>,
    /// Must change their password before doing anything else.
    pub must_change_password: bool,
    /// When the token expires (seconds since the Unix epoch).
    pub expires_at: u64,
    /// The bearer token, passed on when calling another service on the
    /// caller's behalf. Never logged.
    token: Arc<str>,
}

impl std::ops::Deref for Caller {
    type Target = Identity;
    fn deref(&self) -> &Identity {
        &self.0
    }
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("user_id", &self.user_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// Whether `path` lies in the subtree rooted at `root` (both materialised
/// paths ending in `/`).
pub fn in_subtree(path: &str, root: &str) -> bool {
    path.starts_with(root)
}

impl Caller {
    pub fn from_claims(claims: Claims, token: &str) -> Self {
        Caller(Arc::new(Identity {
            user_id: claims.sub,
            display_name: claims.name,
            member_id: claims.member_id,
            roles: claims.roles,
            session_id: claims.sid,
            must_change_password: claims.must_change_password,
            expires_at: claims.exp,
            token: Arc::from(token),
        }))
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The service whose own principal this caller is (`service:<name>`
    /// tokens), `None` for a user. The token verifier accepts such a subject
    /// only from the key of the service it names, so no other key (the
    /// gateway's, another service's) can pass for it.
    pub fn service_principal(&self) -> Option<&str> {
        self.user_id.strip_prefix(SERVICE_SUBJECT_PREFIX)
    }

    /// Whether the caller may do `permission` on a resource at `path`.
    /// Whether any of the caller's roles grants `permission`, wherever bound.
    pub fn holds(&self, permission: Permission) -> bool {
        self.roles
            .iter()
            .any(|binding| binding.role.grants(permission))
    }

    pub fn may(&self, permission: Permission, path: &str) -> bool {
        self.roles
            .iter()
            .any(|binding| binding.role.grants(permission) && in_subtree(path, &binding.org_path))
    }

    /// `PERMISSION_DENIED` unless the caller may do `permission` at `path`.
    pub fn authorize(&self, permission: Permission, path: &str) -> Result<(), Status> {
        if self.may(permission, path) {
            Ok(())
        } else {
            Err(Status::permission_denied(format!(
                "{:?} is not granted on {path} to this caller",
                permission
            )))
        }
    }

    /// The subtree roots where the caller holds `permission`, with nested
    /// roots folded into their ancestors; `PERMISSION_DENIED` when there are none.
    pub fn scopes(&self, permission: Permission) -> Result<Vec<String>, Status> {
        let mut roots: Vec<String> = self
            .roles
            .iter()
            .filter(|binding| binding.role.grants(permission))
            .map(|binding| binding.org_path.clone())
            .collect();
        roots.sort();
        roots.dedup();
        let folded: Vec<String> = roots
            .iter()
            .filter(|root| {
                !roots
                    .iter()
                    .any(|other| other != *root && in_subtree(root, other))
            })
            .cloned()
            .collect();
        if folded.is_empty() {
            Err(Status::permission_denied(format!(
                "{permission:?} is not granted to this caller"
            )))
        } else {
            Ok(folded)
        }
    }

    /// The audit view of the caller.
    pub fn actor(&self) -> relief_proto::common::v1::Actor {
        relief_proto::common::v1::Actor {
            user_id: self.user_id.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

/// The caller of a request, or `UNAUTHENTICATED` saying why there is none.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Caller, Status> {
    match request.extensions().get::<Authentication>() {
        Some(Authentication::Caller(caller)) => Ok(caller),
        Some(Authentication::Refused(reason)) => Err(Status::unauthenticated(reason.clone())),
        None => Err(Status::unauthenticated("a bearer token is required")),
    }
}

/// What the server's authentication layer concluded about a request.
#[derive(Debug, Clone)]
pub enum Authentication {
    Caller(Caller),
    Refused(String),
}
