//! The first check of every call, made before any of its request is read:
//! does the caller hold, anywhere, a permission the method could ever need?
//! A caller with no rights at all is refused here — before the request is
//! decoded and validated, so its bad input costs nothing and echoes nothing —
//! and a method nobody wrote a gate for is refused to everyone. The handler
//! still makes the full check (the subtree, the resource) afterwards.

use tonic::Status;

use super::{Authentication, Caller, Permission};

/// What a method asks of its caller before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// No token needed: logging in, refreshing, ending a session.
    Open,
    /// Any signed-in caller; the handler decides what they may see (their
    /// own user, their own sessions).
    SignedIn,
    /// Any signed-in caller, even one who must change their password before
    /// anything else: changing it, and asking who one is. Every other gate
    /// refuses such a caller (`FAILED_PRECONDITION`, reason
    /// `PASSWORD_CHANGE_REQUIRED`).
    Session,
    /// A caller holding at least one of these permissions on some subtree.
    AnyOf(&'static [Permission]),
    /// Only the own principal of the service of this name (tokens with
    /// `sub = "service:<name>"`, accepted only from that service's key):
    /// what one service writes into another on its own account, e.g. the
    /// workflow recording relief a member received. No user, whatever
    /// their roles, passes.
    ServicePrincipal(&'static str),
}

/// The gates of one gRPC service, by method name.
#[derive(Debug)]
pub struct Gates {
    /// The fully-qualified service name, e.g. `relief.ledger.v1.LedgerService`.
    pub service: &'static str,
    pub methods: &'static [(&'static str, Gate)],
}

impl Gates {
    /// The gate of `method`, if one was written.
    pub fn gate(&self, method: &str) -> Option<Gate> {
        self.methods
            .iter()
            .find(|(name, _)| *name == method)
            .map(|(_, gate)| *gate)
    }

    /// What disagrees between these gates and the API's descriptors: a
    /// method of the service without a gate, or a gate naming no method.
    /// Every service's tests assert it empty, so a new RPC cannot ship
    /// without deciding who may call it.
    pub fn mismatches(&self) -> Vec<String> {
        let set: prost_types::FileDescriptorSet =
            match prost::Message::decode(relief_proto::FILE_DESCRIPTOR_SET) {
                Ok(set) => set,
                Err(err) => return vec![format!("the API's descriptors do not decode: {err}")],
            };
        let methods: Vec<String> = set
            .file
            .iter()
            .flat_map(|file| {
                file.service
                    .iter()
                    .filter(|service| {
                        format!("{}.{}", file.package(), service.name()) == self.service
                    })
                    .flat_map(|service| service.method.iter().map(|m| m.name().to_owned()))
            })
            .collect();
        let ungated = methods
            .iter()
            .filter(|method| self.gate(method).is_none())
            .map(|method| format!("{}/{method} has no gate", self.service));
        let stray = self
            .methods
            .iter()
            .filter(|(name, _)| !methods.iter().any(|method| method == name))
            .map(|(name, _)| format!("the gate {name} names no method of {}", self.service));
        ungated.chain(stray).collect()
    }

