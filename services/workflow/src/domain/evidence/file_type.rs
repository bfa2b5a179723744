//! Which type a file is, read from its first bytes (its magic number), so a
//! file is what it says it is whatever its name.

/// The file types proof may come in: what offices scan to and phones take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    Heic,
    Webp,
}

impl FileType {
    const ALL: [FileType; 5] = [Self::Pdf, Self::Jpeg, Self::Png, Self::Heic, Self::Webp];

    /// The MIME type stored and sent back on download.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Heic => "image/heic",
            Self::Webp => "image/webp",
        }
    }

    /// The file name extensions that fit the type, so a downloaded file
    /// opens in what its content is for.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Heic => &["heic", "heif"],
            Self::Webp => &["webp"],
        }
    }

    /// The type a declared MIME type names (`image/heif` is HEIC's family).
    pub fn declared(content_type: &str) -> Option<FileType> {
        let content_type = content_type.trim().to_ascii_lowercase();
        if content_type == "image/heif" {
            return Some(Self::Heic);
        }
        Self::ALL.into_iter().find(|t| t.mime() == content_type)
    }

    /// The type the content is, by its magic bytes; `None` for anything else.
    pub fn sniff(content: &[u8]) -> Option<FileType> {
        if content.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if content.len() >= 12 && &content[..4] == b"RIFF" && &content[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if is_heic(content) {
            Some(Self::Heic)
        } else {
            None
        }
    }
}

/// An ISO-BMFF file whose `ftyp` box names a HEIC brand, as its major brand
/// or (for the generic `mif1`/`msf1`) among its compatible ones.
fn is_heic(content: &[u8]) -> bool {
    const HEIC: [&[u8]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];
    if content.len() < 16 || &content[4..8] != b"ftyp" {
        return false;
    }
    let major = &content[8..12];
    if HEIC.contains(&major) {
        return true;
    }
    let size = u32::from_be_bytes([content[0], content[1], content[2], content[3]]) as usize;
    let end = size.min(content.len());
    (major == b"mif1" || major == b"msf1")
        && end > 16
        && content[16..end]
            .chunks_exact(4)
            .any(|brand| HEIC.contains(&brand))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heif(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut bytes = (size as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"ftyp");
        bytes.extend_from_slice(major);
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            bytes.extend_from_slice(*brand);
        }
        bytes.extend_from_slice(b"\0\0\0\x08meta");
        bytes
    }

    #[test]
    fn each_type_is_known_by_its_first_bytes() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileType::Jpeg)
        );
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(FileType::Webp)
        );
        assert_eq!(
            FileType::sniff(&heif(b"heic", &[b"mif1"])),
            Some(FileType::Heic)
        );
        assert_eq!(
            FileType::sniff(&heif(b"mif1", &[b"mif1", b"heic"])),
            Some(FileType::Heic)
        );
    }

    #[test]
    fn anything_else_is_no_type_of_proof() {
        for other in [
            &b"<html><body>%PDF-"[..],
            b"PK\x03\x04 a zip, or an .xlsx",
            b"MZ\x90\0 a program",
            b"%PD",
            b"",
            b"RIFF\x24\0\0\0WAVEfmt ",
        ] {
            assert_eq!(FileType::sniff(other), None, "{other:?}");
        }
        assert_eq!(FileType::sniff(&heif(b"avif", &[b"mif1"])), None);
        assert_eq!(FileType::sniff(&heif(b"mif1", &[b"avif"])), None);
        assert_eq!(FileType::sniff(&heif(b"isom", &[b"mp42"])), None);
    }

    #[test]
    fn a_declared_type_is_one_of_the_five_whatever_its_case() {
        assert_eq!(FileType::declared("application/pdf"), Some(FileType::Pdf));
        assert_eq!(FileType::declared(" Image/JPEG "), Some(FileType::Jpeg));
        assert_eq!(FileType::declared("image/heif"), Some(FileType::Heic));
        assert_eq!(FileType::declared("text/html"), None);
        assert_eq!(FileType::declared(""), None);
    }
}
