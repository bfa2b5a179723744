//! The OpenAPI 3 document of the JSON edge, generated from the same
//! descriptor set that drives the transcoding, so it cannot drift from it.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Value, json};

const FILE_CHUNK: &str = "relief.common.v1.FileChunk";
/// Methods callable without a token.
const PUBLIC_METHODS: [&str; 3] = [
    "relief.gateway.v1.IdentityService.Login",
    "relief.gateway.v1.IdentityService.ExchangeToken",
    "relief.gateway.v1.IdentityService.Refresh",
];

fn reference(message: &MessageDescriptor) -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", message.full_name()) })
}

/// The schema of a well-known type, which proto3 JSON prints specially.
fn well_known(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.FieldMask" => {
            json!({ "type": "string", "description": "comma-separated field paths, e.g. \"name,unitName\"" })
        }
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "google.protobuf.Duration" => json!({ "type": "string", "example": "1.5s" }),
        "google.protobuf.Empty" => json!({ "type": "object" }),
        "google.protobuf.Struct" | "google.protobuf.Value" | "google.protobuf.Any" => json!({}),
        _ => return None,
    })
}

fn scalar(kind: &Kind, wanted: &mut BTreeSet<String>) -> Value {
    match kind {
        Kind::Double | Kind::Float => json!({ "type": "number" }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({ "type": "integer", "format": "int32" })
        }
        Kind::Uint32 | Kind::Fixed32 => {
            json!({ "type": "integer", "format": "int64", "minimum": 0 })
        }
        // proto3 JSON prints 64-bit integers as strings (and reads both).
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({ "type": "string", "format": "int64" })
        }
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::String => json!({ "type": "string" }),
        Kind::Bytes => json!({ "type": "string", "format": "byte" }),
        Kind::Enum(enumeration) => json!({
            "type": "string",
            "enum": enumeration.values().map(|value| value.name().to_owned()).collect::<Vec<_>>(),
        }),
        Kind::Message(message) => match well_known(message) {
            Some(schema) => schema,
            None => {
                wanted.insert(message.full_name().to_owned());
                reference(message)
            }
        },
    }
}

fn field_schema(field: &FieldDescriptor, wanted: &mut BTreeSet<String>) -> Value {
    if field.is_map()
        && let Kind::Message(entry) = field.kind()
    {
        return json!({ "type": "object", "additionalProperties": scalar(&entry.map_entry_value_field().kind(), wanted) });
    }
    let item = scalar(&field.kind(), wanted);
    if field.is_list() {
        json!({ "type": "array", "items": item })
    } else {
        item
    }
}

fn message_schema(message: &MessageDescriptor, wanted: &mut BTreeSet<String>) -> Value {
    let mut properties = serde_json::Map::new();
    for field in message.fields() {
        properties.insert(field.json_name().to_owned(), field_schema(&field, wanted));
    }
    json!({ "type": "object", "properties": properties, "additionalProperties": false })
}

/// The document for `services` (fully-qualified names) as served at `/v1/`.
pub fn document(pool: &DescriptorPool, services: &[String]) -> Value {
    let mut paths = BTreeMap::new();
    let mut wanted = BTreeSet::new();
    for service in services {
        let Some(descriptor) = pool.get_service_by_name(service) else {
            continue;
        };
        let tag = descriptor.name().to_owned();
        for method in descriptor.methods() {
            if method.is_client_streaming() {
                continue;
            }
            let download =
                method.is_server_streaming() && method.output().full_name() == FILE_CHUNK;
            if method.is_server_streaming() && !download {
                continue;
            }
            wanted.insert(method.input().full_name().to_owned());
            let ok = if download {
                json!({
                    "description": "the file, streamed (Content-Disposition names it)",
                    "content": { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } } }
                })
            } else {
                wanted.insert(method.output().full_name().to_owned());
                json!({ "description": "OK", "content": { "application/json": { "schema": reference(&method.output()) } } })
            };
            let mut operation = json!({
                "tags": [tag],
                "operationId": format!("{}_{}", descriptor.name(), method.name()),
                "summary": format!("{}.{}", descriptor.name(), method.name()),
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": reference(&method.input()) } }
                },
                "responses": {
                    "200": ok,
                    "default": { "description": "an error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                }
            });
            if PUBLIC_METHODS.contains(&method.full_name()) {
                operation["security"] = json!([]);
            }
            paths.insert(
                format!("/v1/{service}/{}", method.name()),
                json!({ "post": operation }),
            );
        }
    }

    let mut schemas = serde_json::Map::new();
    let mut done = BTreeSet::new();
    while let Some(name) = wanted.iter().find(|name| !done.contains(*name)).cloned() {
        done.insert(name.clone());
        if let Some(message) = pool.get_message_by_name(&name) {
            let schema =
                well_known(&message).unwrap_or_else(|| message_schema(&message, &mut wanted));
            schemas.insert(name, schema);
        }
    }
    schemas.insert(
        "Error".to_owned(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["code", "status", "message"],
                "properties": {
                    "code": { "type": "integer", "description": "the HTTP status" },
                    "status": { "type": "string", "description": "the gRPC code's name, e.g. INVALID_ARGUMENT" },
                    "message": { "type": "string" },
                    "details": { "type": "array", "items": { "type": "object", "properties": {
                        "@type": { "type": "string", "description": "google.rpc.BadRequest or google.rpc.ErrorInfo" },
                        "fieldViolations": { "type": "array", "items": { "type": "object", "properties": {
                            "field": { "type": "string" }, "description": { "type": "string" } } } },
                        "reason": { "type": "string", "description": "ErrorInfo: stable and machine-readable, e.g. INVALID_FIELDS, ETAG_MISMATCH, ONCE_A_YEAR" },
                        "domain": { "type": "string", "description": "ErrorInfo: relief-ledger" },
                        "metadata": { "type": "object", "additionalProperties": { "type": "string" } }
                    } } }
                }
            } }
        }),
    );

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Relief Ledger API",
            "version": "v1",
            "description": "JSON over HTTP for every unary RPC of the Relief Ledger services (proto3 JSON mapping). \
                            Log in with IdentityService/Login and send the access token as `Authorization: Bearer …`."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }
        },
        "security": [ { "bearerAuth": [] } ]
    })
}
