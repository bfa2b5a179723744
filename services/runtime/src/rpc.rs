//! The one way an RPC is handled, in every service. A handler names the
//! command its request parses into and the domain work to do; the pipeline
//! does the rest in a fixed order:
//!
//! - read: authenticate → parse (every bad field at once) → act → answer;
//! - write: authenticate → parse, with the `request_id` → open a transaction
//!   and claim the request id (a replay answers the stored answer and does
//!   nothing) → act: authorise, decide, store, record history, audit entry
//!   and outbox events through [`Work`] → store the answer → commit.
//!
//! A refused or failed write rolls back everything, the claim included, so
//! it changes nothing and may be retried with the same `request_id`.

use std::future::Future;

use prost::Message;
use relief_proto::common::v1::{Actor, OrgRef};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::{Caller, caller};
use crate::error::{ConstraintRefusal, Error, FieldViolations, Result};
use crate::idempotency::{self, Claim};

/// A mutating request (every API message with a `request_id`; the proto
/// crate implements it from the descriptors).
pub use relief_proto::Idempotent;

/// The pipeline of one service: its database, its name (for errors and
/// logs), the constraints whose breach is a rule's refusal, and the
/// committee (工委), root of the organisation tree.
#[derive(Clone)]
pub struct Rpc {
    pool: PgPool,
    service: &'static str,
    refusals: &'static [ConstraintRefusal],
    committee: OrgRef,
}

impl Rpc {
    pub fn new(
        pool: PgPool,
        service: &'static str,
        refusals: &'static [ConstraintRefusal],
        committee: OrgRef,
    ) -> Self {
        Rpc {
            pool,
            service,
            refusals,
            committee,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The committee: a grant on its path covers the whole tree.
    pub fn committee(&self) -> &OrgRef {
        &self.committee
    }

    /// The status a failed RPC answers with.
    pub fn status(&self, err: Error) -> Status {
        err.into_status_with(self.service, self.refusals)
    }

    /// The authenticated caller of a request (for streaming handlers, which
    /// do not go through [`Rpc::read`]).
    pub fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        caller(request)
            .cloned()
            .map_err(|refused| self.status(Error::from(refused)))
    }

    /// A read: the caller, the request parsed into `C` (every bad field
    /// named), then `act`.
    pub async fn read<Q, C, R, F, Fut>(
        &self,
        request: Request<Q>,
        act: F,
    ) -> Result<Response<R>, Status>
    where
        C: TryFrom<Q, Error = FieldViolations>,
        F: FnOnce(Caller, C) -> Fut,
        Fut: Future<Output = Result<R>>,
    {
        let caller = self.caller(&request)?;
        let query =
            C::try_from(request.into_inner()).map_err(|v| self.status(Error::Invalid(v)))?;
        act(caller, query)
            .await
            .map(Response::new)
            .map_err(|err| self.status(err))
    }

    /// An RPC open to callers without a token — logging in, refreshing or
    /// ending a session: as [`Rpc::read`], but the act gets the caller only
    /// when the request carries a valid token (`None` otherwise). Such RPCs
    /// keep their own transactions and are not replayed by `request_id` (a
    /// login's answer is fresh tokens, which are not stored).
    pub async fn open<Q, C, R, F, Fut>(
        &self,
        request: Request<Q>,
        act: F,
    ) -> Result<Response<R>, Status>
    where
        C: TryFrom<Q, Error = FieldViolations>,
        F: FnOnce(Option<Caller>, C) -> Fut,
        Fut: Future<Output = Result<R>>,
    {
        let caller = caller(&request).ok().cloned();
        let query =
            C::try_from(request.into_inner()).map_err(|v| self.status(Error::Invalid(v)))?;
        act(caller, query)
            .await
            .map(Response::new)
            .map_err(|err| self.status(err))
    }

    /// A write, as the module says. `method` names the RPC for idempotency
    /// (a `request_id` is bound to one method and one caller).
    pub async fn write<Q, C, R, F, Fut>(
        &self,
        method: &'static str,
        request: Request<Q>,
        act: F,
    ) -> Result<Response<R>, Status>
    where
        Q: Idempotent,
        C: TryFrom<Q, Error = FieldViolations>,
        R: Message + Default,
        F: FnOnce(Caller, C, Work) -> Fut,
        Fut: Future<Output = Result<Done<R>>>,
    {
        let caller = self.caller(&request)?;
        self.write_message(method, caller, request.into_inner(), act)
            .await
            .map(Response::new)
            .map_err(|err| self.status(err))
    }

    /// As [`Rpc::write`], for a command whose parsing needs what only the
    /// service knows (e.g. its committee, which an organisation named in the
    /// request must be below): `parse` turns the request into the command,
    /// naming every bad field.
    pub async fn write_with<Q, C, R, P, F, Fut>(
        &self,
        method: &'static str,
        request: Request<Q>,
        parse: P,
        act: F,
    ) -> Result<Response<R>, Status>
    where
        Q: Idempotent,
        P: FnOnce(Q) -> Result<C, FieldViolations>,
        R: Message + Default,
        F: FnOnce(Caller, C, Work) -> Fut,
        Fut: Future<Output = Result<Done<R>>>,
    {
        let caller = self.caller(&request)?;
        self.parse_and_write(method, caller, request.into_inner(), parse, act)
            .await
            .map(Response::new)
            .map_err(|err| self.status(err))
    }

    /// One write made of a message rather than a whole RPC — a row of an
    /// import stream, each its own write with its own `request_id` — for a
    /// caller the streaming handler authenticated: as [`Rpc::write`], but
    /// the error is the handler's to answer (e.g. in that row's result).
    pub async fn write_message<Q, C, R, F, Fut>(
        &self,
        method: &'static str,
        caller: Caller,
        request: Q,
        act: F,
    ) -> Result<R>
    where
        Q: Idempotent,
        C: TryFrom<Q, Error = FieldViolations>,
        R: Message + Default,
        F: FnOnce(Caller, C, Work) -> Fut,
        Fut: Future<Output = Result<Done<R>>>,
    {
        self.parse_and_write(method, caller, request, C::try_from, act)
            .await
    }

    /// Parses the request (its `request_id`'s violation merged with the
    /// command's), then runs the write.
    async fn parse_and_write<Q, C, R, P, F, Fut>(
        &self,
        method: &'static str,
        caller: Caller,
        request: Q,
        parse: P,
        act: F,
    ) -> Result<R>
    where
        Q: Idempotent,
        P: FnOnce(Q) -> Result<C, FieldViolations>,
        R: Message + Default,
        F: FnOnce(Caller, C, Work) -> Fut,
        Fut: Future<Output = Result<Done<R>>>,
    {
        let request_id = request.request_id().to_owned();
        let fingerprint = idempotency::fingerprint(method, &caller.user_id, &request);
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request_id);
        let command = match parse(request) {
            Ok(command) => Some(command),
            Err(more) => {
                violations.merge(more);
                None
            }
        };
        let (Some(command), true) = (command, violations.is_empty()) else {
            return Err(Error::Invalid(violations));
        };
        self.run_write(method, caller, request_id, fingerprint, command, act)
            .await
    }

