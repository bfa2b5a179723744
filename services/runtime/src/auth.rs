//! Who is calling and what they may do. Tokens are Ed25519-signed JWTs: the
//! gateway signs users' tokens, each service signs only its own principal's.
//! Access is granted per role on an organisation node's whole subtree (SPEC §2).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::Status;

use crate::config::AuthSettings;

/// The roles of SPEC §1. The wire names are those of `relief.gateway.v1.Role`
/// in lower snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 困难党员 — applies, sees their own application, signs the receipt.
    Member,
    /// 党支部专人 / 支部书记 — keeps the branch's register and cases.
    BranchStaff,
    /// 上级党组织 — second review; submits the unit's yearly summary.
    SuperiorOrg,
    /// 工委组织部 — the organisation department: runs everything.
    Department,
    /// 工委会议 — the committee meeting: decides.
    Committee,
    /// 财务 — budget, allocations, vouchers.
    Finance,
    /// 专项检查 — read-only everything, audit trail, inspections.
    Auditor,
    /// 运维 — runs the system; sees no personal data.
    Operations,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Member,
        Role::BranchStaff,
        Role::SuperiorOrg,
        Role::Department,
        Role::Committee,
        Role::Finance,
        Role::Auditor,
        Role::Operations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::BranchStaff => "branch_staff",
            Role::SuperiorOrg => "superior_org",
            Role::Department => "department",
            Role::Committee => "committee",
            Role::Finance => "finance",
            Role::Auditor => "auditor",
            Role::Operations => "operations",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// What the role may do, wherever it is bound.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Member => matches!(
                permission,
                ApplicationSubmitOwn | ApplicationReadOwn | InboxRead
            ),
            Role::BranchStaff => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | MemberWrite
                    | SensitiveRead
                    | RecordRead
                    | RecordWrite
                    | Verify
                    | ExportForms
                    | ApplicationSubmit
                    | ApplicationRead
                    | BranchReview
                    | ObjectionRaise
                    | CampaignSubmit
                    | FundsRead
                    | DisbursementRecord
                    | InboxRead
            ),
            Role::SuperiorOrg => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | Verify
                    | ExportForms
                    | ApplicationRead
                    | SuperiorReview
                    | ObjectionRaise
                    | CampaignSubmit
                    | FundsRead
                    | DisbursementRecord
                    | InboxRead
                    | IdentityAdmin
            ),
            Role::Department => !matches!(
                permission,
                ApplicationSubmitOwn | ApplicationReadOwn | CommitteeDecide | FundsManage
            ),
            Role::Committee => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | ExportForms
                    | ApplicationRead
                    | CommitteeDecide
                    | FundsRead
                    | Inspect
                    | InboxRead
            ),
            Role::Finance => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | ApplicationRead
                    | FundsManage
                    | FundsRead
                    | Inspect
                    | ExportForms
                    | InboxRead
            ),
            Role::Auditor => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | SensitiveRead
                    | RecordRead
                    | ExportForms
                    | AuditRead
                    | ApplicationRead
                    | FundsRead
                    | Inspect
                    | InboxRead
            ),
            Role::Operations => matches!(permission, OrgRead | InboxRead),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller may do; every RPC checks one against a resource's org path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    OrgRead,
    /// Create and rename organisation nodes.
    OrgManage,
    /// Members and family, masked.
    MemberRead,
    MemberWrite,
    /// Unmasked ID numbers, health, income (each read recorded).
    SensitiveRead,
    RecordRead,
    RecordWrite,
    /// 认定 — recognise a register row.
    RecordRecognise,
    /// Yearly verification of register rows.
    Verify,
    ExportForms,
    AuditRead,
    ApplicationSubmit,
    ApplicationRead,
    /// A member's own application only.
    ApplicationSubmitOwn,
    ApplicationReadOwn,
    BranchReview,
    ObjectionRaise,
    SuperiorReview,
    CommitteePropose,
    CommitteeDecide,
    CampaignManage,
    CampaignSubmit,
    FundsManage,
    /// 拨付 — allocate relief after a committee decision, set the relief
    /// standards and reverse allocations: the department's share of the funds
    /// work (finance does the same under `FundsManage`).
    FundsAllocate,
    FundsRead,
    DisbursementRecord,
    Inspect,
    NotifyPublish,
    InboxRead,
    IdentityAdmin,
}

