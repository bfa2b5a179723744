//! Compiles every `.proto` under `relief/` with protox (no system protoc) and
//! keeps the descriptor set, which feeds server reflection and the gateway.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let mut files = Vec::new();
    collect_protos(&root.join("relief"), &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed=relief");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("relief_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    std::fs::write(
        out_dir.join("idempotent.rs"),
        idempotent_impls(&descriptors),
    )?;
    std::fs::write(out_dir.join("paged.rs"), paged_impls(&descriptors))?;
    tonic_prost_build::configure()
        // Maps as BTreeMap: a message re-encodes to the same bytes after a
        // round trip, so a retried request's idempotency fingerprint (its
        // encoding) matches the first one's; a HashMap's order would not.
        .btree_map(".relief")
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// `impl Idempotent` for every top-level message with a string `request_id`
/// field (AIP-155): the API itself says which requests are retried safely, so
/// a new service's writes need no list kept by hand.
fn idempotent_impls(descriptors: &prost_types::FileDescriptorSet) -> String {
    let mut out = String::new();
    for file in &descriptors.file {
        let Some(module) = file
            .package()
            .strip_prefix("relief.")
            .map(|rest| rest.replace('.', "::"))
        else {
            continue;
        };
        for message in &file.message_type {
            let has_request_id = message.field.iter().any(|field| {
                field.name() == "request_id"
                    && field.r#type() == prost_types::field_descriptor_proto::Type::String
            });
            if has_request_id {
                out.push_str(&format!(
                    "impl crate::Idempotent for crate::{module}::{} {{\n    fn request_id(&self) -> &str {{\n        &self.request_id\n    }}\n}}\n",
                    message.name()
                ));
            }
        }
    }
    out
}

/// `impl Paged` for every top-level message with an int32 `page_size` and a
/// string `page_token` (AIP-158): every listing's page tokens can be bound to
/// the rest of its request, with no list kept by hand.
fn paged_impls(descriptors: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::Type;
    let mut out = String::new();
    for file in &descriptors.file {
        let Some(module) = file
            .package()
            .strip_prefix("relief.")
            .map(|rest| rest.replace('.', "::"))
        else {
            continue;
        };
        for message in &file.message_type {
            let has = |name: &str, kind: Type| {
                message
                    .field
                    .iter()
                    .any(|field| field.name() == name && field.r#type() == kind)
            };
            if has("page_size", Type::Int32) && has("page_token", Type::String) {
                out.push_str(&format!(
                    "impl crate::Paged for crate::{module}::{name} {{
    fn page_size(&self) -> i32 {{
        self.page_size
    }}
    fn page_token(&self) -> &str {{
        &self.page_token
    }}
    fn without_page(&self) -> Self {{
        Self {{
            page_size: 0,
            page_token: ::std::string::String::new(),
            ..::core::clone::Clone::clone(self)
        }}
    }}
}}
",
                    name = message.name()
                ));
            }
        }
    }
    out
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
