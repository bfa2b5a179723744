//! JSON over HTTP for every unary RPC, by one generic mechanism: the request
//! body is parsed against the method's input message in the descriptor set
//! (the standard proto3 JSON mapping), dispatched in-process to the same gRPC
//! routes the gateway serves, and the answer printed back as JSON. Server
//! streams of `FileChunk` (the .xlsx exports) become HTTP downloads.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::{Buf, BufMut, Bytes};
use futures::StreamExt;
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, SerializeOptions};
use relief_runtime::auth::{Authentication, gates_for};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};

use super::errors::{bad_request, error_response, status_error};
use super::file_names;
use super::limits::REQUEST_ID;

/// Everything the JSON edge needs.
pub struct JsonEdge {
    pub pool: DescriptorPool,
    /// Fully-qualified names of the services reachable through the gateway.
    pub services: Vec<String>,
    /// The gateway's own gRPC routes (identity + forwarding), called in-process.
    pub dispatch: axum::Router,
    pub max_body_bytes: usize,
    pub call_timeout: Duration,
}

/// Passes protobuf bytes through untouched: the edge encodes and decodes
/// with the descriptor set itself.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

struct RawEncoder;
struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl JsonEdge {
    fn method(&self, service: &str, method: &str) -> Option<MethodDescriptor> {
        if !self.services.iter().any(|name| name == service) {
            return None;
        }
        self.pool
            .get_service_by_name(service)?
            .methods()
            .find(|m| m.name() == method)
    }
}

/// Reads the body up to the limit; an oversize body is refused unread.
async fn read_body(request: Request, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::InvalidArgument,
            &format!("the request body is larger than {limit} bytes"),
            vec![("body".to_owned(), format!("at most {limit} bytes"))],
        )
    };
    if let Some(length) = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(request.into_body(), limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(too_large()),
    }
}

/// Query parameters as a JSON object: each value as JSON when it parses
/// (numbers, booleans), else as a string.
fn query_json(query: &str) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key);
        let value = percent_decode(value);
        let parsed = serde_json::from_str::<serde_json::Value>(&value)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean())
            .unwrap_or(serde_json::Value::String(value));
        object.insert(key, parsed);
    }
    serde_json::Value::Object(object)
}

fn percent_decode(text: &str) -> String {
    let hex = |byte: u8| (byte as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses the JSON input against the method's input message, naming the
/// offending field (as the JSON path) when it does not fit.
fn parse_input(method: &MethodDescriptor, json: &[u8]) -> Result<DynamicMessage, Box<Response>> {
    let json = if json.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        json
    };
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let mut track = serde_path_to_error::Track::new();
    let parsed = DynamicMessage::deserialize(
        method.input(),
        serde_path_to_error::Deserializer::new(&mut deserializer, &mut track),
    );
    let message = match parsed {
        Ok(message) => message,
        Err(err) => {
            // A body that is not JSON at all is the body's fault, not a field's.
            let syntax = err.is_syntax() || err.is_eof();
            let path = track.path().to_string();
            let mut field = if syntax || path.is_empty() || path == "." {
                "body".to_owned()
            } else {
                path
            };
            // An unknown field is reported at its parent; name the field itself.
            let text = err.to_string();
            if let Some(name) = text
                .strip_prefix("unrecognized field name '")
                .and_then(|rest| rest.split('\'').next())
            {
                field = if field == "body" {
                    name.to_owned()
                } else {
                    format!("{field}.{name}")
                };
            }
            return Err(Box::new(bad_request(&field, &err.to_string())));
        }
    };
    if let Err(err) = deserializer.end() {
        return Err(Box::new(bad_request("body", &err.to_string())));
    }
    Ok(message)
}

/// The gRPC request the edge dispatches: the caller's token, request id and
/// forwarded-for chain, the authentication already done at the door, the
/// client's address, a deadline.
fn grpc_request(
    edge: &JsonEdge,
    http: &http::request::Parts,
    message: Bytes,
) -> tonic::Request<Bytes> {
    let mut request = tonic::Request::new(message);
    let forwarded_for = http::HeaderName::from_static("x-forwarded-for");
    for name in [header::AUTHORIZATION, REQUEST_ID, forwarded_for] {
        if let Some(value) = http.headers.get(&name)
            && let Ok(value) = tonic::metadata::MetadataValue::try_from(value.as_bytes())
            && let Ok(key) = tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes())
        {
            request.metadata_mut().insert(key, value);
        }
    }
    relief_runtime::telemetry::inject_current_context(request.metadata_mut());
    request.set_timeout(edge.call_timeout);
    if let Some(authentication) = http.extensions.get::<Authentication>() {
        request.extensions_mut().insert(authentication.clone());
    }
    // Who is at the other end, for the login lockout (per login name and address).
    if let Some(peer) = http
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        request.extensions_mut().insert(*peer);
    }
    request
}