    async fn run_write<C, R, F, Fut>(
        &self,
        method: &'static str,
        caller: Caller,
        request_id: String,
        fingerprint: String,
        command: C,
        act: F,
    ) -> Result<R>
    where
        R: Message + Default,
        F: FnOnce(Caller, C, Work) -> Fut,
        Fut: Future<Output = Result<Done<R>>>,
    {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, method, &request_id, &fingerprint).await?
        {
            return Ok(answer);
        }
        let work = Work {
            tx,
            request_id,
            actor: caller.actor(),
        };
        let Done { mut work, answer } = act(caller, command, work).await?;
        idempotency::store_answer(&mut work.tx, &work.request_id, &answer).await?;
        work.tx.commit().await?;
        Ok(answer)
    }
}

/// The transaction of one write, and what every write records with it.
pub struct Work {
    tx: Transaction<'static, Postgres>,
    request_id: String,
    actor: Actor,
}

impl Work {
    /// Work the service does by itself, not for a caller (a timer ending a
    /// public notice, an event from a peer): its own transaction, `actor`
    /// named in the history and the audit trail, `key` where a caller's
    /// `request_id` would be. Nothing is claimed for replay — such work
    /// finds what is due under its own locks — and it is committed with
    /// [`Work::commit`].
    pub async fn unattended(pool: &PgPool, key: impl Into<String>, actor: Actor) -> Result<Work> {
        Ok(Work {
            tx: pool.begin().await?,
            request_id: key.into(),
            actor,
        })
    }

    /// Commits unattended work (a caller's write is committed by the
    /// pipeline, with its answer).
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// The open transaction, for the service's store functions.
    pub fn tx(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The caller's idempotency key (postings and events carry it).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Who does it, as the audit trail names them.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Appends the change to the service's audit chain. `change` has
    /// sensitive values masked already.
    pub async fn audit(
        &mut self,
        action: &str,
        resource: &str,
        change: &serde_json::Value,
    ) -> Result<()> {
        crate::audit::append(&mut self.tx, &self.actor, action, resource, change).await
    }

    /// Writes an event to the outbox for each destination, delivered after
    /// this transaction commits (and only if it does).
    pub async fn emit<E: Message>(
        &mut self,
        event_id: Uuid,
        kind: &str,
        event: &E,
        destinations: &[&str],
    ) -> Result<()> {
        crate::outbox::enqueue(&mut self.tx, event_id, kind, event, destinations).await
    }

    /// The work is done and this is its answer: the pipeline stores it for
    /// replays and commits.
    pub fn done<R>(self, answer: R) -> Done<R> {
        Done { work: self, answer }
    }
}

/// A finished write, waiting to be committed.
pub struct Done<R> {
    work: Work,
    answer: R,
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::ledger::v1 as pb;

    struct NewOrg {
        name: String,
    }

    impl TryFrom<pb::CreateOrgRequest> for NewOrg {
        type Error = FieldViolations;

        fn try_from(request: pb::CreateOrgRequest) -> Result<Self, FieldViolations> {
            let mut violations = FieldViolations::new();
            violations.check(request.name.is_empty(), "name", "required");
            violations.then(|| NewOrg { name: request.name })
        }
    }

    struct Handler {
        rpc: Rpc,
    }

    impl Handler {
        async fn create(
            &self,
            _caller: Caller,
            command: NewOrg,
            mut work: Work,
        ) -> Result<Done<pb::Org>> {
            work.audit(
                "org.created",
                "orgs/1",
                &serde_json::json!({ "name": command.name }),
            )
            .await?;
            Ok(work.done(pb::Org::default()))
        }
    }

    fn assert_send<F: Future + Send>(_: F) {}

    /// Handlers run inside tonic's `Send` futures: a write that borrows the
    /// handler and its transaction must stay `Send`.
    #[tokio::test]
    async fn a_write_through_the_pipeline_is_send() {
        let pool = PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").expect("lazy pool");
        let handler = Handler {
            rpc: Rpc::new(pool, "test", &[], OrgRef::default()),
        };
        assert_send(handler.rpc.write(
            "CreateOrg",
            Request::new(pb::CreateOrgRequest::default()),
            |caller, command: NewOrg, work| handler.create(caller, command, work),
        ));
    }
}