impl Permission {
    /// Every permission, for tables that must cover them all.
    pub const ALL: [Permission; 30] = [
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::MemberRead,
        Permission::MemberWrite,
        Permission::SensitiveRead,
        Permission::RecordRead,
        Permission::RecordWrite,
        Permission::RecordRecognise,
        Permission::Verify,
        Permission::ExportForms,
        Permission::AuditRead,
        Permission::ApplicationSubmit,
        Permission::ApplicationRead,
        Permission::ApplicationSubmitOwn,
        Permission::ApplicationReadOwn,
        Permission::BranchReview,
        Permission::ObjectionRaise,
        Permission::SuperiorReview,
        Permission::CommitteePropose,
        Permission::CommitteeDecide,
        Permission::CampaignManage,
        Permission::CampaignSubmit,
        Permission::FundsManage,
        Permission::FundsAllocate,
        Permission::FundsRead,
        Permission::DisbursementRecord,
        Permission::Inspect,
        Permission::NotifyPublish,
        Permission::InboxRead,
        Permission::IdentityAdmin,
    ];
}

/// One role on one organisation node, as carried in a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBinding {
    pub role: Role,
    /// Materialised path of the node, e.g. `/1/4/`; the grant covers its subtree.
    pub org_path: String,
}

/// The claims of every Relief Ledger access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

/// An authenticated caller, put into each request's extensions by the server.
#[derive(Clone)]
pub struct Caller {
    pub user_id: String,
    pub display_name: String,
    pub member_id: Option<String>,
    pub roles: Vec<RoleBinding>,
    /// The login session of the token, if it came from a login.
    pub session_id: Option<String>,
    /// When the token expires (seconds since the Unix epoch).
    pub expires_at: u64,
    /// The bearer token, passed on when calling another service on the
    /// caller's behalf. Never logged.
    token: Arc<str>,
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
        Caller {
            user_id: claims.sub,
            display_name: claims.name,
            member_id: claims.member_id,
            roles: claims.roles,
            session_id: claims.sid,
            expires_at: claims.exp,
            token: Arc::from(token),
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether the caller may do `permission` on a resource at `path`.
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

struct Trusted {
    issuer: String,
    key: DecodingKey,
    allowed_roles: Vec<Role>,
}

/// Verifies access tokens against the configured trusted keys.
///
/// A client sends the same token with every call until it expires, and an Ed25519 signature
/// check is most of what a read costs, so a token that passed every check is remembered, by
/// its exact text, with the caller it stands for, until it expires. A remembered token is
/// taken only while it is still unexpired (the same leeway as a full check); everything else
/// a full check decides (key, signature, issuer, audience, roles a key may grant) depends on
/// the token's text and this verifier's fixed configuration alone, so it cannot change in the
/// meantime. Refused tokens are never remembered, and the memory is bounded.
pub struct TokenVerifier {
    keys: HashMap<String, Trusted>,
    audience: String,
    leeway: u64,
    verified: Mutex<HashMap<Box<str>, Verified>>,
}

/// A token that passed every check, and until when it may be taken without another.
struct Verified {
    caller: Caller,
    /// `exp` plus the leeway, in seconds since the Unix epoch.
    valid_until: u64,
}

/// Tokens remembered at most (a few hundred bytes each): far more than the users active at
/// once within a token's lifetime.
const VERIFIED_CAPACITY: usize = 10_000;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl TokenVerifier {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for trusted in &settings.trusted_keys {
            let key = DecodingKey::from_ed_pem(trusted.public_key_pem.as_bytes())
                .map_err(|err| anyhow::anyhow!("auth.trusted_keys[{}]: {err}", trusted.kid))?;
            let allowed_roles = trusted
                .allowed_roles
                .iter()
                .map(|name| {
                    Role::parse(name).ok_or_else(|| {
                        anyhow::anyhow!("auth.trusted_keys[{}]: unknown role {name}", trusted.kid)
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            keys.insert(
                trusted.kid.clone(),
                Trusted {
                    issuer: trusted.issuer.clone(),
                    key,
                    allowed_roles,
                },
            );
        }
        Ok(TokenVerifier {
            keys,
            audience: settings.audience.clone(),
            leeway: settings.clock_skew_seconds,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// The caller a bearer token stands for, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Caller, String> {
        let now = unix_now();
        if let Ok(verified) = self.verified.lock()
            && let Some(known) = verified.get(token)
            && now <= known.valid_until
        {
            return Ok(known.caller.clone());
        }
        let caller = self.verify_fully(token)?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_CAPACITY {
                verified.retain(|_, known| now <= known.valid_until);
                if verified.len() >= VERIFIED_CAPACITY {
                    verified.clear();
                }
            }
            verified.insert(
                token.into(),
                Verified {
                    caller: caller.clone(),
                    valid_until: caller.expires_at.saturating_add(self.leeway),
                },
            );
        }
        Ok(caller)
    }

    /// Every check of a token: known key, signature, issuer, audience, expiry, and the roles
    /// its key may grant.
    fn verify_fully(&self, token: &str) -> Result<Caller, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "malformed token".to_owned())?;
        let kid = header.kid.ok_or_else(|| "token names no key".to_owned())?;
        let trusted = self
            .keys
            .get(&kid)
            .ok_or_else(|| "token signed by an unknown key".to_owned())?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&trusted.issuer]);
        validation.leeway = self.leeway;
        let data =
            jsonwebtoken::decode::<Claims>(token, &trusted.key, &validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired".to_owned(),
                    _ => "token refused".to_owned(),
                }
            })?;
        if !trusted.allowed_roles.is_empty()
            && let Some(binding) = data
                .claims
                .roles
                .iter()
                .find(|binding| !trusted.allowed_roles.contains(&binding.role))
        {
            return Err(format!("key {kid} may not grant role {}", binding.role));
        }
        Ok(Caller::from_claims(data.claims, token))
    }
}

