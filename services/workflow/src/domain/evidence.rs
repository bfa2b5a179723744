//! 证明材料 — one proof file as an upload brings it: its metadata checked,
//! its bytes gathered within the limits, its type read from its content (not
//! from its name) and its SHA-256 computed here, never taken from the client.

use relief_proto::workflow::v1::{self as pb, EvidenceKind, HospitalLevel};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod file_type;
pub use file_type::FileType;

/// The most bytes one stream message may carry.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;
/// The most bytes one file may have: a phone photo or a scanned certificate
/// fits many times over, and the file is held in memory and in one row.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// What the first message of an upload says of the file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceMeta {
    pub application_id: Uuid,
    pub kind: EvidenceKind,
    pub file_name: String,
    pub file_type: FileType,
    pub description: String,
    pub expected_sha256: Option<String>,
    pub hospital_name: String,
    pub hospital_level: HospitalLevel,
}

impl EvidenceMeta {
    /// Parses `metadata`, naming each bad field as `metadata.<field>`.
    pub fn parse(metadata: &pb::EvidenceUpload, violations: &mut FieldViolations) -> Option<Self> {
        let mut bad = FieldViolations::new();
        let application_id = ids::uuid(&metadata.application_id, "application_id", &mut bad);
        let kind = match EvidenceKind::try_from(metadata.kind) {
            Ok(EvidenceKind::Unspecified) => {
                bad.add("kind", "required: what the file shows");
                None
            }
            Ok(kind) => Some(kind),
            Err(_) => {
                bad.add("kind", "unknown value");
                None
            }
        };
        let file_type = FileType::declared(&metadata.content_type);
        if file_type.is_none() {
            bad.add(
                "content_type",
                "one of application/pdf, image/jpeg, image/png, image/heic, image/webp",
            );
        }
        check_file_name(&metadata.file_name, file_type, &mut bad);
        bad.check_line("description", &metadata.description, 200);
        let expected = metadata.expected_sha256.trim().to_ascii_lowercase();
        bad.check(
            !expected.is_empty()
                && (expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit())),
            "expected_sha256",
            "64 hex digits (the file's SHA-256), or empty",
        );
        let hospital_level = check_hospital(metadata, kind, &mut bad);
        let ok = bad.is_empty();
        violations.extend_prefixed("metadata.", bad);
        let (Some(application_id), Some(kind), Some(file_type), true) =
            (application_id, kind, file_type, ok)
        else {
            return None;
        };
        Some(EvidenceMeta {
            application_id,
            kind,
            file_name: metadata.file_name.trim().to_owned(),
            file_type,
            description: metadata.description.trim().to_owned(),
            expected_sha256: (!expected.is_empty()).then_some(expected),
            hospital_name: metadata.hospital_name.trim().to_owned(),
            hospital_level,
        })
    }
}

