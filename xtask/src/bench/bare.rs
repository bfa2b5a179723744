//! The baselines of the read-path comparison, run from the release build as their own
//! processes (like the services they are compared with): a bare tonic server whose one RPC,
//! `GetMember`, does one indexed `SELECT` with sqlx on the ledger's own tables and data
//! (`xtask bench-bare`), and a bare tonic hop that forwards every call to it
//! (`xtask bench-hop`). Neither authenticates, logs, traces or limits anything: they are what
//! the project's read path costs without the project. They run on the services' allocator
//! (this program's), so a ratio is the project's work against theirs.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};

use anyhow::Context as _;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use time::format_description::well_known::Rfc3339;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::Channel;
use tower::{Service, ServiceExt};

/// The path both baselines answer; the hop forwards everything under the service.
pub const GET_MEMBER: &str = "/relief.ledger.v1.LedgerService/GetMember";

/// `relief.ledger.v1.GetMemberRequest`, as far as the baseline reads it. The baseline keeps
/// its own message types so that it measures the same wire shape whatever the API crate does.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetMemberRequest {
    #[prost(string, tag = "1")]
    pub member_id: String,
}

/// `relief.ledger.v1.Member` with the fields a masked read fills (same tags and types).
#[derive(Clone, PartialEq, prost::Message)]
struct Member {
    #[prost(string, tag = "1")]
    member_id: String,
    #[prost(message, optional, tag = "2")]
    branch: Option<OrgRef>,
    #[prost(string, tag = "3")]
    name: String,
    #[prost(int32, tag = "4")]
    gender: i32,
    #[prost(message, optional, tag = "5")]
    birth_date: Option<Date>,
    #[prost(string, tag = "6")]
    id_number: String,
    #[prost(message, optional, tag = "7")]
    party_join_date: Option<Date>,
    #[prost(string, tag = "8")]
    work_unit: String,
    #[prost(int32, tag = "9")]
    employment_status: i32,
    #[prost(string, tag = "10")]
    phone: String,
    #[prost(string, tag = "11")]
    address: String,
    #[prost(bool, tag = "14")]
    receives_dibao: bool,
    #[prost(bool, tag = "15")]
    receives_special_care: bool,
    #[prost(string, tag = "17")]
    etag: String,
    #[prost(string, tag = "18")]
    create_time: String,
    #[prost(string, tag = "19")]
    update_time: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct OrgRef {
    #[prost(int64, tag = "1")]
    org_id: i64,
    #[prost(string, tag = "2")]
    path: String,
    #[prost(string, tag = "3")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Date {
    #[prost(int32, tag = "1")]
    year: i32,
    #[prost(int32, tag = "2")]
    month: i32,
    #[prost(int32, tag = "3")]
    day: i32,
}

fn date(value: time::Date) -> Option<Date> {
    Some(Date {
        year: value.year(),
        month: i32::from(u8::from(value.month())),
        day: i32::from(value.day()),
    })
}

/// One indexed `SELECT` (primary key, joined with the branch for its name), as a bare server
/// would write it.
const SELECT_MEMBER: &str = "SELECT m.member_id, m.org_id, m.org_path, o.name, m.name, m.sex, \
     m.birth_date, m.id_number_masked, m.party_join_date, m.work_unit, m.employment_status, \
     m.phone_masked, m.address, m.receives_dibao, m.receives_special_care, m.version, \
     m.created_at, m.updated_at \
     FROM members m JOIN orgs o ON o.org_id = m.org_id WHERE m.member_id = $1";

#[derive(Clone)]
struct GetMember {
    pool: sqlx::PgPool,
}

impl GetMember {
    async fn answer(&self, request: GetMemberRequest) -> Result<Member, tonic::Status> {
        let id = uuid::Uuid::parse_str(&request.member_id)
            .map_err(|_| tonic::Status::invalid_argument("member_id must be a UUID"))?;
        let row = sqlx::query(SELECT_MEMBER)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|err| tonic::Status::internal(err.to_string()))?
            .ok_or_else(|| tonic::Status::not_found("no such member"))?;
        let fail = |err: sqlx::Error| tonic::Status::internal(err.to_string());
        let stamp = |at: time::OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
        Ok(Member {
            member_id: row.try_get::<uuid::Uuid, _>(0).map_err(fail)?.to_string(),
            branch: Some(OrgRef {
                org_id: row.try_get(1).map_err(fail)?,
                path: row.try_get(2).map_err(fail)?,
                name: row.try_get(3).map_err(fail)?,
            }),
            name: row.try_get(4).map_err(fail)?,
            gender: if row.try_get::<&str, _>(5).map_err(fail)? == "male" {
                1
            } else {
                2
            },
            birth_date: date(row.try_get(6).map_err(fail)?),
            id_number: row.try_get(7).map_err(fail)?,
            party_join_date: date(row.try_get(8).map_err(fail)?),
            work_unit: row.try_get(9).map_err(fail)?,
            employment_status: row.try_get(10).map_err(fail)?,
            phone: row.try_get(11).map_err(fail)?,
            address: row.try_get(12).map_err(fail)?,
            receives_dibao: row.try_get(13).map_err(fail)?,
            receives_special_care: row.try_get(14).map_err(fail)?,
            etag: row.try_get::<i64, _>(15).map_err(fail)?.to_string(),
            create_time: stamp(row.try_get(16).map_err(fail)?),
            update_time: stamp(row.try_get(17).map_err(fail)?),
        })
    }
}