/// `POST|GET /v1/{service}/{method}`.
pub async fn call(
    State(edge): State<Arc<JsonEdge>>,
    Path((service, method_name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let Some(method) = edge.method(&service, &method_name) else {
        return error_response(
            StatusCode::NOT_FOUND,
            Code::NotFound,
            &format!("no method {service}/{method_name}"),
            Vec::new(),
        );
    };
    // The gateway's own methods are gated here as on its gRPC port (the
    // services behind it gate theirs when the call reaches them).
    let path = format!("/{service}/{method_name}");
    if let Some((gates, gated)) = gates_for(&[&crate::api::gates::GATES], &path)
        && let Err(refused) = gates.admit(gated, request.extensions().get::<Authentication>())
    {
        return status_error(&refused);
    }
    if method.is_client_streaming() {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unimplemented,
            "this method streams its input; call it over gRPC or gRPC-Web",
            Vec::new(),
        );
    }
    let is_download =
        method.is_server_streaming() && method.output().full_name() == "relief.common.v1.FileChunk";
    if method.is_server_streaming() && !is_download {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unimplemented,
            "this method streams; call it over gRPC",
            Vec::new(),
        );
    }
    let is_get = request.method() == http::Method::GET;
    if is_get && !is_download {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unimplemented,
            "use POST with a JSON body",
            Vec::new(),
        );
    }
    let (parts, body) = request.into_parts();
    let json = if is_get {
        query_json(query.as_deref().unwrap_or(""))
            .to_string()
            .into_bytes()
            .into()
    } else {
        if let Some(content_type) = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            && !content_type.starts_with("application/json")
        {
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::InvalidArgument,
                "send application/json",
                Vec::new(),
            );
        }
        match read_body(
            Request::from_parts(parts.clone(), body),
            edge.max_body_bytes,
        )
        .await
        {
            Ok(bytes) => bytes,
            Err(response) => return response,
        }
    };
    let input = match parse_input(&method, &json) {
        Ok(input) => input,
        Err(response) => return *response,
    };
    let request = grpc_request(&edge, &parts, Bytes::from(input.encode_to_vec()));
    let path = match http::uri::PathAndQuery::from_str(&path) {
        Ok(path) => path,
        Err(_) => return bad_request("method", "not a valid method path"),
    };
    let mut grpc = tonic::client::Grpc::new(edge.dispatch.clone());
    if let Err(err) = grpc.ready().await {
        return status_error(&Status::unavailable(format!("gateway not ready: {err}")));
    }
    if is_download {
        let method_path = path.path().to_owned();
        return download(
            &method_path,
            grpc.server_streaming(request, path, RawCodec).await,
        )
        .await;
    }
    match grpc.unary(request, path, RawCodec).await {
        Ok(response) => match DynamicMessage::decode(method.output(), response.into_inner()) {
            Ok(message) => {
                let options = SerializeOptions::new().skip_default_fields(false);
                let mut serializer = serde_json::Serializer::new(Vec::new());
                match message.serialize_with_options(&mut serializer, &options) {
                    Ok(()) => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        serializer.into_inner(),
                    )
                        .into_response(),
                    Err(err) => {
                        status_error(&Status::internal(format!("printing the answer: {err}")))
                    }
                }
            }
            Err(err) => status_error(&Status::internal(format!("reading the answer: {err}"))),
        },
        Err(status) => status_error(&status),
    }
}

/// A stream of `FileChunk`s as an HTTP download with the file's own name
/// (and an ASCII name for old clients, see [`file_names`]).
async fn download(
    method: &str,
    response: Result<tonic::Response<tonic::Streaming<Bytes>>, Status>,
) -> Response {
    let mut stream = match response {
        Ok(response) => response.into_inner(),
        Err(status) => return status_error(&status),
    };
    let first = match stream.message().await {
        Ok(Some(bytes)) => match relief_proto::common::v1::FileChunk::decode(bytes) {
            Ok(chunk) => chunk,
            Err(err) => return status_error(&Status::internal(format!("reading the file: {err}"))),
        },
        Ok(None) => return status_error(&Status::internal("the file was empty")),
        Err(status) => return status_error(&status),
    };
    let file_name = if first.file_name.is_empty() {
        "export.xlsx".to_owned()
    } else {
        first.file_name.clone()
    };
    // Old clients read only `filename`: an ASCII name of its own, as
    // distinct as the file's.
    let ascii_fallback = file_names::ascii_fallback(method, &file_name);
    let disposition = format!(
        "attachment; filename=\"{ascii_fallback}\"; filename*={}",
        file_names::rfc5987(&file_name)
    );
    let content_type = if first.content_type.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        first.content_type.clone()
    };
    let rest = stream.map(|item| {
        item.and_then(|bytes| {
            relief_proto::common::v1::FileChunk::decode(bytes)
                .map(|chunk| Bytes::from(chunk.data))
                .map_err(|err| Status::internal(err.to_string()))
        })
    });
    let body = futures::stream::once(async move { Ok::<Bytes, Status>(Bytes::from(first.data)) })
        .chain(rest);
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_their_types() {
        let json = query_json("orgId=12&includeRemoved=true&name=%E5%BC%A0+3");
        assert_eq!(json["orgId"], 12);
        assert_eq!(json["includeRemoved"], true);
        assert_eq!(json["name"], "张 3");
    }
}