/// A plain file name (no folder, nothing the download could misuse) whose
/// extension fits the declared type.
fn check_file_name(name: &str, file_type: Option<FileType>, bad: &mut FieldViolations) {
    let name = name.trim();
    let mut required = FieldViolations::new();
    required.check_required_line("file_name", name, 255, "required: the file's name");
    if !required.is_empty() {
        bad.merge(required);
        return;
    }
    if name.contains(['/', '\\']) || name.starts_with('.') {
        bad.add(
            "file_name",
            "a file's own name, without a folder and not starting with a dot",
        );
        return;
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(file_type) = file_type
        && !extension.is_some_and(|ext| file_type.extensions().contains(&ext.as_str()))
    {
        bad.add(
            "file_name",
            format!(
                "must end in .{} for {}",
                file_type.extensions().join(" or ."),
                file_type.mime()
            ),
        );
    }
}

/// The hospital fields: required for a diagnosis, absent for anything else.
fn check_hospital(
    metadata: &pb::EvidenceUpload,
    kind: Option<EvidenceKind>,
    bad: &mut FieldViolations,
) -> HospitalLevel {
    let level = HospitalLevel::try_from(metadata.hospital_level);
    if kind == Some(EvidenceKind::HospitalDiagnosis) {
        bad.check_required_line(
            "hospital_name",
            &metadata.hospital_name,
            100,
            "required for a diagnosis: the hospital that issued it",
        );
        match level {
            Ok(HospitalLevel::Unspecified) => {
                bad.add("hospital_level", "required for a diagnosis");
            }
            Ok(_) => {}
            Err(_) => bad.add("hospital_level", "unknown value"),
        }
    } else {
        bad.check(
            !metadata.hospital_name.is_empty(),
            "hospital_name",
            "only a hospital diagnosis names its hospital",
        );
        bad.check(
            metadata.hospital_level != 0,
            "hospital_level",
            "only a hospital diagnosis has a hospital level",
        );
    }
    level.unwrap_or_default()
}

/// The bytes of an upload as they arrive, within the limits.
#[derive(Debug, Default)]
pub struct Received(Vec<u8>);

impl Received {
    /// Adds the next chunk, or names `data` when it breaks a limit (the
    /// upload then ends: nothing more is read, nothing stored).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FieldViolations> {
        let mut bad = FieldViolations::new();
        if chunk.len() > MAX_CHUNK_BYTES {
            bad.add("data", "a message carries at most 1 MiB (1048576 bytes)");
        } else if self.0.len() + chunk.len() > MAX_FILE_BYTES {
            bad.add("data", "a proof file is at most 20 MiB (20971520 bytes)");
        }
        bad.then(|| self.0.extend_from_slice(chunk))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The whole upload gathered from its stream as one message, so the
/// pipeline claims its `request_id` and binds it to every byte, as it does
/// any write: a retry with the same id and the same file is answered with the
/// stored Evidence; the same id with another file is refused.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Upload {
    #[prost(string, tag = "1")]
    pub request_id: String,
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<pb::EvidenceUpload>,
    #[prost(bytes = "vec", tag = "3")]
    pub data: Vec<u8>,
}

impl relief_proto::Idempotent for Upload {
    fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// An upload checked whole: its metadata, its content of the declared type,
/// its SHA-256 as computed here.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub meta: EvidenceMeta,
    pub sha256: String,
    pub content: Vec<u8>,
}

impl TryFrom<Upload> for EvidenceFile {
    type Error = FieldViolations;
    fn try_from(upload: Upload) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let meta = match &upload.metadata {
            Some(metadata) => EvidenceMeta::parse(metadata, &mut violations),
            None => {
                violations.add("metadata", "required in the first message");
                None
            }
        };
        violations.check(
            upload.data.is_empty(),
            "data",
            "required: the file's bytes, after the metadata",
        );
        violations.check(
            upload.data.len() > MAX_FILE_BYTES,
            "data",
            "a proof file is at most 20 MiB (20971520 bytes)",
        );
        let sha256 = hex::encode(Sha256::digest(&upload.data));
        if let Some(meta) = &meta
            && !upload.data.is_empty()
        {
            match FileType::sniff(&upload.data) {
                Some(found) if found == meta.file_type => {}
                Some(found) => violations.add(
                    "metadata.content_type",
                    format!(
                        "the content is {}, not {}",
                        found.mime(),
                        meta.file_type.mime()
                    ),
                ),
                None => violations.add(
                    "metadata.content_type",
                    format!(
                        "the content is not {} (nor any type proof may come in)",
                        meta.file_type.mime()
                    ),
                ),
            }
            if meta.expected_sha256.as_ref().is_some_and(|e| *e != sha256) {
                violations.add(
                    "metadata.expected_sha256",
                    format!(
                        "the bytes received hash to {sha256}: damaged on the way, or another file"
                    ),
                );
            }
        }
        match meta {
            Some(meta) if violations.is_empty() => Ok(EvidenceFile {
                meta,
                sha256,
                content: upload.data,
            }),
            // No metadata leaves a violation behind, so this is never empty.
            _ => Err(violations),
        }
    }
}

#[cfg(test)]
mod tests;