impl tonic::server::UnaryService<GetMemberRequest> for GetMember {
    type Response = Member;
    type Future = Pin<
        Box<dyn Future<Output = Result<tonic::Response<Member>, tonic::Status>> + Send + 'static>,
    >;

    fn call(&mut self, request: tonic::Request<GetMemberRequest>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            this.answer(request.into_inner())
                .await
                .map(tonic::Response::new)
        })
    }
}

/// The bare server: what tonic's generated code does for one method, and nothing else.
#[derive(Clone)]
struct BareLedger {
    method: GetMember,
}

impl NamedService for BareLedger {
    const NAME: &'static str = "relief.ledger.v1.LedgerService";
}

type BoxResponse =
    Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send + 'static>>;

impl Service<http::Request<Body>> for BareLedger {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxResponse;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = self.method.clone();
        Box::pin(async move {
            // Like tonic for a method a server does not have: the baseline
            // serves the one call it is measured on.
            if request.uri().path() != GET_MEMBER {
                let only = "the bare baseline serves GetMember only";
                return Ok(tonic::Status::new(tonic::Code::Unimplemented, only).into_http());
            }
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.unary(method, request).await)
        })
    }
}

/// The bare hop: every call to the ledger's service forwarded over one channel, unchanged.
#[derive(Clone)]
struct BareHop {
    upstream: Channel,
}

impl NamedService for BareHop {
    const NAME: &'static str = "relief.ledger.v1.LedgerService";
}

impl Service<http::Request<Body>> for BareHop {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxResponse;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let upstream = self.upstream.clone();
        Box::pin(async move {
            Ok(match upstream.oneshot(request).await {
                Ok(response) => response,
                Err(err) => tonic::Status::unavailable(err.to_string()).into_http(),
            })
        })
    }
}

fn listen_address(args: &[String]) -> anyhow::Result<SocketAddr> {
    let address: SocketAddr = args.first().context("a listen address")?.parse()?;
    anyhow::ensure!(address.ip().is_loopback(), "baselines listen on loopback");
    Ok(address)
}

/// `xtask bench-bare <listen> <database url> <schema> <pool size>`
pub async fn serve_bare(args: &[String]) -> anyhow::Result<()> {
    let address = listen_address(args)?;
    let url = args.get(1).context("a database URL")?;
    let schema = args.get(2).context("a schema")?;
    let pool_size: u32 = args.get(3).context("a pool size")?.parse()?;
    // The same connection options and pool size as the service it is compared with.
    let options = PgConnectOptions::from_str(url)?.options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        .connect_with(options)
        .await?;
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(BareLedger {
            method: GetMember { pool },
        })
        .serve(address)
        .await?;
    Ok(())
}

/// `xtask bench-hop <listen> <upstream url>`
pub async fn serve_hop(args: &[String]) -> anyhow::Result<()> {
    let address = listen_address(args)?;
    let upstream = args.get(1).context("an upstream URL")?;
    let upstream = tonic::transport::Endpoint::from_shared(upstream.clone())?.connect_lazy();
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(BareHop { upstream })
        .serve(address)
        .await?;
    Ok(())
}
