//! The Relief Ledger API: generated message types and gRPC stubs for every
//! service, one module per proto package, plus the encoded descriptor set.
#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// The encoded `FileDescriptorSet` of every Relief Ledger proto, with the
/// well-known types they import. Feeds server reflection and the gateway's
/// JSON transcoding.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/relief_descriptor.bin"));

/// A mutating request: it carries the idempotency key (`request_id`,
/// AIP-155) that its retries repeat. Implemented by the build for every
/// message of the API with a string `request_id` field.
pub trait Idempotent: prost::Message {
    fn request_id(&self) -> &str;
}

include!(concat!(env!("OUT_DIR"), "/idempotent.rs"));

/// A listing request (AIP-158): its page fields, and the request without
/// them, whose fields are its filters. Implemented by the build for every
/// message of the API with an int32 `page_size` and a string `page_token`.
pub trait Paged: prost::Message + Sized {
    fn page_size(&self) -> i32;
    fn page_token(&self) -> &str;
    /// The request with `page_size` and `page_token` cleared.
    fn without_page(&self) -> Self;
}

include!(concat!(env!("OUT_DIR"), "/paged.rs"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("relief.common.v1");
    }
}

pub mod ledger {
    pub mod v1 {
        tonic::include_proto!("relief.ledger.v1");
    }
}

pub mod workflow {
    pub mod v1 {
        tonic::include_proto!("relief.workflow.v1");
    }
}

pub mod funds {
    pub mod v1 {
        tonic::include_proto!("relief.funds.v1");
    }
}

pub mod notify {
    pub mod v1 {
        tonic::include_proto!("relief.notify.v1");
    }
}

pub mod gateway {
    pub mod v1 {
        tonic::include_proto!("relief.gateway.v1");
    }
}
