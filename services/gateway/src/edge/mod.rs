//! The HTTP side of the door (port 8080 by default): JSON over HTTP for every
//! unary RPC, gRPC-Web for browsers, file downloads, the OpenAPI document and
//! a health endpoint — each request with a request id, CORS, security headers,
//! rate limits and an access-log line.

pub mod errors;
pub mod file_names;
pub mod json;
pub mod limits;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use relief_runtime::auth::TokenVerifier;
use relief_runtime::serve::AuthLayer;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

use self::json::JsonEdge;
use self::limits::RateLimiter;

/// What the HTTP router is built from.
pub struct HttpEdge {
    pub json: Arc<JsonEdge>,
    pub openapi: Arc<serde_json::Value>,
    pub limiter: Arc<RateLimiter>,
    pub verifier: Arc<TokenVerifier>,
    pub cors_allowed_origins: Vec<String>,
    pub pool: sqlx::PgPool,
}

async fn healthz(State(pool): State<sqlx::PgPool>) -> Response {
    match sqlx::query("SELECT 1").execute(&pool).await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"SERVING"}"#,
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"NOT_SERVING"}"#,
        )
            .into_response(),
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    let header = |name: &'static str| HeaderName::from_static(name);
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header("x-grpc-web"),
            header("x-user-agent"),
            header("grpc-timeout"),
            header("x-request-id"),
        ])
        .expose_headers([
            header("grpc-status"),
            header("grpc-message"),
            header("grpc-status-details-bin"),
            header("x-request-id"),
            header::CONTENT_DISPOSITION,
            header::RETRY_AFTER,
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// The HTTP router. `grpc` is the gateway's gRPC routes (identity and
/// forwarding), served here again as gRPC-Web.
pub fn router(edge: HttpEdge, grpc: axum::Router) -> Router {
    let openapi = edge.openapi.clone();
    let mut app = Router::new()
        .route("/v1/{service}/{method}", get(json::call).post(json::call))
        .with_state(edge.json.clone())
        .route(
            "/openapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    openapi.to_string(),
                )
            }),
        )
        .route("/healthz", get(healthz).with_state(edge.pool.clone()));
    let grpc_web = ServiceBuilder::new()
        .layer(tonic_web::GrpcWebLayer::new())
        .service(grpc);
    for service in &edge.json.services {
        app = app.route_service(&format!("/{service}/{{*rest}}"), grpc_web.clone());
    }
    app.layer(axum::middleware::from_fn_with_state(
        edge.limiter.clone(),
        limits::rate_limit,
    ))
    .layer(cors(&edge.cors_allowed_origins))
    .layer(axum::middleware::from_fn(limits::security_headers))
    .layer(axum::middleware::from_fn(limits::access_log))
    .layer(AuthLayer::new(
        edge.verifier.clone(),
        &[&crate::api::gates::GATES],
    ))
    .layer(axum::middleware::from_fn(limits::request_id))
}
