//! The names a download is saved under. A service names its file in Chinese
//! (`2026年度入帐凭证清单（预算科党支部）.xlsx`); the gateway passes that name
//! on as RFC 5987 `filename*` and, for clients that read only the plain
//! `filename`, an ASCII name of its own: which export it is (from the
//! method), the ASCII runs of the service's name (years, dates) and a short
//! digest of the whole name, so two different files never fall back to the
//! same name (`relief-vouchers-2026-1f3a9c0b.xlsx`,
//! `relief-inspection-2026-77d0e2aa.xlsx`).

use sha2::{Digest, Sha256};

/// The longest run of ASCII taken from the service's name.
const MAX_ASCII: usize = 60;

/// RFC 5987 `filename*` value: UTF-8, percent-encoded except attr-chars.
pub fn rfc5987(name: &str) -> String {
    let mut out = String::from("UTF-8''");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The plain-ASCII `filename` of a file named `file_name` by the method
/// `method` (its gRPC path or bare name): `relief-<what>-<ascii>-<digest>.<ext>`.
pub fn ascii_fallback(method: &str, file_name: &str) -> String {
    let (stem, extension) = match file_name.rsplit_once('.') {
        Some((stem, ext))
            if !ext.is_empty()
                && ext.len() <= 5
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, format!(".{}", ext.to_ascii_lowercase()))
        }
        _ => (file_name, String::new()),
    };
    let mut name = format!("relief-{}", what(method));
    let ascii = ascii_runs(stem);
    if !ascii.is_empty() {
        name.push('-');
        name.push_str(&ascii);
    }
    let digest = Sha256::digest(file_name.as_bytes());
    name.push('-');
    for byte in &digest[..4] {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(&extension);
    name
}

/// The export a method makes, in kebab case without `export`:
/// `/relief.funds.v1.FundsService/ExportReceiptForms` → `receipt-forms`.
fn what(method: &str) -> String {
    let bare = method.rsplit('/').next().unwrap_or(method);
    let bare = bare.strip_prefix("Export").unwrap_or(bare);
    let mut kebab = String::new();
    for c in bare.chars().filter(char::is_ascii_alphanumeric) {
        if c.is_ascii_uppercase() && !kebab.is_empty() {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    if kebab.is_empty() {
        "export".to_owned()
    } else {
        kebab
    }
}

/// The ASCII letters and digits of `text`, each run kept, runs joined by `-`.
fn ascii_runs(text: &str) -> String {
    let runs: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| !run.is_empty())
        .collect();
    let mut joined = runs.join("-");
    joined.truncate(MAX_ASCII);
    joined.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_encoded_per_rfc_5987() {
        assert_eq!(rfc5987("台账.xlsx"), "UTF-8''%E5%8F%B0%E8%B4%A6.xlsx");
        assert_eq!(rfc5987("a b"), "UTF-8''a%20b");
    }

    #[test]
    fn the_fallback_says_which_export_and_keeps_the_ascii_of_the_name() {
        let name = ascii_fallback(
            "/relief.funds.v1.FundsService/ExportVouchers",
            "2026年度入帐凭证清单（预算科党支部）.xlsx",
        );
        assert!(name.starts_with("relief-vouchers-2026-"), "{name}");
        assert!(name.ends_with(".xlsx"), "{name}");
        assert!(name.is_ascii());
        assert_eq!(
            ascii_fallback("ExportReceiptForms", "签收单.xlsx").len(),
            "relief-receipt-forms-12345678.xlsx".len()
        );
    }

    #[test]
    fn different_exports_of_one_year_fall_back_to_different_names() {
        let names = [
            ascii_fallback("ExportVouchers", "2026年度入帐凭证清单.xlsx"),
            ascii_fallback("ExportInspection", "2026年度专项检查报告.xlsx"),
            ascii_fallback("ExportRegister", "2026年度管理台账.xlsx"),
            ascii_fallback("ExportRegister", "2026年度管理台账（预算科党支部）.xlsx"),
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