/// Signs access tokens: the gateway for users, a service for its own principal.
pub struct TokenSigner {
    kid: String,
    issuer: String,
    audience: String,
    key: EncodingKey,
}

impl TokenSigner {
    pub fn from_pem(
        kid: &str,
        issuer: &str,
        audience: &str,
        private_key_pem: &str,
    ) -> anyhow::Result<Self> {
        Ok(TokenSigner {
            kid: kid.to_owned(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            key: EncodingKey::from_ed_pem(private_key_pem.as_bytes())?,
        })
    }

    /// A token for `subject` with `roles`, valid for `ttl`.
    pub fn sign(
        &self,
        subject: &str,
        display_name: &str,
        member_id: Option<&str>,
        roles: Vec<RoleBinding>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        Ok(self
            .sign_in_session(subject, display_name, member_id, roles, ttl, None)?
            .0)
    }

    /// As [`TokenSigner::sign`], naming the login session the token belongs
    /// to; answers the token and its expiry (seconds since the Unix epoch).
    pub fn sign_in_session(
        &self,
        subject: &str,
        display_name: &str,
        member_id: Option<&str>,
        roles: Vec<RoleBinding>,
        ttl: Duration,
        session_id: Option<&str>,
    ) -> anyhow::Result<(String, u64)> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now + ttl.as_secs(),
            iat: now,
            name: display_name.to_owned(),
            member_id: member_id.map(str::to_owned),
            roles,
            sid: session_id.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok((
            jsonwebtoken::encode(&header, &claims, &self.key)?,
            claims.exp,
        ))
    }
}

/// A service acting on its own (timers, outbox relays): a principal with only
/// the roles it needs, whose short-lived token is minted and reused until
/// shortly before it expires.
pub struct ServicePrincipal {
    name: String,
    signer: TokenSigner,
    roles: Vec<RoleBinding>,
    cached: Mutex<Option<(String, SystemTime)>>,
}

impl ServicePrincipal {
    const TTL: Duration = Duration::from_secs(300);

    pub fn new(name: &str, signer: TokenSigner, roles: Vec<RoleBinding>) -> Self {
        ServicePrincipal {
            name: name.to_owned(),
            signer,
            roles,
            cached: Mutex::new(None),
        }
    }

    pub fn token(&self) -> anyhow::Result<String> {
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| anyhow::anyhow!("token cache poisoned"))?;
        if let Some((token, renew_at)) = cached.as_ref()
            && SystemTime::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let token = self.signer.sign(
            &format!("service:{}", self.name),
            &self.name,
            None,
            self.roles.clone(),
            Self::TTL,
        )?;
        *cached = Some((token.clone(), SystemTime::now() + Self::TTL / 2));
        Ok(token)
    }
}
