//! Calling any RPC the same way: the request already encoded, the method by
//! its full name, the answer kept as bytes. One codec that moves bytes, and
//! tonic's generic client — so a row is a method name and a message, never a
//! typed client per service.

use std::time::Duration;

use futures::StreamExt;
use prost::bytes::{Buf, BufMut};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::Bytes;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// How a method streams, as its descriptor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    Unary,
    /// The client sends a stream (ImportMembers).
    Client,
    /// The server answers with a stream (the .xlsx exports).
    Server,
}

/// What a call came to: its status code and, for a refusal, the message.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub code: Code,
    pub detail: String,
}

impl Outcome {
    pub fn ok() -> Outcome {
        Outcome {
            code: Code::Ok,
            detail: String::new(),
        }
    }

    fn from_status(status: &Status) -> Outcome {
        Outcome {
            code: status.code(),
            detail: status.message().to_owned(),
        }
    }
}

/// Encodes already-encoded messages and decodes none: bytes both ways.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// A call longer than this is a hang, reported as `DEADLINE_EXCEEDED`.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Calls `/{method}` (`package.Service/Method`) on `channel` with `message`,
/// as the bearer of `token` (none: anonymous). Answers the status and the
/// last message answered (a stream is read to its end: a refusal may come
/// after the headers).
pub async fn call(
    channel: Channel,
    method: &str,
    streaming: Streaming,
    token: Option<&str>,
    message: Vec<u8>,
) -> (Outcome, Bytes) {
    match tokio::time::timeout(
        CALL_TIMEOUT,
        send(channel, method, streaming, token, message),
    )
    .await
    {
        Ok(Ok(answer)) => (Outcome::ok(), answer),
        Ok(Err(status)) => (Outcome::from_status(&status), Bytes::new()),
        Err(_) => (
            Outcome {
                code: Code::DeadlineExceeded,
                detail: format!("no answer within {CALL_TIMEOUT:?}"),
            },
            Bytes::new(),
        ),
    }
}

async fn send(
    channel: Channel,
    method: &str,
    streaming: Streaming,
    token: Option<&str>,
    message: Vec<u8>,
) -> Result<Bytes, Status> {
    let path = PathAndQuery::try_from(format!("/{method}"))
        .map_err(|err| Status::internal(format!("method path {method}: {err}")))?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|err| Status::unavailable(format!("channel not ready: {err}")))?;
    let message = Bytes::from(message);
    match streaming {
        Streaming::Unary => {
            let request = authorised(Request::new(message), token)?;
            Ok(grpc.unary(request, path, Raw).await?.into_inner())
        }
        Streaming::Client => {
            let rows = futures::stream::iter(vec![message]);
            let request = authorised(Request::new(rows), token)?;
            Ok(grpc
                .client_streaming(request, path, Raw)
                .await?
                .into_inner())
        }
        Streaming::Server => {
            let request = authorised(Request::new(message), token)?;
            let mut chunks = grpc
                .server_streaming(request, path, Raw)
                .await?
                .into_inner();
            let mut last = Bytes::new();
            while let Some(chunk) = chunks.next().await {
                last = chunk?;
            }
            Ok(last)
        }
    }
}

fn authorised<T>(mut request: Request<T>, token: Option<&str>) -> Result<Request<T>, Status> {
    if let Some(token) = token {
        let value = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("token is not a header value"))?;
        request.metadata_mut().insert("authorization", value);
    }
    Ok(request)
}