    /// Admits or refuses a call of `method` by the authentication its token
    /// gave (`None`: no token).
    pub fn admit(
        &self,
        method: &str,
        authentication: Option<&Authentication>,
    ) -> Result<(), Status> {
        let Some(gate) = self.gate(method) else {
            return Err(Status::permission_denied(format!(
                "{}/{method} has no access rule, so nobody may call it",
                self.service
            )));
        };
        if gate == Gate::Open {
            return Ok(());
        }
        let caller = signed_in(authentication)?;
        if caller.must_change_password && gate != Gate::Session {
            return Err(password_change_required());
        }
        match gate {
            Gate::AnyOf(permissions) if !permissions.iter().any(|p| caller.holds(*p)) => {
                Err(Status::permission_denied(format!(
                    "{method} needs one of {permissions:?}, granted to this caller nowhere"
                )))
            }
            Gate::ServicePrincipal(service) if caller.service_principal() != Some(service) => {
                Err(Status::permission_denied(format!(
                    "{method} is called only by the {service} service's own principal"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Finds the gates of the service a gRPC path (`/<service>/<method>`) calls,
/// and the method's name; `None` for a service without gates (health,
/// reflection, or one this process only forwards to).
pub fn gates_for<'a>(all: &'a [&'static Gates], path: &'a str) -> Option<(&'a Gates, &'a str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    all.iter()
        .find(|gates| gates.service == service)
        .map(|gates| (*gates, method))
}

/// The answer to a caller who must change their password first.
pub fn password_change_required() -> Status {
    crate::error::Error::refused(
        "PASSWORD_CHANGE_REQUIRED",
        "change your password first (IdentityService/SetPassword); until then only that, WhoAmI and Logout are open to you",
    )
    .into_status("")
}

fn signed_in(authentication: Option<&Authentication>) -> Result<&Caller, Status> {
    match authentication {
        Some(Authentication::Caller(caller)) => Ok(caller),
        Some(Authentication::Refused(reason)) => Err(Status::unauthenticated(reason.clone())),
        None => Err(Status::unauthenticated("a bearer token is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Claims, Role, RoleBinding};

    static GATES: Gates = Gates {
        service: "relief.test.v1.TestService",
        methods: &[
            ("Login", Gate::Open),
            ("WhoAmI", Gate::SignedIn),
            ("GetMember", Gate::AnyOf(&[Permission::MemberRead])),
        ],
    };

    fn caller(role: Role) -> Authentication {
        Authentication::Caller(Caller::from_claims(
            Claims {
                sub: "u1".into(),
                roles: vec![RoleBinding {
                    role,
                    org_path: "/1/3/".into(),
                }],
                ..Claims::default()
            },
            "token",
        ))
    }

    #[test]
    fn a_caller_without_the_permission_anywhere_is_refused_first() {
        let refused = GATES
            .admit("GetMember", Some(&caller(Role::Member)))
            .expect_err("a member reads no register");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert!(
            GATES
                .admit("GetMember", Some(&caller(Role::BranchStaff)))
                .is_ok()
        );
    }

    #[test]
    fn a_caller_who_must_change_their_password_passes_only_session_gates() {
        static SESSION: Gates = Gates {
            service: "relief.test.v1.TestService",
            methods: &[
                ("SetPassword", Gate::Session),
                ("GetUser", Gate::SignedIn),
                ("Logout", Gate::Open),
            ],
        };
        let pending = Authentication::Caller(Caller::from_claims(
            Claims {
                sub: "u1".into(),
                roles: vec![RoleBinding {
                    role: Role::Department,
                    org_path: "/1/3/".into(),
                }],
                must_change_password: true,
                ..Claims::default()
            },
            "token",
        ));
        assert!(SESSION.admit("SetPassword", Some(&pending)).is_ok());
        assert!(SESSION.admit("Logout", Some(&pending)).is_ok());
        for (gates, method) in [(&SESSION, "GetUser"), (&GATES, "GetMember")] {
            let refused = gates.admit(method, Some(&pending)).expect_err(method);
            assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
            assert!(
                !refused.details().is_empty(),
                "an ErrorInfo says PASSWORD_CHANGE_REQUIRED"
            );
        }
    }

    #[test]
    fn a_service_principal_gate_admits_that_service_alone() {
        static ONLY: Gates = Gates {
            service: "relief.test.v1.TestService",
            methods: &[("RecordRelief", Gate::ServicePrincipal("workflow"))],
        };
        let as_subject = |sub: &str| {
            Authentication::Caller(Caller::from_claims(
                Claims {
                    sub: sub.into(),
                    roles: vec![RoleBinding {
                        role: Role::Department,
                        org_path: "/1/".into(),
                    }],
                    ..Claims::default()
                },
                "token",
            ))
        };
        assert!(
            ONLY.admit("RecordRelief", Some(&as_subject("service:workflow")))
                .is_ok()
        );
        for refused in ["service:funds", "workflow", "user-1", "service:workflowx"] {
            let status = ONLY
                .admit("RecordRelief", Some(&as_subject(refused)))
                .expect_err(refused);
            assert_eq!(status.code(), tonic::Code::PermissionDenied, "{refused}");
        }
        assert_eq!(
            ONLY.admit("RecordRelief", None)
                .expect_err("no token")
                .code(),
            tonic::Code::Unauthenticated
        );
    }

    #[test]
    fn open_methods_need_no_token_and_others_do() {
        assert!(GATES.admit("Login", None).is_ok());
        assert_eq!(
            GATES.admit("WhoAmI", None).expect_err("no token").code(),
            tonic::Code::Unauthenticated
        );
        assert!(GATES.admit("WhoAmI", Some(&caller(Role::Member))).is_ok());
    }

    #[test]
    fn a_method_without_a_gate_is_refused_to_everyone() {
        let refused = GATES
            .admit("DropEverything", Some(&caller(Role::Department)))
            .expect_err("no gate, no call");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    }

    #[test]
    fn a_method_without_a_gate_or_a_gate_without_a_method_is_a_mismatch() {
        static PARTIAL: Gates = Gates {
            service: "relief.ledger.v1.LedgerService",
            methods: &[
                ("GetMember", Gate::AnyOf(&[Permission::MemberRead])),
                ("GetMembr", Gate::AnyOf(&[Permission::MemberRead])),
            ],
        };
        let mismatches = PARTIAL.mismatches();
        assert!(
            mismatches
                .iter()
                .any(|m| m.ends_with("/CreateOrg has no gate"))
        );
        assert!(
            mismatches
                .iter()
                .any(|m| m.contains("GetMembr names no method"))
        );
        assert!(!mismatches.iter().any(|m| m.contains("/GetMember ")));
    }

    #[test]
    fn a_path_finds_its_service_gates() {
        let all = [&GATES];
        let (gates, method) =
            gates_for(&all, "/relief.test.v1.TestService/GetMember").expect("gated");
        assert_eq!((gates.service, method), (GATES.service, "GetMember"));
        assert!(gates_for(&all, "/grpc.health.v1.Health/Check").is_none());
    }
}
