//! Who may call each identity RPC at all (see [`relief_runtime::auth::Gates`]).
//! Logging in needs no token; one's own user, password and roles need only
//! a signed-in caller (the handler keeps them to their own unless they
//! administer); everything else is identity administration. A user who must
//! change their password may only change it, ask who they are and log out
//! (`Session`, `Open`).

use relief_runtime::auth::Gate::{AnyOf, Open, Session, SignedIn};
use relief_runtime::auth::Gates;
use relief_runtime::auth::Permission::{AuditRead, IdentityAdmin};

pub static GATES: Gates = Gates {
    service: crate::IDENTITY_SERVICE,
    methods: &[
        ("Login", Open),
        ("ExchangeToken", Open),
        ("Refresh", Open),
        ("Logout", Open),
        ("WhoAmI", Session),
        ("CreateUser", AnyOf(&[IdentityAdmin])),
        ("GetUser", SignedIn),
        ("ListUsers", AnyOf(&[IdentityAdmin])),
        ("UpdateUser", AnyOf(&[IdentityAdmin])),
        ("SetPassword", Session),
        ("DisableUser", AnyOf(&[IdentityAdmin])),
        ("EnableUser", AnyOf(&[IdentityAdmin])),
        ("CreateRoleBinding", AnyOf(&[IdentityAdmin])),
        ("DeleteRoleBinding", AnyOf(&[IdentityAdmin])),
        ("ListRoleBindings", SignedIn),
        ("VerifyAuditChain", AnyOf(&[AuditRead])),
        ("ListAuditEntries", AnyOf(&[AuditRead])),
    ],
};

#[cfg(test)]
mod tests {
    #[test]
    fn every_identity_rpc_has_a_gate() {
        assert_eq!(super::GATES.mismatches(), Vec::<String>::new());
    }
}
