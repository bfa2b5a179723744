//! The matrix against the API: every method of every implemented service has
//! a row, every row names a method that exists, and a service the descriptors
//! add is either in the matrix or named here as not implemented yet.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;

use super::call::Streaming;
use super::rows::{
    APPLICATIONS, AUDIT, CALENDAR, CAMPAIGNS, COMMITTEE, FUNDS, IDENTITY, LEDGER, NOTIFY, Row,
};

/// The services the matrix covers: every service a binary of this workspace
/// serves (health and reflection aside).
pub const COVERED: [&str; 9] = [
    LEDGER,
    FUNDS,
    IDENTITY,
    APPLICATIONS,
    COMMITTEE,
    CALENDAR,
    CAMPAIGNS,
    AUDIT,
    NOTIFY,
];

/// Services with an API but no implementation yet. Implementing one means
/// moving it to [`COVERED`] and giving each of its methods a row.
pub const NOT_IMPLEMENTED: [&str; 0] = [];

/// Per service, its methods by full name (`package.Service/Method`), with how
/// each streams.
pub type Methods = BTreeMap<String, BTreeMap<String, Streaming>>;

/// Every method of every service in the descriptors.
pub fn methods_by_service() -> Methods {
    let set = prost_types::FileDescriptorSet::decode(relief_proto::FILE_DESCRIPTOR_SET)
        .expect("the API's descriptor set decodes");
    let mut services = BTreeMap::new();
    for file in &set.file {
        for service in &file.service {
            let name = format!("{}.{}", file.package(), service.name());
            let methods: &mut BTreeMap<String, Streaming> =
                services.entry(name.clone()).or_default();
            for method in &service.method {
                let streaming = match (method.client_streaming(), method.server_streaming()) {
                    (true, _) => Streaming::Client,
                    (false, true) => Streaming::Server,
                    (false, false) => Streaming::Unary,
                };
                methods.insert(format!("{name}/{}", method.name()), streaming);
            }
        }
    }
    services
}

/// What is wrong between `rows` and the descriptors, one line each.
pub fn gaps(rows: &[Row]) -> Vec<String> {
    let services = methods_by_service();
    let mut gaps = Vec::new();
    for service in services.keys() {
        if !google_or_known(service) {
            gaps.push(format!(
                "service {service} is neither in the matrix (COVERED) nor listed as NOT_IMPLEMENTED"
            ));
        }
    }
    let with_rows: BTreeSet<String> = rows.iter().map(Row::full_method).collect();
    for service in COVERED {
        let Some(methods) = services.get(service) else {
            gaps.push(format!("service {service} is not in the API's descriptors"));
            continue;
        };
        for method in methods.keys() {
            if !with_rows.contains(method) {
                gaps.push(format!("{method} has no row in the authorisation matrix"));
            }
        }
    }
    for method in &with_rows {
        let exists = services
            .values()
            .any(|methods| methods.contains_key(method));
        let covered = COVERED
            .iter()
            .any(|service| method.starts_with(&format!("{service}/")));
        if !exists || !covered {
            gaps.push(format!(
                "the row {method} names no method of a covered service"
            ));
        }
    }
    gaps
}

fn google_or_known(service: &str) -> bool {
    service.starts_with("google.")
        || COVERED.contains(&service)
        || NOT_IMPLEMENTED.contains(&service)
}
